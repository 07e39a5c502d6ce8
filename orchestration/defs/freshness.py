"""Source freshness as warnings in the UI: when the newest rows of a feed arrived
(`loaded_at_field`, the load time), against the `warn_after` of the dbt sources YAML (the one
place the thresholds are set; only sends and events have one: a dimension that does not
change for weeks is normal). Computed in DuckDB directly (where raw lands on every target)
instead of a second dbt invocation, so it costs milliseconds."""

import json
from datetime import UTC, datetime, timedelta
from functools import cache

import dagster as dg

from orchestration.defs.dbt import dbt_project
from orchestration.defs.resources import WarehouseResource

PERIODS = {"minute": "minutes", "hour": "hours", "day": "days"}


@cache
def source_freshness() -> dict[str, tuple[str, timedelta]]:
    """{raw table: (loaded_at_field, warn_after)} from the dbt manifest, for the sources that
    have an expectation."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    result = {}
    for source in manifest["sources"].values():
        warn = (source.get("freshness") or {}).get("warn_after") or {}
        if source["source_name"] == "recruiting" and warn.get("count") and source.get("loaded_at_field"):
            result[source["name"]] = (
                source["loaded_at_field"],
                timedelta(**{PERIODS[warn["period"]]: warn["count"]}),
            )
    return result


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "fresh",
            asset=["raw", name],
            blocking=False,
            description=f"New rows arrived within {warn_after} (the source's warn_after in the dbt sources "
            "YAML): a feed that stopped delivering shows here.",
        )
        for name, (_, warn_after) in source_freshness().items()
    ],
)
def raw_freshness(warehouse: WarehouseResource):
    now = datetime.now(UTC).replace(tzinfo=None)
    for name, (field, warn_after) in source_freshness().items():
        # `field` is an expression from our own YAML (not data); the table name is ours too.
        newest = warehouse.duckdb_query(f"select max({field}) as newest from raw.{name}")[0]["newest"]
        age = None if newest is None else now - newest
        yield dg.AssetCheckResult(
            asset_key=["raw", name],
            check_name="fresh",
            passed=age is not None and age <= warn_after,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                "no rows yet" if age is None else f"newest rows arrived {_age(age)} ago; warn after {_age(warn_after)}"
            ),
            metadata={
                "newest_arrival": str(newest),
                "age_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                "warn_after_hours": warn_after.total_seconds() / 3600,
            },
        )


def _age(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.0f} days"


defs = dg.Definitions(asset_checks=[raw_freshness])
