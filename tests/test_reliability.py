"""Serving while runs write, runs that never overlap, crash safety (SIGKILL while a load or
a build is running), old Parquet versions that stay readable, clear I/O errors."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import copy_warehouse, query

from campaign_dw.config import Settings
from campaign_dw.generate import generate
from orchestration.instance import existing_instance

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("campaign-dw"))
MARTS = ("campaign_metrics", "campaign_message_metrics", "campaign_message_link_clicks", "campaign_open_heatmap")


def env_for(settings):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_DW_")},
        "CAMPAIGN_DW_WAREHOUSE": str(settings.warehouse),
    }


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
    settings = Settings(warehouse=tmp_path_factory.mktemp("reference") / "warehouse.duckdb")
    subprocess.run([CLI, "build", "--landing", str(landing)], env=env_for(settings), check=True, capture_output=True)
    return marts(settings.warehouse)


def start(args, env):
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill(process) -> None:
    """SIGKILL the process and its children (dbt), as a crash would; it must still be running."""
    assert process.poll() is None, "the process ended before the kill: the kill proves nothing"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for_event(settings, reached, after=0.0, timeout=300):
    """Poll the warehouse's Dagster event log until an event of its newest run (one created
    after `after`, a time.time()) satisfies `reached(event)`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        instance = existing_instance(settings.paths)  # None until the build created it
        if instance is not None:
            with instance:
                records = instance.get_run_records(limit=1)
                if records and records[0].create_timestamp.timestamp() >= after:
                    for entry in instance.all_logs(records[0].dagster_run.run_id):
                        if entry.dagster_event and reached(entry.dagster_event):
                            return
        time.sleep(0.2)
    raise AssertionError("the run never reached the point to kill it at")


def step_started(step_key):
    return lambda event: event.event_type == dg.DagsterEventType.STEP_START and event.step_key == step_key


def materialized(asset):
    return lambda event: (
        event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key.to_user_string() == asset
    )


@pytest.fixture(scope="module")
def landing_in_parts(landing, tmp_path_factory):
    """The same rows as `landing`, the events in 60 files (in the same order): a load long
    enough to be killed at points seen from outside."""
    out = tmp_path_factory.mktemp("parts")
    for table_dir in landing.iterdir():
        (out / table_dir.name).mkdir()
        for part in sorted(table_dir.iterdir()):
            if table_dir.name == "email_events" and part.name == "batch-0000.parquet":
                events = pq.read_table(part)
                size = -(-events.num_rows // 60)
                for n in range(60):
                    pq.write_table(
                        events.slice(n * size, size), out / table_dir.name / f"batch-0000.part{n:02d}.parquet"
                    )
            else:
                shutil.copy(part, out / table_dir.name / part.name)
    return out


def landed_events(settings) -> list[Path]:
    folder = settings.paths.landed_dir / "email_events"
    return list(folder.iterdir()) if folder.exists() else []


def test_a_load_killed_again_and_again_is_done_exactly_once(landing_in_parts, reference, tmp_path):
    """SIGKILL at three points of a load, each load resuming the one killed before it: while
    the first events file is being landed, after some files, after many; then a load that
    completes: every file is in once, whole, and the store holds nothing else."""
    landing = landing_in_parts
    settings = Settings(warehouse=tmp_path / "warehouse.duckdb")
    env = env_for(settings)
    kill_points = (
        lambda files: any(f.name.endswith(".partial") for f in files),
        lambda files: len(files) >= 8,
        lambda files: len(files) >= 30,
    )
    for kill_when in kill_points:
        process = start([CLI, "load", str(landing)], env)
        while not kill_when(landed_events(settings)):
            assert process.poll() is None, "the load ended before the point to kill it at"
            time.sleep(0.002)
        kill(process)
    subprocess.run([CLI, "load", str(landing)], env=env, check=True, capture_output=True)
    # No file half-loaded: every loaded file's rows are all there, once.
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table, source, expected in con.execute(
            "select table_name, source_file, row_count from raw._load_log where status = 'loaded'"
        ).fetchall():
            (actual,) = con.execute(f"select count(*) from raw.{table} where _source_file = ?", [source]).fetchone()
            assert actual == expected, source
        loaded = con.execute(
            "select count(distinct source_file) from raw._load_log where status = 'loaded'"
        ).fetchone()[0]
    assert loaded == len([p for p in landing.rglob("*.parquet")])
    assert len(list(settings.paths.landed_dir.rglob("*"))) == loaded + len(list(landing.iterdir()))  # files + folders
    subprocess.run([CLI, "build"], env=env, check=True, capture_output=True)
    assert marts(settings.warehouse) == reference


def test_a_build_killed_again_and_again_completes_on_the_next_run(landing, reference, tmp_path):
    """SIGKILL a build while it loads, the next one in the middle of dbt, the next while it
    publishes; each is `interrupted` and the run after it picks up from what it left. The
    build that completes gives the marts of an uninterrupted build, in serving too."""
    settings = Settings(warehouse=tmp_path / "warehouse.duckdb")
    env = env_for(settings)
    kill_points = (
        step_started("raw_tables"),
        materialized("intermediate/int_emails_flagged"),
        step_started("serving__marts"),
    )
    for kill_when in kill_points:
        started = time.time()
        process = start([CLI, "build", "--landing", str(landing)], env)
        wait_for_event(settings, kill_when, after=started)
        kill(process)
        info = json.loads(subprocess.run([CLI, "info"], env=env, capture_output=True, text=True, check=True).stdout)
        assert info["last_run_status"] == "interrupted"
    done = subprocess.run([CLI, "build", "--landing", str(landing)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert marts(settings.warehouse) == reference
    assert marts(settings.paths.serving_database) == reference
    assert not list(settings.paths.root.glob(".*.tmp"))  # a killed publish leaves nothing behind


def test_two_builds_at_once_never_overlap_and_serving_only_holds_checked_marts(sample_warehouse, landing, tmp_path):
    """Two builds of one warehouse started together (two landing folders): the second waits
    for the first from its first step to the first one's publishing; both end well; a BI reader
    polling serving all along only ever sees the marts of a run whose checks passed."""
    copy_warehouse(sample_warehouse.warehouse, tmp_path / "warehouse.duckdb")
    settings = Settings(warehouse=tmp_path / "warehouse.duckdb")
    subprocess.run([CLI, "build"], env=env_for(settings), check=True, capture_output=True)  # serving exists
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.paths.serving_database), str(tmp_path / "reads.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    later = tmp_path / "later"
    generate(later, events=20_000, seed=3, increment=1)
    builds = [
        subprocess.Popen(
            [CLI, "build", "--landing", str(folder)],
            env=env_for(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder in (landing, later)
    ]
    outputs = [b.communicate(timeout=900) for b in builds]
    time.sleep(1)
    reader.terminate()
    _, err = reader.communicate(timeout=30)
    for build, (_out, stderr) in zip(builds, outputs, strict=True):
        assert build.returncode == 0, stderr[-3000:]

    with dg.DagsterInstance.from_config(str(settings.paths.dagster_home)) as instance:
        runs = instance.get_runs(limit=2)
        spans = []
        for run in runs:
            stamps = [
                e.timestamp
                for e in instance.all_logs(run.run_id)
                if e.dagster_event
                and e.dagster_event.event_type in (dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS)
            ]
            spans.append((min(stamps), max(stamps)))
        succeeded = {r.run_id for r in instance.get_runs() if r.status == dg.DagsterRunStatus.SUCCESS}
    (first_start, first_end), (second_start, second_end) = sorted(spans)
    assert first_end <= second_start, "the two runs' steps overlapped"

    reads = json.loads((tmp_path / "reads.json").read_text())
    assert reads["errors"] == [], err
    assert reads["reads"] > 20
    for run_id, total, by_message in reads["seen"]:
        assert run_id in succeeded and total == by_message
    assert len({run_id for run_id, _, _ in reads["seen"]}) >= 2
    assert marts(settings.paths.serving_database) == marts(settings.warehouse)


READER = r"""
import json, signal, sys, time
import duckdb
path, out = sys.argv[1], sys.argv[2]
state = {"reads": 0, "errors": [], "seen": []}
def stop(*_):
    json.dump(state, open(out, "w")); sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        with duckdb.connect(path, read_only=True) as con:
            seen = con.execute(
                "select (select run_id from meta.publication),"
                "       (select sum(emails_sent) from marts.campaign_metrics),"
                "       (select sum(emails_sent) from marts.campaign_message_metrics)").fetchone()
        state["seen"].append([seen[0], int(seen[1]), int(seen[2])])
        state["reads"] += 1
    except Exception as error:
        state["errors"].append(repr(error))
    time.sleep(0.05)
"""


def test_a_replaced_parquet_version_stays_readable_for_its_grace_period(sample_copy):
    """A BI reader resolves marts_parquet/ to a version folder and scans its files later: the
    next publish must not delete them under it. They go once the grace period since they were
    replaced has passed."""
    from campaign_dw.serving import publish

    publish(sample_copy)
    old = sample_copy.paths.parquet_dir.resolve()  # the reader resolved the symlink
    publish(sample_copy, parquet_grace_seconds=3600)
    assert sample_copy.paths.parquet_dir.resolve() != old
    rows = query(sample_copy.warehouse, f"select count(*) from read_parquet('{old}/campaign_metrics.parquet')")
    assert rows == [(4,)]
    time.sleep(1.1)
    publish(sample_copy, parquet_grace_seconds=1)  # `old` was replaced more than a second ago
    assert not old.exists()
    current = sample_copy.paths.parquet_dir.resolve()
    assert query(sample_copy.warehouse, f"select count(*) from read_parquet('{current}/campaign_metrics.parquet')") == [
        (4,)
    ]
    versions = [p for p in sample_copy.paths.parquet_versions_dir.iterdir() if p.is_dir()]
    assert len(versions) == 2  # the current one and the one replaced a moment ago


def test_disk_full_is_a_clear_message(landing, tmp_path):
    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run(
        [CLI, "--warehouse", str(tmp_path / "w.duckdb"), "load", str(landing)],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "File too large" in done.stderr and "free space, or point --warehouse elsewhere" in done.stderr
    assert "Traceback" not in done.stderr


def test_unusable_warehouse_path_is_a_clear_message(tmp_path):
    (tmp_path / "a-file").write_text("")
    done = subprocess.run(
        [CLI, "--warehouse", str(tmp_path / "a-file" / "w.duckdb"), "load", "seeds"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "campaign-dw load:" in done.stderr and "a-file" in done.stderr and "Traceback" not in done.stderr


def test_a_lock_held_until_exit_makes_other_writers_wait_and_is_reentrant(tmp_path):
    """What the local Spark session relies on (its metastore admits one process): the writer
    lock kept until the process ends, other processes wait for it, the process itself does not."""
    import fcntl

    paths = Settings(warehouse=tmp_path / "w.duckdb").paths
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from campaign_dw.config import Paths\n"
            "from campaign_dw.warehouse import hold_writer_lock_until_exit, reader_lock, writer_lock\n"
            f"paths = Paths(Path({str(paths.warehouse)!r}))\n"
            "hold_writer_lock_until_exit(paths)\n"
            "with writer_lock(paths), reader_lock(paths):\n"  # nested in the same process: granted
            "    print('held', flush=True)\n"
            "time.sleep(2)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with open(paths.lock_file, "a+") as handle:
        with pytest.raises(BlockingIOError):
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        assert holder.wait(timeout=30) == 0
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the process ended
