"""Raw files -> schema `raw`: the ingestion assets upstream of the dbt sources (same keys)."""

import dagster as dg

from campaign_dw import build_record
from campaign_dw.loader import load_directory, prepare_raw
from campaign_dw.raw_contract import RAW_TABLES
from orchestration.defs.resources import WarehouseResource

# The files in the landing folder: not built here, the start of the lineage.
LANDING_FILES = dg.AssetSpec(
    ["landing", "raw_files"],
    group_name="raw",
    description="Raw files (CSV/Parquet, SPEC §2) in the landing folder the operator named "
    "(`--landing`, $CAMPAIGN_DW_LANDING, or the warehouse resource's `landing`).",
)

# The job that loads and builds everything (orchestration/defs/automation.py).
WAREHOUSE_JOB = "warehouse_job"
# A run that loads, builds the scope and publishes: the whole job (no selection, which an
# in-process run records as an empty one), not a subset launched from the UI.
WHOLE_JOB = {dg.AssetKey(["raw", "email_events"]), dg.AssetKey(["intermediate", "int_campaigns_touched"])}


def runs_the_whole_job(context: dg.AssetExecutionContext) -> bool:
    selected = context.run.asset_selection
    return context.run.job_name == WAREHOUSE_JOB and (
        not selected or WHOLE_JOB | {dg.AssetKey(["serving", "marts"])} <= selected
    )


NO_LANDING = (
    "no landing folder named (campaign-dw build --landing DIR, or CAMPAIGN_DW_LANDING): "
    "nothing loaded, the build uses what earlier loads brought"
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", name],
            group_name="raw",
            kinds={"duckdb"},
            description=f"raw.{name}: append-only history of the landed {name} files (SPEC §2).",
            deps=[LANDING_FILES],
        )
        for name in RAW_TABLES
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "no_refused_files",
            asset=["raw", name],
            description="Every file of this table in the landing folder loaded: none refused for its "
            "structure (unreadable, a required column missing). A refused file is named with its problem.",
        )
        for name in RAW_TABLES
    ],
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings
    outcomes = []
    if runs_the_whole_job(context):
        # What this run starts from, before it loads (campaign_dw/build_record.py).
        build_record.begin(settings, context.run.run_id)
    if settings.landing is None:
        context.log.info(NO_LANDING)
        prepare_raw(settings.paths, settings.duckdb_config)
    elif not settings.landing.is_dir():
        # The cause, first: a run's failure says why without a stack trace to read through.
        raise dg.Failure(
            description=f"the landing folder {settings.landing} is not a directory: "
            "set --landing / CAMPAIGN_DW_LANDING to the folder raw files arrive in"
        )
    else:
        outcomes = load_directory(
            settings.landing, settings.paths, settings.duckdb_config, settings.email_id_key
        ).outcomes
    # Raw made readable where dbt builds (for Spark, each new load is written out once as Parquet).
    exported = warehouse.engine.export_raw()
    for outcome in outcomes:
        log = context.log.warning if outcome.status == "refused" else context.log.info
        log(outcome.line())
    for name in RAW_TABLES:
        mine = [o for o in outcomes if o.table == name]
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata={
                "landing_dir": str(settings.landing) if settings.landing else "(none named)",
                "files_loaded": sum(o.status == "loaded" for o in mine),
                "files_skipped": sum(o.status == "skipped" for o in mine),
                "rows_loaded": sum(o.rows for o in mine if o.status == "loaded"),
                **exported.get(name, {}),
            },
        )
    for outcome in outcomes:
        if outcome.status == "refused" and outcome.table is None:
            context.log.warning(f"not loaded, belongs to no raw table: {outcome.line()}")
    # A refused file is a warning, not a blocker: the other files loaded, and the file stays
    # in the landing folder to be fixed and loaded again.
    for name in RAW_TABLES:
        refused = [o for o in outcomes if o.table == name and o.status == "refused"]
        yield dg.AssetCheckResult(
            asset_key=["raw", name],
            check_name="no_refused_files",
            passed=not refused,
            severity=dg.AssetCheckSeverity.WARN,
            description="; ".join(f"{o.path}: {o.message}" for o in refused) or None,
            metadata={
                "refused_files": len(refused),
                "refused": dg.MetadataValue.json([{"file": str(o.path), "problem": o.message} for o in refused]),
            },
        )


defs = dg.Definitions(assets=[LANDING_FILES, raw_tables])
