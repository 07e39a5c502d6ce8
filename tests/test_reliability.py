"""Serving while runs write, crash safety (SIGKILL at several points), clear I/O errors."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from campaign_dw import config
from campaign_dw.generate import generate
from conftest import query

CLI = str(Path(sys.executable).with_name("campaign-dw"))
MARTS = ("campaign_metrics", "campaign_message_metrics", "campaign_message_link_clicks", "campaign_open_heatmap")


def env_for(paths):
    return {**os.environ, "CAMPAIGN_DW_WAREHOUSE": str(paths.warehouse)}


def marts(database):
    return {t: query(database, f"select * from marts.{t} order by all") for t in MARTS}


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    out = tmp_path_factory.mktemp("landing")
    generate(out, events=150_000, seed=3)
    return out


@pytest.fixture(scope="module")
def reference(landing, tmp_path_factory):
    """The marts of an uninterrupted load + build."""
    paths = config.paths(tmp_path_factory.mktemp("reference") / "warehouse.duckdb")
    subprocess.run([CLI, "load", str(landing)], env=env_for(paths), check=True, capture_output=True)
    subprocess.run([CLI, "build", "--landing", str(landing)], env=env_for(paths), check=True, capture_output=True)
    return marts(paths.warehouse)


def kill_after(args, env, seconds):
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(seconds)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its dbt child, as a crash would
    process.wait()


@pytest.mark.parametrize("kill_load_at", [0.2, 0.6, 1.2])
def test_a_killed_load_is_redone_exactly_once(landing, reference, tmp_path, kill_load_at):
    paths = config.paths(tmp_path / "warehouse.duckdb")
    env = env_for(paths)
    kill_after([CLI, "load", str(landing)], env, kill_load_at)
    subprocess.run([CLI, "load", str(landing)], env=env, check=True, capture_output=True)
    # No file half-loaded: every loaded file's rows are all there, once.
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for table, source, expected in con.execute(
            "select table_name, source_file, row_count from raw._load_log where status = 'loaded'"
        ).fetchall():
            (actual,) = con.execute(f"select count(*) from raw.{table} where _source_file = ?", [source]).fetchone()
            assert actual == expected, source
        loaded = con.execute("select count(distinct source_file) from raw._load_log where status = 'loaded'").fetchone()[0]
    assert loaded == len([p for p in landing.rglob("*.parquet")])
    subprocess.run([CLI, "build", "--landing", str(landing)], env=env, check=True, capture_output=True)
    assert marts(paths.warehouse) == reference


@pytest.mark.parametrize("kill_build_at", [4.0, 9.0, 14.0])
def test_a_killed_build_completes_on_the_next_run(landing, reference, tmp_path, kill_build_at):
    paths = config.paths(tmp_path / "warehouse.duckdb")
    env = env_for(paths)
    subprocess.run([CLI, "load", str(landing)], env=env, check=True, capture_output=True)
    kill_after([CLI, "build", "--landing", str(landing)], env, kill_build_at)
    info = json.loads(subprocess.run([CLI, "info"], env=env, capture_output=True, text=True, check=True).stdout)
    assert info["last_run_status"] in ("interrupted", "success")
    done = subprocess.run([CLI, "build", "--landing", str(landing)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert marts(paths.warehouse) == reference
    assert marts(paths.serving_database) == reference


def test_readers_of_the_serving_database_never_fail_nor_see_half_a_run(sample_warehouse, landing, tmp_path):
    """A BI-like reader in another process polls serving through a whole build that changes
    the numbers: it never errors, never blocks the run, and always sees one run's totals."""
    shutil.copytree(sample_warehouse.root, tmp_path / "wh", symlinks=True, ignore=shutil.ignore_patterns("*.lock"))
    paths = config.paths(tmp_path / "wh" / sample_warehouse.warehouse.name)
    before = query(paths.serving_database, "select sum(emails_sent) from marts.campaign_metrics")[0][0]
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.serving_database), str(tmp_path / "reads.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(1)
    built = subprocess.run([CLI, "build", "--landing", str(landing)], env=env_for(paths), capture_output=True, text=True)
    time.sleep(1)
    reader.terminate()
    _, err = reader.communicate(timeout=30)
    assert built.returncode == 0, built.stderr[-3000:]
    reads = json.loads((tmp_path / "reads.json").read_text())
    after = query(paths.serving_database, "select sum(emails_sent) from marts.campaign_metrics")[0][0]
    assert after != before
    assert reads["errors"] == [], err
    assert reads["reads"] > 20
    # Every read saw a consistent copy: campaign totals = message totals, of one run or the other.
    assert all(total in (before, after) and total == by_message for total, by_message in reads["totals"])


READER = r"""
import json, signal, sys, time
import duckdb
path, out = sys.argv[1], sys.argv[2]
state = {"reads": 0, "errors": [], "totals": []}
def stop(*_):
    json.dump(state, open(out, "w")); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        with duckdb.connect(path, read_only=True) as con:
            total, by_message = con.execute(
                "select (select sum(emails_sent) from marts.campaign_metrics),"
                "       (select sum(emails_sent) from marts.campaign_message_metrics)").fetchone()
        state["totals"].append([int(total), int(by_message)])
        state["reads"] += 1
    except Exception as error:
        state["errors"].append(repr(error))
    time.sleep(0.05)
"""


def test_disk_full_is_a_clear_message(landing, tmp_path):
    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run([CLI, "--warehouse", str(tmp_path / "w.duckdb"), "load", str(landing)],
                          preexec_fn=small_files, capture_output=True, text=True)
    assert done.returncode == 2
    assert "File too large" in done.stderr and "free space, or point --warehouse elsewhere" in done.stderr
    assert "Traceback" not in done.stderr


def test_unusable_warehouse_path_is_a_clear_message(tmp_path):
    (tmp_path / "a-file").write_text("")
    done = subprocess.run([CLI, "--warehouse", str(tmp_path / "a-file" / "w.duckdb"), "load", "seeds"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "campaign-dw load:" in done.stderr and "a-file" in done.stderr and "Traceback" not in done.stderr


def test_a_lock_held_until_exit_makes_other_writers_wait_and_is_reentrant(tmp_path):
    """What the local Spark session relies on (its metastore admits one process): the writer
    lock kept until the process ends, other processes wait for it, the process itself does not."""
    import fcntl

    paths = config.paths(tmp_path / "w.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from campaign_dw import config\n"
         "from campaign_dw.warehouse import hold_writer_lock_until_exit, reader_lock, writer_lock\n"
         f"paths = config.paths({str(paths.warehouse)!r})\n"
         "hold_writer_lock_until_exit(paths)\n"
         "with writer_lock(paths), reader_lock(paths):\n"  # nested in the same process: granted
         "    print('held', flush=True)\n"
         "time.sleep(2)\n"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with open(paths.lock_file, "a+") as handle:
        with pytest.raises(BlockingIOError):
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        assert holder.wait(timeout=30) == 0
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the process ended
