"""The warehouse every asset, check and sensor works on, as one Dagster resource; and the
executor every run uses.

`WarehouseResource` carries the settings of one warehouse (campaign_dw.config.Settings): its
DuckDB file, the engine dbt builds on, the landing folder new files come from, DuckDB's and
dbt's resources. The code location builds it from the environment it starts in (`campaign-dw
ui` sets it from its flags); `campaign-dw build` passes its own as run resources. In the UI's
Launchpad it is the `warehouse` resource's config.

A run holds the warehouse from its start to its end (the resource's set-up takes the
warehouse's writer lock, its tear-down releases it): whether it was started by the command
line, the schedule, the sensor or the UI, no other run or load can change the warehouse
between a run's checks and the publishing of its marts. A second run waits for the first.
That needs the whole run in one process, which the in-process executor gives (and is the
right executor anyway: DuckDB has one writer, and the steps share nothing but the file).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from campaign_dw.config import Paths, Settings
from campaign_dw.engine import DuckDBEngine, Engine, engine_for
from campaign_dw.warehouse import writer_lock


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse this code location builds: its DuckDB file (the serving copy, Parquet
    marts and this Dagster instance live beside it), the engine dbt builds on, and the folder
    new raw files are loaded from (empty: none, a run loads nothing), the key of the email_id in
    an email service's event metadata (SPEC §2c). A run holds the
    warehouse from start to end; a second run waits. failure_webhook_url: where a failed run
    is announced (JSON with a Slack-compatible `text`); empty: nowhere."""

    warehouse: str
    target: str = "duckdb"
    landing: str = ""
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "80%"
    dbt_threads: int = 2
    email_id_key: str = "email_id"
    parquet_grace_seconds: int = 3600
    failure_webhook_url: str = ""

    _held: contextlib.ExitStack | None = PrivateAttr(default=None)
    _engine: Engine | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings, **extra) -> WarehouseResource:
        return cls(
            warehouse=str(settings.warehouse),
            target=settings.target,
            landing=str(settings.landing) if settings.landing else "",
            duckdb_threads=settings.duckdb_threads,
            duckdb_memory_limit=settings.duckdb_memory_limit,
            dbt_threads=settings.dbt_threads,
            email_id_key=settings.email_id_key,
            **extra,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            warehouse=Path(self.warehouse),
            target=self.target,
            landing=Path(self.landing) if self.landing else None,
            duckdb_threads=self.duckdb_threads,
            duckdb_memory_limit=self.duckdb_memory_limit,
            dbt_threads=self.dbt_threads,
            email_id_key=self.email_id_key,
        )

    @property
    def paths(self) -> Paths:
        return self.settings.paths

    @property
    def engine(self) -> Engine:
        """The engine dbt builds on (campaign_dw.engine), chosen once from the settings."""
        if self._engine is None:
            self._engine = engine_for(self.settings)
        return self._engine

    # --- a run holds the warehouse from start to end ---------------------------------------

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.dagster_run is None:
            return  # a sensor or schedule evaluating, not a run: it only reads settings
        held = contextlib.ExitStack()
        if context.log:
            context.log.info(f"taking the warehouse {self.warehouse} (a run in progress on it makes this one wait)")
        held.enter_context(writer_lock(self.paths))
        self._held = held
        self.engine.prepare()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    # --- reading the warehouse --------------------------------------------------------------

    def duckdb_query(self, sql: str, parameters: list | None = None) -> list[dict]:
        """Rows of a read-only query on the DuckDB warehouse (which holds `raw` on every target)."""
        return DuckDBEngine(self.settings).query(sql, parameters)

    def query(self, sql: str) -> list[dict]:
        """Rows of a read-only query on the engine the marts were built on, as dicts."""
        return self.engine.query(sql)


def warehouse_from_environment() -> WarehouseResource:
    """The warehouse of the environment the code location starts in (campaign-dw ui sets it)."""
    return WarehouseResource.from_settings(
        Settings.from_env(), failure_webhook_url=os.environ.get("CAMPAIGN_DW_FAILURE_WEBHOOK_URL", "")
    )


defs = dg.Definitions(
    resources={"warehouse": warehouse_from_environment()},
    executor=dg.in_process_executor,
)
