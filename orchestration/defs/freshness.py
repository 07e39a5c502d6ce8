"""Source freshness as warnings in the UI: each raw table's newest `loaded_at_field` against
the `warn_after` of the dbt sources YAML (the one place the thresholds are set). Computed in
DuckDB directly (where raw lands on every target) instead of a second dbt invocation, so it
costs milliseconds."""

import json
from datetime import UTC, datetime, timedelta
from functools import cache

import dagster as dg

from campaign_dw.raw_contract import RAW_TABLES
from orchestration.defs.checks import duckdb_query
from orchestration.defs.dbt import dbt_project

PERIODS = {"minute": "minutes", "hour": "hours", "day": "days"}


@cache
def source_freshness() -> dict[str, tuple[str, timedelta]]:
    """{raw table: (loaded_at_field, warn_after)} from the dbt manifest."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    result = {}
    for source in manifest["sources"].values():
        warn = (source.get("freshness") or {}).get("warn_after") or {}
        if source["source_name"] == "recruiting" and warn.get("count") and source.get("loaded_at_field"):
            result[source["name"]] = (
                source["loaded_at_field"], timedelta(**{PERIODS[warn["period"]]: warn["count"]}),
            )
    return result


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec("fresh", asset=["raw", name], blocking=False,
                          description="The newest row is younger than the source's warn_after (dbt sources YAML).")
        for name in RAW_TABLES
    ],
)
def raw_freshness():
    now = datetime.now(UTC).replace(tzinfo=None)
    for name in RAW_TABLES:
        field, warn_after = source_freshness()[name]
        # `field` is an expression from our own YAML (not data); the table name is ours too.
        newest = duckdb_query(f"select max({field}) as newest from raw.{name}")[0]["newest"]
        if newest is not None and newest.tzinfo is not None:
            newest = newest.astimezone(UTC).replace(tzinfo=None)
        age = None if newest is None else now - newest
        yield dg.AssetCheckResult(
            asset_key=["raw", name],
            check_name="fresh",
            passed=age is not None and age <= warn_after,
            severity=dg.AssetCheckSeverity.WARN,
            description=("no rows yet" if age is None else f"newest row {age.days} days old; warn after {warn_after}"),
            metadata={
                "newest": str(newest),
                "age_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                "warn_after_hours": warn_after.total_seconds() / 3600,
            },
        )
