"""Raw files -> schema `raw`: the ingestion assets upstream of the dbt sources (same keys)."""


from pathlib import Path

import dagster as dg

from campaign_dw.config import landing_dir, paths, target
from campaign_dw.loader import load_directory
from campaign_dw.raw_contract import RAW_TABLES

# The files in the landing folder: not built here, the start of the lineage.
LANDING_FILES = dg.AssetSpec(
    ["landing", "raw_files"],
    group_name="raw",
    description="Raw files (CSV/Parquet, SPEC §2) in the landing folder ($CAMPAIGN_DW_LANDING, default seeds/).",
)


class LandingConfig(dg.Config):
    landing_dir: str = ""  # empty: $CAMPAIGN_DW_LANDING, or the sample in seeds/

    def directory(self) -> Path:
        return Path(self.landing_dir).resolve() if self.landing_dir else landing_dir()


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
    check_specs=[dg.AssetCheckSpec("no_refused_files", asset=["raw", name]) for name in RAW_TABLES],
    pool="warehouse_writer",
)
def raw_tables(context: dg.AssetExecutionContext, config: LandingConfig):
    directory = config.directory()
    report = load_directory(directory, paths())
    # The spark target reads raw from Parquet: each new load is written out once.
    exported = {}
    if target() == "spark":
        from campaign_dw.spark import export_raw

        exported = export_raw(paths())
    for outcome in report.outcomes:
        log = context.log.warning if outcome.status == "refused" else context.log.info
        log(outcome.line())
    for name in RAW_TABLES:
        mine = [o for o in report.outcomes if o.table == name]
        yield dg.MaterializeResult(
            asset_key=["raw", name],
            metadata={
                "landing_dir": str(directory),
                "files_loaded": sum(o.status == "loaded" for o in mine),
                "files_skipped": sum(o.status == "skipped" for o in mine),
                "rows_loaded": sum(o.rows for o in mine if o.status == "loaded"),
                **({"rows_exported_to_spark": exported.get(name, 0)} if target() == "spark" else {}),
            },
        )
    for outcome in report.outcomes:
        if outcome.status == "refused" and outcome.table is None:
            context.log.warning(f"not loaded, belongs to no raw table: {outcome.line()}")
    # A refused file is a warning, not a blocker: the other files loaded, and the file stays
    # in the landing folder to be fixed and loaded again.
    for name in RAW_TABLES:
        refused = [o for o in report.outcomes if o.table == name and o.status == "refused"]
        yield dg.AssetCheckResult(
            asset_key=["raw", name],
            check_name="no_refused_files",
            passed=not refused,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "refused_files": len(refused),
                "refused": dg.MetadataValue.json([{"file": str(o.path), "problem": o.message} for o in refused]),
            },
        )


defs = dg.Definitions(assets=[LANDING_FILES, raw_tables])
