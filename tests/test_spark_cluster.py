"""Spark as it is deployed: a standalone master, a worker and the Thrift server on this
machine (`campaign-dw spark-cluster`), and the warehouse built over Thrift — dbt, the Python
checks and the serving copy all through the Thrift server, the work in the worker's
executors. The sample and two generated batches, built incrementally, give the marts of one
DuckDB build over the same files."""

import json
import subprocess

import pytest
from test_spark import CAMPAIGN_DW, assert_same_marts, duckdb_marts, marts, spark_build

from campaign_dw import config
from campaign_dw.loader import load_directory
from campaign_dw.spark import cluster as spark_cluster

pytestmark = pytest.mark.slow


def cluster(paths: config.Paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CAMPAIGN_DW, "--warehouse", str(paths.warehouse), "spark-cluster", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_sample_and_incremental_batches_over_thrift_on_a_local_cluster_equal_duckdb(spark_batches, tmp_path):
    paths = config.paths(tmp_path / "spark" / "warehouse.duckdb")
    port = spark_cluster._free_port()
    started = cluster(paths, "start", "--thrift-port", str(port), "--worker-memory", "2g")
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        state = json.loads(started.stdout)
        assert state["running"] and state["workers"] == 1
        assert set(state["processes"]) == {"master", "worker", "thrift"}
        env = state["environment"]
        assert env["CAMPAIGN_DW_SPARK_METHOD"] == "thrift" and env["CAMPAIGN_DW_SPARK_PORT"] == str(port)

        load_directory(config.SAMPLE_DIR, paths)
        for folder in spark_batches:
            result = spark_build(paths, landing=folder, env=env)
            assert " 0 problems" in result.stdout
        # The work ran on the cluster: the Thrift server's application ran executors on the worker.
        work = spark_cluster.cluster_dir(paths) / "work"
        assert any(work.glob("app-*/*/stderr")), "no executor ran on the worker"
        # The session path's own Spark (metastore in <warehouse>_spark/) was never started.
        assert not (paths.spark_dir / "metastore_db").exists()
        assert_same_marts(duckdb_marts(tmp_path, [config.SAMPLE_DIR, *spark_batches]), marts(paths.serving_database))
    finally:
        stopped = cluster(paths, "stop")
    assert stopped.returncode == 0 and set(json.loads(stopped.stdout)["stopped"]) == {"thrift", "worker", "master"}
    for process in state["processes"].values():
        assert not spark_cluster._alive(process["pid"])
    assert cluster(paths, "status").returncode == 1
