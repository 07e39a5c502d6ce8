"""The Spark engine: what the warehouse's Python side asks of the `spark` target."""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb

from campaign_dw.engine import Engine
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.spark import conf, raw
from campaign_dw.spark import sql as spark_sql

# Texts Spark reads as written in a literal: a Spark session may read quotes in a literal
# otherwise than by default (spark.sql.parser.escapedStringLiterals) and substitutes ${...}
# inside literals.
PLAIN_TEXT = re.compile(r"[\w.:/-]+")


class SparkEngine(Engine):
    """dbt builds on Spark (a local session, or a cluster's Thrift server); raw reaches it as
    Parquet exported from the DuckDB warehouse (see the package's doc)."""

    name = "spark"

    def prepare(self) -> None:
        conf.prepare(self.settings.paths)  # where Spark keeps its tables, for dbt and the checks alike

    def export_raw(self) -> dict[str, dict]:
        exported = raw.export_raw(self.settings.paths, self.settings.duckdb_config)
        return {name: {"rows_exported_to_spark": exported.get(name, 0)} for name in RAW_TABLES}

    def drop_outdated_tables(self) -> list[str]:
        # Parquet tables cannot drop a column: after an upgrade that changes the model layout a
        # Spark warehouse is rebuilt with --full-refresh (CHANGELOG.md).
        return []

    def query(self, sql: str) -> list[dict]:
        return spark_sql.query(self.settings, sql)

    def row_counts(self, relations: dict[str, str]) -> dict[str, int]:
        return {}  # not reported on Spark

    def copy_marts(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str]) -> None:
        # Marts are aggregates, small enough to pass through this process as Arrow.
        for table in tables:
            con.register("incoming", spark_sql.arrow_table(self.settings, f"marts.{table}"))
            con.execute(f"create table marts.{table} as select * from incoming")
            con.unregister("incoming")

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"  # Spark SQL escapes with a backslash

    def reads_literally(self, text: str) -> bool:
        return PLAIN_TEXT.fullmatch(text) is not None
