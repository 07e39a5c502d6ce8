"""The engine dbt builds the warehouse on (``CAMPAIGN_DW_TARGET``), behind one interface.

DuckDB keeps the load ledger and schema `raw` on every target; the engine holds what dbt
builds from it (staging, intermediate, marts, audit). The ingest asset, the dbt asset, the
checks and the serving copy call an `Engine` and never ask which target they are on:
`engine_for` is the one place that picks an engine by its name. `DuckDBEngine` is below;
`SparkEngine`, with everything else of Spark, is in campaign_dw/spark/.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

import duckdb

from campaign_dw.config import Settings
from campaign_dw.warehouse import connect, drop_tables_missing_columns, reader_lock


class Engine(ABC):
    """What an engine provides to the Python side of the warehouse."""

    # The dbt target (dbt_project/profiles.yml), also the SQL dialect MetricFlow renders
    # for it (campaign_dw.semantic).
    name: str
    # Whether the blocking recount may count an email from the flags an earlier passing
    # recount read (orchestration/defs/checks.py, recounted_emails): where the per-email
    # models rewrite the touched emails only. Elsewhere every email of the campaigns a build
    # touched is recounted from its events.
    counts_recounted_flags: bool = False

    def __init__(self, settings: Settings):
        self.settings = settings

    @abstractmethod
    def prepare(self) -> None:
        """Before a build or the UI starts: make sure what the engine needs is installed and set
        the environment dbt starts from. Raises RuntimeError saying what is missing."""

    @abstractmethod
    def export_raw(self) -> dict[str, dict]:
        """After new files loaded: make the raw tables readable where dbt builds. Returns extra
        metadata of the ingest asset per raw table (none where there is nothing to say)."""

    @abstractmethod
    def dbt_vars(self) -> dict[str, str]:
        """What dbt needs of the engine beyond the settings (Settings.dbt_vars), as `--vars`."""

    @abstractmethod
    def relation(self, name: str) -> str:
        """The name on the engine of the warehouse's relation `name` (`schema.table`, the schema
        as the dbt project names it: `marts.campaign_metrics`). Every query of the Python side
        names what dbt built through it."""

    @abstractmethod
    def drop_outdated_tables(self) -> list[str]:
        """Before an incremental dbt build: drop the tables of an earlier layout that dbt must
        rebuild (campaign_dw.warehouse.COLUMNS_ADDED). Returns their names."""

    @abstractmethod
    def query(self, sql: str) -> list[dict]:
        """Rows of a read-only query on what dbt built, as dicts of Python values."""

    @abstractmethod
    def row_counts(self, relations: dict[str, str]) -> dict[str, int]:
        """{key: rows} of the relations {key: schema.table} dbt built, for the assets' metadata;
        {} where the engine does not report them."""

    @abstractmethod
    def copy_marts(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
        """Create each of `tables` as `marts.<table>` in `con` (the serving copy being written),
        with the rows and column types of the engine's mart."""

    @abstractmethod
    def literal(self, text: str) -> str:
        """`text` as a string literal of the engine's SQL."""

    @abstractmethod
    def reads_literally(self, text: str) -> bool:
        """Whether `literal(text)` means `text` whatever the session's settings are; if not, a
        query must not name `text` as a literal."""


class DuckDBEngine(Engine):
    """dbt builds in the warehouse's DuckDB file itself, beside `raw`."""

    name = "duckdb"
    counts_recounted_flags = True  # the per-email models replace the touched emails' rows

    def prepare(self) -> None:
        pass  # DuckDB and dbt-duckdb are dependencies of the project

    def export_raw(self) -> dict[str, dict]:
        return {}  # dbt reads the raw views where the loader made them

    def dbt_vars(self) -> dict[str, str]:
        return {}  # the profile's path is the warehouse itself

    def relation(self, name: str) -> str:
        return name  # the warehouse file holds this warehouse only: its schemas' own names

    def drop_outdated_tables(self) -> list[str]:
        with connect(self.settings.paths.warehouse, config=self.settings.duckdb_config) as con:
            return drop_tables_missing_columns(con)

    def query(self, sql: str, parameters: list | None = None) -> list[dict]:
        paths = self.settings.paths
        with reader_lock(paths), connect(paths.warehouse, read_only=True, config=self.settings.duckdb_config) as con:
            cursor = con.execute(sql, parameters or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def row_counts(self, relations: dict[str, str]) -> dict[str, int]:
        if not relations:
            return {}
        rows = self.query(
            " union all ".join(
                f"select '{key}' as key, count(*) as n from {relation}" for key, relation in relations.items()
            )
        )
        return {r["key"]: r["n"] for r in rows}

    def copy_marts(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
        paths = self.settings.paths
        with reader_lock(paths):  # the warehouse is read only here
            con.execute("attach ? as warehouse (read_only)", [str(paths.warehouse)])
            for table in tables:
                con.execute(f"create table marts.{table} as select * from warehouse.marts.{table}")
            con.execute("detach warehouse")

    def literal(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"  # DuckDB escapes a quote by doubling it

    def reads_literally(self, text: str) -> bool:
        return True  # one quoting rule, no substitution inside literals


def engine_for(settings: Settings) -> Engine:
    """The engine of `settings.target`."""
    if settings.target == "spark":
        # Imported here, not above: campaign_dw.spark.engine builds on this module.
        from campaign_dw.spark.engine import SparkEngine

        return SparkEngine(settings)
    return DuckDBEngine(settings)
