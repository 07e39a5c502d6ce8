"""The Spark engine: what the warehouse's Python side asks of the `spark` target."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import duckdb

from campaign_dw.config import Paths
from campaign_dw.engine import Engine
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.spark import conf, raw
from campaign_dw.spark import sql as spark_sql

# Texts Spark reads as written in a literal: a Spark session may read quotes in a literal
# otherwise than by default (spark.sql.parser.escapedStringLiterals) and substitutes ${...}
# inside literals.
PLAIN_TEXT = re.compile(r"[\w.:/-]+")
# A schema prefix Spark reads unquoted, as the metastore keeps it (in lower case).
SCHEMA_PREFIX = re.compile(r"[a-z0-9_]+")


def schema_prefix(paths: Paths) -> str:
    """The prefix of this warehouse's schemas on Spark (`<prefix>_marts`, ...), so that one
    metastore (a cluster's Thrift server) holds several warehouses apart:
    CAMPAIGN_DW_SPARK_SCHEMA_PREFIX, or the warehouse file's name in lower case, other
    characters as `_` (`campaign_dw.duckdb`: `campaign_dw`). Raises RuntimeError for a prefix
    Spark cannot read unquoted. (dbt refuses to build into schemas another warehouse has
    claimed: macros/generate_schema_name.sql.)"""
    value = os.environ.get("CAMPAIGN_DW_SPARK_SCHEMA_PREFIX")
    if not value:
        value = re.sub(r"[^a-z0-9_]+", "_", paths.warehouse.stem.lower()).strip("_") or "campaign_dw"
    if not SCHEMA_PREFIX.fullmatch(value):
        raise RuntimeError(f"CAMPAIGN_DW_SPARK_SCHEMA_PREFIX={value!r}: use lower-case letters, digits and _ only")
    return value


class SparkEngine(Engine):
    """dbt builds on Spark (a local session, or a cluster's Thrift server); raw reaches it as
    Parquet exported from the DuckDB warehouse (see the package's doc)."""

    name = "spark"

    def prepare(self) -> None:
        schema_prefix(self.settings.paths)  # a prefix Spark cannot read is said before anything runs
        conf.prepare(self.settings.paths)  # where Spark keeps its tables, for dbt and the checks alike

    def export_raw(self) -> dict[str, dict]:
        exported = raw.export_raw(self.settings.paths, self.settings.duckdb_config)
        return {name: {"rows_exported_to_spark": exported.get(name, 0)} for name in RAW_TABLES}

    def dbt_vars(self) -> dict[str, str]:
        # As vars, not through the environment, which a process that builds another warehouse
        # afterwards would still carry.
        return {
            "spark_schema_prefix": schema_prefix(self.settings.paths),
            "spark_raw": str(raw.raw_dir(self.settings.paths)),
        }

    def relation(self, name: str) -> str:
        return f"{schema_prefix(self.settings.paths)}_{name}"

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
            con.register("incoming", spark_sql.arrow_table(self.settings, self.relation(f"marts.{table}")))
            con.execute(f"create table marts.{table} as select * from incoming")
            con.unregister("incoming")

    def literal(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"  # Spark SQL escapes with a backslash

    def reads_literally(self, text: str) -> bool:
        return PLAIN_TEXT.fullmatch(text) is not None
