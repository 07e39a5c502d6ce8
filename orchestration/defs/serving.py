"""Publish the marts for BI tools once every check on them passed (see campaign_dw.serving)."""

import dagster as dg

from campaign_dw.serving import MART_TABLES, publish
from orchestration.defs.dbt import mart_descriptions, project_vars
from orchestration.defs.resources import WarehouseResource


@dg.asset(
    key=["serving", "marts"],
    group_name="serving",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey(["marts", table]) for table in MART_TABLES]
    + [dg.AssetKey(["audit", "raw_row_reconciliation"])],
    description="The serving DuckDB file and Parquet folder BI tools read: replaced atomically after a "
    "run whose blocking checks passed (`campaign-dw info` prints the paths). Readable by every DuckDB "
    "client from 1.0 on; the marts' dbt descriptions are its table and column comments.",
)
def serving_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    published = publish(
        warehouse.settings, run_id=context.run.run_id, descriptions=mart_descriptions(), definitions=project_vars(),
        parquet_grace_seconds=warehouse.parquet_grace_seconds,
    )
    return dg.MaterializeResult(
        metadata={
            "serving_database": dg.MetadataValue.path(str(warehouse.paths.serving_database)),
            "parquet_dir": dg.MetadataValue.path(str(warehouse.paths.parquet_dir)),
            **{f"rows/{table}": count for table, count in published["rows"].items()},
        }
    )


defs = dg.Definitions(assets=[serving_marts])
