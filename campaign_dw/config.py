"""Where things live. Every path handed to dbt or Dagster is absolute.

Settings come from the environment so that the CLI, Dagster runs and dbt agree:

- ``CAMPAIGN_DW_WAREHOUSE``  the DuckDB file (default ``<project>/warehouse/campaign_dw.duckdb``)
- ``CAMPAIGN_DW_LANDING``    the folder the sensor and the ingest asset read (default ``<project>/seeds``)
- ``CAMPAIGN_DW_DUCKDB_THREADS`` / ``CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT``  DuckDB resources
- ``CAMPAIGN_DW_DBT_THREADS``  dbt model parallelism
- ``CAMPAIGN_DW_TARGET``     the engine dbt builds on: ``duckdb`` (default) or ``spark``
  (see campaign_dw.spark for the Spark settings)
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
SAMPLE_DIR = PROJECT_DIR / "seeds"
# dbt from the same environment as this package (the venv need not be on PATH).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


@dataclass(frozen=True)
class Paths:
    warehouse: Path

    @property
    def root(self) -> Path:
        return self.warehouse.parent

    @property
    def serving_database(self) -> Path:
        return self.root / f"{self.warehouse.stem}_serving.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self.root / "marts_parquet"

    @property
    def state_file(self) -> Path:
        return self.root / f"{self.warehouse.stem}_last_run.json"

    @property
    def lock_file(self) -> Path:
        return self.root / f"{self.warehouse.stem}.writer.lock"

    @property
    def spark_dir(self) -> Path:
        """The local Spark warehouse of the `spark` target: raw Parquet, tables, metastore."""
        return self.root / f"{self.warehouse.stem}_spark"


def warehouse_path(override: str | os.PathLike | None = None) -> Path:
    value = override or os.environ.get("CAMPAIGN_DW_WAREHOUSE")
    path = Path(value) if value else PROJECT_DIR / "warehouse" / "campaign_dw.duckdb"
    return path.expanduser().resolve()


def paths(override: str | os.PathLike | None = None) -> Paths:
    return Paths(warehouse_path(override))


TARGETS = ("duckdb", "spark")


def target() -> str:
    """The dbt target (engine) the pipeline builds on."""
    value = os.environ.get("CAMPAIGN_DW_TARGET", "duckdb")
    if value not in TARGETS:
        raise ValueError(f"CAMPAIGN_DW_TARGET={value!r}: expected one of {', '.join(TARGETS)}")
    return value


def landing_dir() -> Path:
    value = os.environ.get("CAMPAIGN_DW_LANDING")
    return Path(value).expanduser().resolve() if value else SAMPLE_DIR


def duckdb_settings() -> dict[str, str]:
    """DuckDB resource settings shared by the loader, the checks and serving."""
    settings: dict[str, str] = {}
    if threads := os.environ.get("CAMPAIGN_DW_DUCKDB_THREADS"):
        settings["threads"] = threads
    if memory := os.environ.get("CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT"):
        settings["memory_limit"] = memory
    return settings
