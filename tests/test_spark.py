"""The same dbt project on Apache Spark gives the same numbers as on DuckDB.

Spark builds run `campaign-dw build --target spark` in a child process, as an engineer would:
dbt starts a local Spark (pyspark, `method: session`), the Python checks run as Spark SQL,
and serving copies the Spark marts into the serving DuckDB file, which is compared here with
the DuckDB build's, mart by mart, row for row (rates within 1e-9). The Spark JVM lives in the
child process, so the test process never holds the Spark metastore.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build, query

from campaign_dw import config
from campaign_dw.config import Settings
from campaign_dw.loader import load_directory
from campaign_dw.serving import MART_TABLES

pytestmark = pytest.mark.slow

CAMPAIGN_DW = str(Path(sys.executable).with_name("campaign-dw"))


def spark_build(paths: config.Paths, landing: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """`campaign-dw build --target spark`, as an engineer runs it."""
    result = subprocess.run(
        [CAMPAIGN_DW, "--warehouse", str(paths.warehouse), "build", "--target", "spark", "--landing", str(landing)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def marts(serving: Path) -> dict[str, tuple[list, list]]:
    """{mart: (columns with types, sorted rows)} of a serving database."""
    found = {}
    for table in MART_TABLES:
        columns = query(
            serving,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [table],
        )
        rows = query(serving, f"select * from marts.{table}")
        found[table] = (columns, sorted(rows, key=lambda row: [(v is None, str(v)) for v in row]))
    return found


def assert_same_marts(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()
    for table, (columns, rows) in expected.items():
        actual_columns, actual_rows = actual[table]
        assert actual_columns == columns, table
        assert len(actual_rows) == len(rows), table
        for want, got in zip(rows, actual_rows, strict=True):
            for (name, _), w, g in zip(columns, want, got, strict=True):
                if isinstance(w, float) and isinstance(g, float):
                    assert math.isclose(w, g, rel_tol=0, abs_tol=1e-9), (table, name, want, got)
                else:
                    assert w == g, (table, name, want, got)


def duckdb_marts(tmp_path: Path, folders: list[Path]) -> dict:
    """The marts of one DuckDB build over all the folders."""
    on_duckdb = Settings(warehouse=tmp_path / "duckdb" / "warehouse.duckdb")
    for folder in folders:
        load_directory(folder, on_duckdb.paths)
    outcome = build(on_duckdb)
    assert outcome.status == "success", outcome.problems
    serving = on_duckdb.paths.serving_database
    assert query(serving, "select sum(emails_sent) from marts.campaign_metrics")[0][0] > 1_000
    assert (
        query(serving, "select count(*) from marts.campaign_metrics where campaign_id in ('C1', 'C2', 'C3', 'C4')")[0][
            0
        ]
        == 4
    )
    return marts(serving)


def test_the_sample_and_generated_data_on_a_local_spark_session_equal_duckdb(spark_batches, tmp_path):
    """`method: session`, the default: dbt, the checks and serving each run a local Spark in
    their process. The sample (every definition's edge case, SPEC §3b machines and bots
    included) and a generated batch in one build. (The incremental path on Spark, where the
    staged facts grow by appending and the per-campaign partitions of the touched campaigns are
    rewritten, is tested on the local cluster: tests/test_spark_cluster.py.)"""
    on_spark = config.paths(tmp_path / "spark" / "warehouse.duckdb")
    load_directory(config.SAMPLE_DIR, on_spark)
    result = spark_build(on_spark, landing=spark_batches[0])
    assert " 0 problems" in result.stdout
    assert "C1         Backend engineers Q1" in result.stdout  # the summary read from serving
    assert_same_marts(duckdb_marts(tmp_path, [config.SAMPLE_DIR, spark_batches[0]]), marts(on_spark.serving_database))
    # The raw rows reached Spark through the Parquet export, each load once.
    assert min(p.name for p in (on_spark.spark_dir / "raw" / "email_events").iterdir()) == "0-schema.parquet"
    assert len(list((on_spark.spark_dir / "raw" / "email_events").glob("load-*.parquet"))) == 2


def test_unknown_target_or_missing_java_is_a_clear_error(tmp_path):
    warehouse = str(tmp_path / "w.duckdb")
    unknown = subprocess.run(
        [CAMPAIGN_DW, "--warehouse", warehouse, "build"],
        capture_output=True,
        text=True,
        env={**os.environ, "CAMPAIGN_DW_TARGET": "snowflake"},
    )
    assert unknown.returncode == 2
    assert "CAMPAIGN_DW_TARGET='snowflake': expected one of duckdb, spark" in unknown.stderr

    # No java on PATH, no JAVA_HOME: said before anything starts, nothing is written.
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"} | {"PATH": str(Path(sys.executable).parent)}
    no_java = subprocess.run(
        [CAMPAIGN_DW, "--warehouse", warehouse, "build", "--target", "spark"], capture_output=True, text=True, env=env
    )
    assert no_java.returncode == 2
    assert "the spark target needs Java 17" in no_java.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_each_load_is_exported_to_spark_once_with_every_raw_row(sample_copy, tmp_path, monkeypatch):
    from campaign_dw.raw_contract import RAW_TABLES
    from campaign_dw.spark.raw import SCHEMA_FILE, export_raw

    monkeypatch.setenv("CAMPAIGN_DW_SPARK_RAW", str(tmp_path / "raw"))
    first = export_raw(sample_copy.paths)
    assert first == {
        t: n
        for (t, n) in query(
            sample_copy.warehouse,
            "select table_name, count(*) from ("
            + " union all ".join(f"select '{t}' as table_name from raw.{t}" for t in RAW_TABLES)
            + ") group by all",
        )
    }
    assert export_raw(sample_copy.paths) == {}  # nothing new: nothing written again
    for table in RAW_TABLES:
        exported = query(
            sample_copy.warehouse,
            f"select * from read_parquet('{tmp_path}/raw/{table}/*.parquet') except all select * from raw.{table}",
        )
        assert exported == [], table
        columns = query(sample_copy.warehouse, f"select * from '{tmp_path}/raw/{table}/{SCHEMA_FILE}'")
        assert columns == []
        assert not list((tmp_path / "raw" / table).glob(".*partial"))
