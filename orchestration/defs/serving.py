"""Publish the marts for BI tools once every check on them passed (see campaign_dw.serving)."""

import dagster as dg

from campaign_dw import build_record
from campaign_dw.serving import MART_TABLES, publish
from orchestration.defs.dbt import mart_descriptions, project_vars
from orchestration.defs.ingest import runs_the_whole_job
from orchestration.defs.resources import WarehouseResource

# Any run that rebuilds a mart (an asset page's "Materialize", say) is followed by a publish
# once its blocking checks passed: the marts' runs need not select serving themselves. Runs
# of warehouse_job publish in the run; the condition then sees serving up to date.
PUBLISH_AFTER_CHECKED_MARTS = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
    & ~dg.AutomationCondition.any_deps_match(
        dg.AutomationCondition.any_checks_match(dg.AutomationCondition.check_failed(), blocking_only=True)
    )
).with_label("a mart was rebuilt and no blocking check of the marts failed")


@dg.asset(
    key=["serving", "marts"],
    automation_condition=PUBLISH_AFTER_CHECKED_MARTS,
    group_name="serving",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey(["marts", table]) for table in MART_TABLES] + [dg.AssetKey(["audit", "raw_row_reconciliation"])],
    description="The serving DuckDB file and Parquet folder BI tools read: replaced atomically after a "
    "run whose blocking checks passed (`campaign-dw info` prints the paths). Readable by every DuckDB "
    "client from 1.0 on; the marts' dbt descriptions are its table and column comments.",
)
def serving_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    published = publish(
        warehouse.settings,
        run_id=context.run.run_id,
        descriptions=mart_descriptions(),
        definitions=project_vars(),
        parquet_grace_seconds=warehouse.parquet_grace_seconds,
    )
    if runs_the_whole_job(context):
        # The whole job completed: a build with nothing new can now end at once.
        reconciliation = warehouse.engine.relation("audit.raw_row_reconciliation")
        reconciled = warehouse.query(f"select table_name, last_raw_row_id from {reconciliation}")
        build_record.complete(
            warehouse.settings, context.run.run_id, {r["table_name"]: r["last_raw_row_id"] for r in reconciled}
        )
    return dg.MaterializeResult(
        metadata={
            "serving_database": dg.MetadataValue.path(str(warehouse.paths.serving_database)),
            "parquet_dir": dg.MetadataValue.path(str(warehouse.paths.parquet_dir)),
            **{f"rows/{table}": count for table, count in published["rows"].items()},
        }
    )


publish_serving = dg.AutomationConditionSensorDefinition(
    "publish_serving",
    target=dg.AssetSelection.assets(serving_marts),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
    description="Publishes serving after a run that rebuilt marts without publishing (a run started from an "
    "asset page, say), once the marts' blocking checks passed.",
)

defs = dg.Definitions(assets=[serving_marts], sensors=[publish_serving])
