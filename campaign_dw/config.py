"""Where things live, and the settings a warehouse is run with.

This package (`campaign_dw`) is the library: loading, serving, synthetic data. It knows
nothing of Dagster; `orchestration` runs it. Settings reach the library as a `Settings`
value: the command line builds one from its flags and the environment (`Settings.from_env`),
the Dagster code location from the environment it is started with. Every path handed to dbt
or Dagster is absolute.

Environment variables (all optional):

- ``CAMPAIGN_DW_WAREHOUSE``  the DuckDB file (default ``<project>/warehouse/campaign_dw.duckdb``)
- ``CAMPAIGN_DW_LANDING``    the folder builds, the schedule and the sensor load new files from
  (none by default: then they load nothing)
- ``CAMPAIGN_DW_TARGET``     the engine dbt builds on: ``duckdb`` (default) or ``spark``
- ``CAMPAIGN_DW_DUCKDB_THREADS`` / ``CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT``  DuckDB resources
- ``CAMPAIGN_DW_DBT_THREADS``  dbt model parallelism
- ``CAMPAIGN_DW_EMAIL_ID_KEY``  the key of the email_id in an email service's custom metadata
  (default ``email_id``; SPEC §2c, campaign_dw/providers.py)
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

# What `dbt parse` reads (dbt_project.yml's paths): a change to any of them, an added or a
# removed file included (its folder's mtime), makes the manifest stale
# (orchestration/defs/dbt.py), and gives a build after it work to do (build_record.py).
DBT_SOURCES = (
    "dbt_project.yml",
    "profiles.yml",
    "packages.yml",
    "dependencies.yml",
    "models",
    "macros",
    "seeds",
    "tests",
    "snapshots",
    "analyses",
)

SAMPLE_DIR = PROJECT_DIR / "seeds"
# dbt from the same environment as this package (the venv need not be on PATH).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
TARGETS = ("duckdb", "spark")
EMAIL_ID_KEY = "email_id"


@dataclass(frozen=True)
class Paths:
    """Everything that belongs to one warehouse lives beside its DuckDB file."""

    warehouse: Path

    @property
    def root(self) -> Path:
        return self.warehouse.parent

    def _beside(self, suffix: str) -> Path:
        return self.root / f"{self.warehouse.stem}{suffix}"

    @property
    def serving_database(self) -> Path:
        return self._beside("_serving.duckdb")

    @property
    def parquet_dir(self) -> Path:
        return self.root / "marts_parquet"

    @property
    def parquet_versions_dir(self) -> Path:
        return self.root / "marts_parquet_versions"

    @property
    def landed_dir(self) -> Path:
        """The landing store: every loaded file, immutable, as Parquet (campaign_dw/loader.py).
        Part of the warehouse: copy or back it up together with the DuckDB file."""
        return self._beside("_landed")

    @property
    def lock_file(self) -> Path:
        return self._beside(".writer.lock")

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance of this warehouse (runs, events, schedules)."""
        return self._beside("_dagster")

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's artifacts and parse state for this warehouse (reused by the next run)."""
        return self._beside("_dbt_target")

    @property
    def recount_mark(self) -> Path:
        """How far the blocking recount has checked the email flags (orchestration/defs/checks.py)."""
        return self._beside("_recounted.json")

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def spark_dir(self) -> Path:
        """The local Spark warehouse of the `spark` target: raw Parquet, tables, metastore."""
        return self._beside("_spark")


def warehouse_path(value: str | os.PathLike | None = None) -> Path:
    value = value or os.environ.get("CAMPAIGN_DW_WAREHOUSE")
    path = Path(value) if value else PROJECT_DIR / "warehouse" / "campaign_dw.duckdb"
    return path.expanduser().resolve()


def paths(value: str | os.PathLike | None = None) -> Paths:
    return Paths(warehouse_path(value))


@dataclass(frozen=True)
class Settings:
    """How one warehouse is run: which file, which engine, where new files land, resources."""

    warehouse: Path
    target: str = "duckdb"
    landing: Path | None = None
    duckdb_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    duckdb_memory_limit: str = "80%"
    dbt_threads: int = 2
    # Where the tool puts the email_id in the custom metadata of what it sends through an email
    # service (SendGrid custom args, Mailgun user-variables, SES tags, Postmark Metadata).
    email_id_key: str = EMAIL_ID_KEY

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"target {self.target!r}: expected one of {', '.join(TARGETS)}")
        if not self.email_id_key.strip():
            raise ValueError("email_id_key: the metadata key of the email_id cannot be empty")

    @property
    def paths(self) -> Paths:
        return Paths(self.warehouse)

    @property
    def duckdb_config(self) -> dict[str, str]:
        """DuckDB settings of every connection to the warehouse (loader, checks, serving)."""
        return {"threads": str(self.duckdb_threads), "memory_limit": self.duckdb_memory_limit}

    def dbt_vars(self) -> dict[str, str | int]:
        """What dbt's profile (dbt_project/profiles.yml) reads through `--vars`."""
        return {
            "warehouse": str(self.warehouse),
            "target": self.target,
            "duckdb_threads": self.duckdb_threads,
            "duckdb_memory_limit": self.duckdb_memory_limit,
            "dbt_threads": self.dbt_threads,
        }

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls,
        warehouse: str | os.PathLike | None = None,
        target: str | None = None,
        landing: str | os.PathLike | None = None,
    ) -> Settings:
        """Flags first, then the environment, then the defaults."""
        env = os.environ
        landing = landing or env.get("CAMPAIGN_DW_LANDING") or None
        if target is None and env.get("CAMPAIGN_DW_TARGET", "duckdb") not in TARGETS:
            raise ValueError(f"CAMPAIGN_DW_TARGET={env['CAMPAIGN_DW_TARGET']!r}: expected one of {', '.join(TARGETS)}")
        defaults = cls(warehouse=warehouse_path(warehouse))
        return cls(
            warehouse=warehouse_path(warehouse),
            target=target or env.get("CAMPAIGN_DW_TARGET") or "duckdb",
            landing=Path(landing).expanduser().resolve() if landing else None,
            duckdb_threads=int(env.get("CAMPAIGN_DW_DUCKDB_THREADS") or defaults.duckdb_threads),
            duckdb_memory_limit=env.get("CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT") or defaults.duckdb_memory_limit,
            dbt_threads=int(env.get("CAMPAIGN_DW_DBT_THREADS") or defaults.dbt_threads),
            email_id_key=env.get("CAMPAIGN_DW_EMAIL_ID_KEY") or EMAIL_ID_KEY,
        )
