"""Spark as it is deployed: a standalone master, a worker and the Thrift server on this
machine (`campaign-dw spark-cluster`), and warehouses built over Thrift — dbt, the Python
checks and the serving copy all through the Thrift server, the work in the worker's
executors.

One cluster, started once, holds two warehouses (builds are shared: each is asserted on for
everything it can show). One is built incrementally: the sample and a generated batch, then
the next batch with a message moved to another campaign and a new campaign in the partition
of a campaign the batch does not touch. The other is built once over the same files, in
between. The incremental build rewrites only the partitions of the campaigns it touched (with
every campaign in them), and its marts equal both the full build's and a DuckDB build's; the
full build did not read or change the first warehouse's tables; a third warehouse that would
take the first one's schemas is refused."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from test_spark import CAMPAIGN_DW, assert_same_marts, duckdb_marts, marts, spark_build

from campaign_dw import config
from campaign_dw.config import DBT_PROJECT_DIR, Settings
from campaign_dw.loader import load_directory
from campaign_dw.serving import MART_TABLES
from campaign_dw.spark import cluster as spark_cluster
from campaign_dw.spark import sql as spark_sql
from campaign_dw.spark.engine import SparkEngine

pytestmark = pytest.mark.slow

# A campaign's bucket, the partition of the per-campaign tables it is in (macros/incremental.sql).
BUCKET = "pmod(hash({}), 1024)"
PER_CAMPAIGN_MODELS = sorted(p.stem for p in (DBT_PROJECT_DIR / "models/intermediate/per_campaign").glob("*.sql"))


def cluster(paths: config.Paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CAMPAIGN_DW, "--warehouse", str(paths.warehouse), "spark-cluster", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


# Stops a warehouse's cluster once its standard input ends: when the process holding the
# other end of the pipe is gone, however it ended. A killed pytest (a CI timeout, ^C twice)
# runs no `finally`, and the cluster's processes would outlive it.
STOP_WHEN_GONE = """
import sys
from campaign_dw import config
from campaign_dw.spark import cluster
sys.stdin.read()
cluster.stop(config.paths(sys.argv[1]))
"""


def stop_when_gone(paths: config.Paths, stdin=subprocess.PIPE) -> subprocess.Popen:
    """Stops `paths`' cluster once `stdin` ends (by default a pipe this process holds)."""
    return subprocess.Popen(
        [sys.executable, "-c", STOP_WHEN_GONE, str(paths.warehouse)], stdin=stdin, start_new_session=True
    )


def end(watcher: subprocess.Popen) -> None:
    if watcher.stdin:
        watcher.stdin.close()  # the watcher stops what is left, then exits
    watcher.wait(timeout=120)


def test_a_cluster_is_stopped_when_the_process_that_started_it_is_gone(tmp_path):
    paths = config.paths(tmp_path / "warehouse.duckdb")
    # A stand-in for a cluster's process (its own process group, as `start` makes them), and
    # one for a pytest that is killed: it holds the only writing end of the watcher's pipe.
    server = subprocess.Popen(["sleep", "600"], start_new_session=True)
    spark_cluster.cluster_dir(paths).mkdir(parents=True)
    spark_cluster._state_file(paths).write_text(json.dumps({"pids": {"master": server.pid}, "ports": {}}))
    read, write = os.pipe()
    starter = subprocess.Popen(["sleep", "600"], pass_fds=(write,))
    watcher = stop_when_gone(paths, stdin=read)
    os.close(read)
    os.close(write)
    try:
        time.sleep(1.5)
        assert server.poll() is None, "stopped while the starter still ran"
        starter.kill()
        starter.wait()
        assert server.wait(timeout=30) is not None and watcher.wait(timeout=30) == 0
        assert not spark_cluster._state_file(paths).exists()
    finally:
        for process in (server, starter, watcher):
            process.kill()
            process.wait()


def partition_files(tables: Path, schema: str) -> dict[tuple[str, int], list[tuple]]:
    """{(per-campaign model, bucket): its partition's files (name, size, mtime)} of a schema
    under the cluster's table folder."""
    found = {}
    for model in PER_CAMPAIGN_MODELS:
        for partition in (tables / f"{schema}.db" / model).glob("campaign_bucket=*"):
            files = sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in partition.iterdir())
            found[(model, int(partition.name.split("=")[1]))] = files
    return found


def spark_marts(settings: Settings, into: Path) -> dict:
    """The marts of a warehouse as they are on Spark now (not its serving copy)."""
    with duckdb.connect(str(into)) as con:
        con.execute("create schema marts")
        SparkEngine(settings).copy_marts(con, MART_TABLES)
    return marts(into)


def with_changes(batch: Path, into: Path, new_campaign: str) -> Path:
    """The batch plus a new version of the sample's message M41, moved from C4 to C3 (C4 keeps
    its sends but counts no email any more: its partitions empty out; C3 gains a message), and
    a new draft campaign (no rows of its own in any per-campaign table)."""
    shutil.copytree(batch, into)
    (into / "campaign_messages.csv").write_text(
        "message_id,campaign_id,step_number,subject,body_html,wait_days,updated_at\n"
        "M41,C3,2,SRE at Acme,<p>Hallo!</p>,0,2026-06-01T10:00:00Z\n"
    )
    (into / "campaigns.csv").write_text(
        "campaign_id,name,owner_user_id,status,language,started_at,ended_at,created_at,updated_at\n"
        f"{new_campaign},Drafted later,U1,draft,en,,,2026-06-01T10:00:00Z,2026-06-01T10:00:00Z\n"
    )
    return into


def test_incremental_builds_on_a_local_cluster_equal_a_full_build_and_keep_warehouses_apart(
    spark_batches, tmp_path, monkeypatch
):
    incremental = config.paths(tmp_path / "spark" / "warehouse.duckdb")
    full = config.paths(tmp_path / "full" / "full.duckdb")
    intruder = config.paths(tmp_path / "elsewhere" / "warehouse.duckdb")  # the same name: the same schemas
    port = spark_cluster._free_port()
    watcher = stop_when_gone(incremental)
    started = cluster(incremental, "start", "--thrift-port", str(port), "--worker-memory", "2g")
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        state = json.loads(started.stdout)
        assert state["running"] and state["workers"] == 1
        assert set(state["processes"]) == {"master", "worker", "thrift"}
        env = state["environment"]
        assert env["CAMPAIGN_DW_SPARK_METHOD"] == "thrift" and env["CAMPAIGN_DW_SPARK_PORT"] == str(port)
        for name, value in env.items():
            monkeypatch.setenv(name, value)  # this process's own queries go to the same Thrift server
        tables = spark_cluster.cluster_dir(incremental) / "tables"
        # The last batch brings a new campaign in the bucket of C2, which the batch does not
        # touch: C2's partitions must be rewritten with C2's rows in them.
        candidate, c2 = BUCKET.format("concat('N', id)"), BUCKET.format("'C2'")
        in_c2s_bucket = spark_sql.query(
            Settings(warehouse=incremental.warehouse),
            f"select concat('N', id) as campaign_id from range(100000) where {candidate} = {c2} limit 1",
        )[0]["campaign_id"]
        last_batch = with_changes(spark_batches[1], tmp_path / "batch1_and_changes", in_c2s_bucket)

        # The incremental warehouse: the sample and batch 0, its first build.
        load_directory(config.SAMPLE_DIR, incremental)
        spark_build(incremental, landing=spark_batches[0], env=env)
        first_marts = marts(incremental.serving_database)
        before = partition_files(tables, "warehouse_intermediate")
        assert {model for model, _ in before} == set(PER_CAMPAIGN_MODELS)

        # Another warehouse on the same Thrift server, with other data (everything at once): a
        # full build in schemas of its own, which neither reads nor changes the first one's.
        for folder in (config.SAMPLE_DIR, spark_batches[0]):
            load_directory(folder, full)
        spark_build(full, landing=last_batch, env=env)
        schemas = {r["namespace"] for r in spark_sql.query(Settings(warehouse=full.warehouse), "show schemas")}
        assert {"warehouse_marts", "warehouse_raw", "full_marts", "full_raw"} <= schemas
        assert "marts" not in schemas and "raw" not in schemas
        assert_same_marts(first_marts, spark_marts(Settings(incremental.warehouse), tmp_path / "now.duckdb"))
        assert partition_files(tables, "warehouse_intermediate") == before

        # A third warehouse whose name gives it the first one's schemas is refused before it
        # touches them.
        refused = subprocess.run(
            [CAMPAIGN_DW, "--warehouse", str(intruder.warehouse), "build", "--target", "spark"],
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, **env},
        )
        assert refused.returncode == 1
        assert f"the Spark schemas warehouse_* belong to the warehouse {incremental.warehouse}" in refused.stderr, (
            refused.stderr[-3000:]
        )

        # The incremental warehouse's next batch: only the touched campaigns' partitions (whole
        # buckets) are rewritten, every other partition's files stay as they were.
        result = spark_build(incremental, landing=last_batch, env=env)
        assert " 0 problems" in result.stdout
        settings = Settings(incremental.warehouse)
        engine = SparkEngine(settings)
        touched = {
            r["campaign_id"]: (r["reason"], r["bucket"])
            for r in engine.query(
                f"select campaign_id, reason, {BUCKET.format('campaign_id')} as bucket "
                f"from {engine.relation('intermediate.int_campaigns_touched')}"
            )
        }
        assert touched["C4"][0] == "message changed" and touched["C3"][0] == "message changed"
        assert touched[in_c2s_bucket][0] == "campaign changed" and touched["C2"][0] == "same partition"
        assert "C1" not in touched  # the batch has nothing of C1's, nor of its bucket's
        buckets = {bucket for _, bucket in touched.values()}
        after = partition_files(tables, "warehouse_intermediate")
        kept = {key for key in before if key[1] not in buckets}
        assert kept and all(after[key] == before[key] for key in kept)
        for key in set(before) - kept:  # a touched partition is rewritten, or gone when it has no rows
            assert key not in after or not set(after[key]) & set(before[key]), key
        # C4 alone in its bucket, no email of it counted now: its partition is gone, not stale.
        c4 = touched["C4"][1]
        assert [c for c, (_, bucket) in touched.items() if bucket == c4] == ["C4"]
        assert ("int_emails_flagged", c4) in before and ("int_emails_flagged", c4) not in after

        # Incremental = full, on Spark and on DuckDB.
        incremental_marts = marts(incremental.serving_database)
        assert_same_marts(marts(full.serving_database), incremental_marts)
        assert_same_marts(duckdb_marts(tmp_path, [config.SAMPLE_DIR, spark_batches[0], last_batch]), incremental_marts)
        # The work ran on the cluster: the Thrift server's application ran executors on the worker.
        work = spark_cluster.cluster_dir(incremental) / "work"
        assert any(work.glob("app-*/*/stderr")), "no executor ran on the worker"
        # The session path's own Spark (metastore in <warehouse>_spark/) was never started.
        assert not (incremental.spark_dir / "metastore_db").exists()
    finally:
        try:
            stopped = cluster(incremental, "stop")
        finally:
            end(watcher)
    assert stopped.returncode == 0 and set(json.loads(stopped.stdout)["stopped"]) == {"thrift", "worker", "master"}
    for process in state["processes"].values():
        assert not spark_cluster._alive(process["pid"])
    assert cluster(incremental, "status").returncode == 1
