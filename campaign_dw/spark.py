"""The `spark` target: the same dbt project on Apache Spark.

How the pieces meet:

- Raw data. `campaign-dw load` lands files in DuckDB as always (exactly-once ledger, lineage,
  refused files reported). ``export_raw`` then writes each load of each raw table once as a
  Parquet file under ``$CAMPAIGN_DW_SPARK_RAW/<table>/`` (all columns text plus the lineage
  columns, ``_row_id`` included), and the dbt project registers those folders as Parquet
  tables ``raw.<table>`` on Spark at the start of every run (macro register_raw_tables).
- Spark itself. With ``method: session`` (the default) dbt starts a local Spark inside its
  process. ``prepare`` writes a ``spark-defaults.conf`` for it (unless ``SPARK_CONF_DIR`` is
  already set): the table files and the Hive metastore live in ``<warehouse>_spark/``, the
  session time zone is UTC. For a cluster, ``CAMPAIGN_DW_SPARK_METHOD=thrift|http`` and the
  ``CAMPAIGN_DW_SPARK_*`` connection variables in dbt_project/profiles.yml.
- The Python checks and serving read the Spark tables through Spark SQL (``query``,
  ``arrow_table``): with ``method: thrift`` over the same Thrift server dbt builds on (PyHive;
  campaign_dw/spark_cluster.py starts one on this machine), else a Spark session in the Dagster
  run's process, configured like dbt's (or Spark Connect when ``SPARK_REMOTE`` is set).

Settings: ``CAMPAIGN_DW_SPARK_RAW`` (raw Parquet folder), ``CAMPAIGN_DW_SPARK_DRIVER_MEMORY``
(default 4g), ``CAMPAIGN_DW_SPARK_SHUFFLE_PARTITIONS`` (default 4: small data, 2 cores).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from campaign_dw.config import Paths, Settings
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.warehouse import connect, hold_writer_lock_until_exit, reader_lock

# An empty file with the table's columns, so that Spark knows the schema of a table that has
# no rows yet. (Not named _* or .*: Spark skips such files, and with them the schema.)
SCHEMA_FILE = "0-schema.parquet"


def raw_dir(paths: Paths) -> Path:
    value = os.environ.get("CAMPAIGN_DW_SPARK_RAW")
    return Path(value).expanduser().resolve() if value else paths.spark_dir / "raw"


def require_spark() -> None:
    """Raises RuntimeError, saying what to install, when pyspark, dbt-spark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        raise RuntimeError("the spark target needs pyspark and dbt-spark: pip install -e '.[spark]' (make does)")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        raise RuntimeError("the spark target needs Java 17 (or 21): put `java` on PATH or set JAVA_HOME")


def prepare(paths: Paths) -> None:
    """Set the environment dbt (a child process) and the checks' Spark session start from.
    Raises RuntimeError, saying what to install, when pyspark or Java is missing."""
    require_spark()
    os.environ["CAMPAIGN_DW_SPARK_RAW"] = str(raw_dir(paths))
    if "SPARK_CONF_DIR" in os.environ:
        return  # the engineer's own Spark configuration
    conf_dir = write_conf(
        paths.spark_dir,
        {
            "spark.driver.memory": os.environ.get("CAMPAIGN_DW_SPARK_DRIVER_MEMORY", "4g"),
            "spark.ui.enabled": "false",
        },
        log_level="error",
    )
    os.environ["SPARK_CONF_DIR"] = str(conf_dir)


def write_conf(home: Path, settings: dict[str, str], log_level: str) -> Path:
    """Write `home`/conf (spark-defaults.conf, log4j2.properties) for a Spark whose tables and
    Hive metastore (Derby) live in `home`, in UTC; returns the folder."""
    conf_dir = home / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "spark.sql.warehouse.dir": str(home / "tables"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
        "spark.sql.shuffle.partitions": os.environ.get("CAMPAIGN_DW_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        **settings,
    }
    (conf_dir / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in settings.items()))
    (conf_dir / "log4j2.properties").write_text(
        f"rootLogger.level = {log_level}\nrootLogger.appenderRef.stderr.ref = console\n"
        "appender.console.type = Console\nappender.console.name = console\nappender.console.target = SYSTEM_ERR\n"
        "appender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %d %p %c: %m%n\n"
        # `create schema if not exists` makes the metastore log an error when it exists
        "logger.hms.name = org.apache.hadoop.hive.metastore.RetryingHMSHandler\nlogger.hms.level = off\n"
    )
    return conf_dir


def export_raw(paths: Paths, duckdb_config: dict[str, str] | None = None) -> dict[str, int]:
    """Write every load of every raw table not yet exported as one Parquet file; return the
    number of rows written per table. Idempotent: a file per (table, load) is written once,
    under a temporary name first, so a killed export leaves no partial file behind."""
    target = raw_dir(paths)
    written: dict[str, int] = {}
    with reader_lock(paths), connect(paths.warehouse, read_only=True, config=duckdb_config) as con:
        loads = con.execute(
            "select table_name, load_id, sum(row_count) from raw._load_log where status = 'loaded' "
            "group by table_name, load_id order by min(loaded_at)"
        ).fetchall()
        for name in RAW_TABLES:
            folder = target / name
            folder.mkdir(parents=True, exist_ok=True)
            # Written again when the raw view gained columns (an upgraded warehouse).
            columns = [r[0] for r in con.execute(f"describe raw.{name}").fetchall()]
            schema = folder / SCHEMA_FILE
            if not schema.exists() or pq.read_schema(schema).names != columns:
                _copy(con, f"select * from raw.{name} limit 0", [], schema)
        for name, load_id, rows in loads:
            file = target / name / f"load-{load_id}.parquet"
            if file.exists():
                continue
            _copy(con, f"select * from raw.{name} where _load_id = ? order by _row_id", [load_id], file)
            written[name] = written.get(name, 0) + int(rows)
    return written


def _copy(con, select: str, parameters: list, file: Path) -> None:
    partial = file.with_name(f".{file.name}.partial")
    con.execute(f"copy ({select}) to ? (format parquet)", [*parameters, str(partial)])
    partial.replace(file)


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
