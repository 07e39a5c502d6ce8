"""Spark SQL for the checks and serving: a query's rows, a table as Arrow, over the Thrift
server dbt builds on (``CAMPAIGN_DW_SPARK_METHOD=thrift``) or through a Spark session in this
process (configured like dbt's, or Spark Connect when ``SPARK_REMOTE`` is set)."""

from __future__ import annotations

import logging
import os

from campaign_dw.config import Settings
from campaign_dw.warehouse import hold_writer_lock_until_exit

_session = None


def session(settings: Settings):
    """A Spark session for the checks and serving, configured like dbt's (see module doc)."""
    global _session
    if _session is None:
        from pyspark.sql import SparkSession

        # A failing query raises (and the check reports it); pyspark would also print the
        # whole Java stack as JSON on stderr.
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)

        builder = SparkSession.builder
        if not os.environ.get("SPARK_REMOTE"):
            # A local Spark's embedded metastore (Derby) admits one process, and this one keeps
            # it until it ends: so it keeps the writer lock too, and the next run's dbt (another
            # process) waits for this run to end instead of failing on the metastore.
            if os.environ.get("CAMPAIGN_DW_SPARK_METHOD", "session") == "session":
                hold_writer_lock_until_exit(settings.paths)
            builder = builder.appName("campaign-dw checks").enableHiveSupport()
        # As in dbt-spark's sessions: casts that fail give NULL rather than an error.
        _session = builder.config("spark.sql.ansi.enabled", "false").getOrCreate()
    return _session


def over_thrift() -> bool:
    return os.environ.get("CAMPAIGN_DW_SPARK_METHOD", "session") == "thrift"


def _thrift_connection():
    """A connection to the Thrift server of dbt's profile (dbt_project/profiles.yml), its
    session in UTC as dbt's."""
    from pyhive import hive

    return hive.connect(
        host=os.environ.get("CAMPAIGN_DW_SPARK_HOST", "127.0.0.1"),
        port=int(os.environ.get("CAMPAIGN_DW_SPARK_PORT", "10000")),
        username=os.environ.get("CAMPAIGN_DW_SPARK_USER") or None,
        configuration={"spark.sql.session.timeZone": "UTC", "spark.sql.ansi.enabled": "false"},
    )


def _thrift_rows(sql: str) -> tuple[list[str], list[str], list[tuple]]:
    """(column names, HiveServer2 type names, rows) of a query over the Thrift server."""
    with _thrift_connection() as connection:
        cursor = connection.cursor()
        cursor.execute(sql)
        rows = cursor.fetchall()
        names = [d[0].split(".")[-1] for d in cursor.description]
        types = [d[1] for d in cursor.description]
        cursor.close()
        return names, types, rows


def _from_hive(type_name: str, value):
    """HiveServer2 returns timestamps, dates and decimals as text: the Python values the
    session path returns."""
    import datetime
    import decimal

    if not isinstance(value, str):  # None, numbers, and what PyHive already converted
        return value
    if type_name == "TIMESTAMP_TYPE":
        return datetime.datetime.fromisoformat(value)
    if type_name == "DATE_TYPE":
        return datetime.date.fromisoformat(value)
    if type_name == "DECIMAL_TYPE":
        return decimal.Decimal(value)
    return value


def _arrow_type(spark_type: str):
    import pyarrow as pa

    spark_type = spark_type.lower()
    if spark_type.startswith("decimal("):
        precision, scale = spark_type[len("decimal(") : -1].split(",")
        return pa.decimal128(int(precision), int(scale))
    return {
        "tinyint": pa.int8(),
        "smallint": pa.int16(),
        "int": pa.int32(),
        "bigint": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "string": pa.string(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "timestamp_ntz": pa.timestamp("us"),
    }[spark_type]


def arrow_table(settings: Settings, table: str):
    """A Spark table as Arrow, with the column types Spark holds (timestamps as the naive UTC
    values they hold)."""
    if not over_thrift():
        return frame(settings, f"select * from {table}").toArrow()
    import pyarrow as pa

    _, _, described = _thrift_rows(f"describe {table}")
    schema = []
    for name, data_type, _ in described:
        if not name or name.startswith("#"):  # the partition section, if any, repeats columns
            break
        schema.append(pa.field(name, _arrow_type(data_type)))
    names, types, rows = _thrift_rows(f"select * from {table}")
    assert names == [f.name for f in schema], (names, schema)
    columns = [[_from_hive(types[i], row[i]) for row in rows] for i in range(len(names))]
    return pa.Table.from_arrays(
        [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=pa.schema(schema)
    )


def frame(settings: Settings, sql: str):
    """A query on Spark as a DataFrame whose timestamps are the naive UTC values they hold
    (collected as they are, pyspark would shift them into this machine's zone)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import TimestampType

    result = session(settings).sql(sql)
    return result.select(
        *[
            F.col(f.name).cast("timestamp_ntz").alias(f.name)
            if isinstance(f.dataType, TimestampType)
            else F.col(f.name)
            for f in result.schema.fields
        ]
    )


def query(settings: Settings, sql: str) -> list[dict]:
    """Rows of a query on Spark, as dicts of Python values."""
    if over_thrift():
        names, types, rows = _thrift_rows(sql)
        return [{n: _from_hive(t, v) for n, t, v in zip(names, types, row, strict=True)} for row in rows]
    return [row.asDict() for row in frame(settings, sql).collect()]
