"""What a Spark of this warehouse needs installed, and the configuration it starts from."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from campaign_dw.config import Paths


def require_spark() -> None:
    """Raises RuntimeError, saying what to install, when pyspark, dbt-spark or Java is missing."""
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        raise RuntimeError("the spark target needs pyspark and dbt-spark: pip install -e '.[spark]' (make does)")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        raise RuntimeError("the spark target needs Java 17 (or 21): put `java` on PATH or set JAVA_HOME")


# The SPARK_CONF_DIR prepare() set, if it did: a later warehouse in the same process (the
# engineer set none) gets its own, not the first one's metastore and tables.
_conf_dir_set_here: str | None = None


def prepare(paths: Paths) -> None:
    """Set the environment dbt (a child process) and the checks' Spark session start from.
    Raises RuntimeError, saying what to install, when pyspark or Java is missing. (The raw
    folder and the schemas reach dbt as vars: SparkEngine.dbt_vars.)"""
    global _conf_dir_set_here
    require_spark()
    if "SPARK_CONF_DIR" in os.environ and os.environ["SPARK_CONF_DIR"] != _conf_dir_set_here:
        return  # the engineer's own Spark configuration
    conf_dir = write_conf(
        paths.spark_dir,
        {
            "spark.driver.memory": os.environ.get("CAMPAIGN_DW_SPARK_DRIVER_MEMORY", "4g"),
            "spark.ui.enabled": "false",
        },
        log_level="error",
    )
    os.environ["SPARK_CONF_DIR"] = _conf_dir_set_here = str(conf_dir)


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
