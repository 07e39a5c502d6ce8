"""The dbt project as Dagster assets: one asset per model and seed, dbt tests as asset checks."""

import json
from collections.abc import Iterator, Mapping
from functools import cache, cached_property
from typing import Any

import dagster as dg
import yaml
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dbt.version import __version__ as dbt_version
from packaging import version

from campaign_dw.config import DBT_EXECUTABLE, DBT_PROJECT_DIR, DBT_SOURCES
from orchestration.defs.resources import WarehouseResource


def manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than a dbt source."""
    try:
        parsed = project.manifest_path.stat().st_mtime
    except FileNotFoundError:
        return True
    for name in DBT_SOURCES:
        source = project.project_dir / name
        if not source.exists():
            continue
        entries = [source, *source.rglob("*")] if source.is_dir() else [source]
        if any(entry.stat().st_mtime > parsed for entry in entries):
            return True
    return False


@cache
def dbt_project() -> DbtProject:
    """Built once per process. The manifest is prepared by `make` (`campaign-dw parse`), not
    at import. Under the UI (`dg dev`) the project is re-parsed when a dbt source is newer
    than the manifest, so that edits show up after a reload; dagster-dbt's prepare_if_dev()
    would parse in every process, each run worker included, before the run can start."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if project.preparer.using_dagster_dev() and manifest_is_stale(project):
        project.preparer.prepare(project)
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {project.manifest_path} is missing: run `make setup` (or `campaign-dw parse`)"
        )
    return project


@cache
def mart_descriptions() -> dict[str, dict]:
    """{mart: {"description": ..., "columns": {column: description}}} from the dbt manifest:
    the definitions travel with the data into the serving copy (campaign_dw.serving)."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return {
        node["name"]: {
            "description": node.get("description") or "",
            "columns": {name: column.get("description") or "" for name, column in node.get("columns", {}).items()},
        }
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


@cache
def project_vars() -> dict[str, str]:
    """The dbt vars of dbt_project.yml: what the definitions are computed with (published with
    the marts, so that a reader knows the open-tracking dates, say)."""
    return {
        name: str(value)
        for name, value in (yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()).get("vars") or {}).items()
    }


@cache
def manifest_nodes() -> dict[str, dict]:
    return json.loads(dbt_project().manifest_path.read_text())["nodes"]


DOCS_URL = "http://127.0.0.1:8080/#!/{kind}/{unique_id}"  # `campaign-dw docs` serves it (default port)


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys `<schema>/<name>` (raw/email_events, marts/campaign_metrics, ...) and one
    group per schema, so that lineage reads file -> raw -> staging -> intermediate -> marts;
    each asset links to its page of the dbt docs site."""

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        kind = "source" if dbt_resource_props["resource_type"] == "source" else "model"
        return {
            **super().get_metadata(dbt_resource_props),
            "dbt docs (campaign-dw docs)": dg.MetadataValue.url(
                DOCS_URL.format(kind=kind, unique_id=dbt_resource_props["unique_id"])
            ),
        }

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props["schema"]


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=WarehouseTranslator(),
)
def warehouse_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig
):
    # Unit tests check the definitions against fixed rows, not the data: they run in CI
    # (tests/test_dbt_project.py), not in every production build (dbt Labs' advice).
    dbt_vars = {**warehouse.settings.dbt_vars(), **warehouse.engine.dbt_vars()}
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)]
    if config.full_refresh:
        args.append("--full-refresh")
    else:
        for table in warehouse.engine.drop_outdated_tables():
            context.log.info(f"{table} is of an earlier layout: rebuilt for every campaign in this build")
    # One target folder per warehouse: dbt keeps its parse state there, and the next run
    # against the same warehouse (same profile) re-parses only what changed.
    invocation = dbt.cli(args, context=context, target_path=warehouse.paths.dbt_target_dir)
    yield from with_row_counts(invocation.stream(), warehouse)


def with_row_counts(events: Iterator, warehouse: WarehouseResource) -> Iterator:
    """dbt's events, each table's materialization with its row count (`dagster/row_count`).
    The counts are read once dbt has ended: while it runs, its process holds the DuckDB file.
    (dagster-dbt's fetch_row_counts() queries during the run through an adapter of its own,
    which DuckDB's single writer does not allow.)"""
    seen = []
    try:
        for event in events:
            seen.append(event)
    except Exception:
        # What succeeded before the failure is still recorded, without counts: dbt may still
        # hold the DuckDB file, and the failure's own cause must be the one reported.
        yield from seen
        raise
    counts = _row_counts(seen, warehouse)
    built = {_unique_id(event) for event in seen if isinstance(event, dg.Output)}
    scope = _scope_metadata(warehouse, EMAILS_SCOPE_MODEL in built) if SCOPE_MODEL in built else {}
    for event in seen:
        unique_id = _unique_id(event)
        if isinstance(event, dg.Output) and unique_id in counts:
            event = event.with_metadata({**event.metadata, "dagster/row_count": counts[unique_id]})
        if isinstance(event, dg.Output) and unique_id == SCOPE_MODEL:
            event = event.with_metadata({**event.metadata, **scope})
        yield event


# The models that decide which campaigns, and which of their emails, a build recomputes
# (docs/incremental.md).
SCOPE_MODEL = "model.campaign_dw.int_campaigns_touched"
EMAILS_SCOPE_MODEL = "model.campaign_dw.int_emails_touched"


def _scope_metadata(warehouse: WarehouseResource, emails_built: bool) -> dict:
    """What this build recomputed, shown on int_campaigns_touched's materialization in the UI
    and by `campaign-dw info`: how many campaigns, by reason (and what the per-email models
    recounted of them), and the state the build started
    from (build_state: with it, `dbt compile` of a model gives the SQL the build ran)."""
    relation = warehouse.engine.relation
    by_reason = {
        r["reason"]: r["campaigns"]
        for r in warehouse.query(
            f"select reason, count(*) as campaigns from {relation('intermediate.int_campaigns_touched')} "
            "group by reason order by campaigns desc, reason"
        )
    }
    state = warehouse.query(f"select last_completed_build, watermarks from {relation('intermediate.build_state')}")
    # The per-email models recount the campaigns marked whole, and only the touched emails of
    # the others (docs/incremental.md): told when this build decided those emails (a run that
    # did not build int_emails_touched would show an earlier build's).
    per_email = {}
    if emails_built:
        (emails,) = warehouse.query(
            f"select (select count(*) from {relation('intermediate.int_campaigns_touched')} where whole_campaign)"
            f" as whole, (select count(*) from {relation('intermediate.int_emails_touched')}) as emails"
        )
        per_email = {
            "per_email_models/campaigns_recounted_whole": dg.MetadataValue.int(emails["whole"]),
            "per_email_models/touched_emails_recounted": dg.MetadataValue.int(emails["emails"]),
        }
    return {
        "campaigns_recomputed": dg.MetadataValue.int(sum(by_reason.values())),
        "recomputed_by_reason": dg.MetadataValue.json(by_reason),
        **per_email,
        "started_from": dg.MetadataValue.json(
            {
                "last_completed_build": json.loads(state[0]["last_completed_build"]),
                "watermarks": json.loads(state[0]["watermarks"]),
            }
            if state
            else {}
        ),
    }


def _unique_id(event) -> str | None:
    value = getattr(event, "metadata", {}).get("unique_id")
    return getattr(value, "text", value)


def _row_counts(events: list, warehouse: WarehouseResource) -> dict[str, int]:
    tables = {}
    for event in events:
        node = manifest_nodes().get(_unique_id(event) or "")
        if node and node["resource_type"] == "model" and node["config"]["materialized"] != "view":
            schema = node["config"].get("schema") or node["schema"]  # as configured, whatever the parse's target
            tables[node["unique_id"]] = warehouse.engine.relation(f"{schema}.{node['alias'] or node['name']}")
    return warehouse.engine.row_counts(tables)


class WarehouseDbtResource(DbtCliResource):
    """Runs dbt (`dbt build`) for the warehouse's models and tests. Starts dbt once per run:
    dagster-dbt's `dbt --version` call and its in-process dbt adapter (for metadata this
    project does not fetch) are skipped: seconds of every run's fixed cost (benchmarks/README.md)."""

    # The one place that reaches into dagster-dbt's private members (dagster-dbt 0.29, pinned
    # with dagster). tests/test_definitions.py fails loudly when an upgrade changes them.
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version)  # the executable is this environment's dbt-core

    def _initialize_dbt_core_adapter(self, args):
        return None


defs = dg.Definitions(
    assets=[warehouse_dbt_models],
    resources={
        "dbt": WarehouseDbtResource(
            project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
        )
    },
)
