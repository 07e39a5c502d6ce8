"""Publish the marts for BI tools once every check on them passed (see campaign_dw.serving)."""


import dagster as dg

from campaign_dw.config import paths
from campaign_dw.serving import MART_TABLES, publish


@dg.asset(
    key=["serving", "marts"],
    group_name="serving",
    kinds={"duckdb", "parquet"},
    deps=[dg.AssetKey(["marts", table]) for table in MART_TABLES]
    + [dg.AssetKey(["audit", "raw_row_reconciliation"])],
    description="The serving DuckDB file and Parquet folder BI tools read: replaced atomically after a "
    "run whose blocking checks passed (`campaign-dw info` prints the paths).",
)
def serving_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    # publish takes the warehouse's reader lock itself, only where it reads the warehouse: with
    # the spark target it reads Spark, whose session may have to take the writer lock first.
    published = publish(paths(), run_id=context.run.run_id)
    return dg.MaterializeResult(
        metadata={
            "serving_database": str(paths().serving_database),
            "parquet_dir": str(paths().parquet_dir),
            **{f"rows/{table}": count for table, count in published["rows"].items()},
        }
    )
