"""The Dagster side as a data engineer meets it: one instance per warehouse, failures that say
why (and reach a webhook), and a run started from an asset page in the UI, published."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from campaign_dw import config
from campaign_dw.config import Settings
from campaign_dw.serving import published
from orchestration.build import run_build
from orchestration.defs.automation import notify_failure
from orchestration.defs.resources import WarehouseResource
from orchestration.instance import PREVIOUS_DAGSTER_YAMLS, dagster_yaml, open_instance, prepare_dagster_home
from orchestration.status import info

CLI = str(Path(sys.executable).with_name("campaign-dw"))


def failing_build(tmp_path: Path, name: str) -> tuple[Settings, object]:
    """A run that fails at its first step: the landing folder does not exist."""
    settings = Settings(warehouse=tmp_path / name / "warehouse.duckdb", landing=tmp_path / "no-such-folder")
    report, _ = run_build(settings)
    return settings, report


def test_each_warehouse_has_its_own_dagster_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    first, first_run = failing_build(tmp_path, "a")
    second, second_run = failing_build(tmp_path, "b")
    for settings, run in ((first, first_run), (second, second_run)):
        assert settings.paths.dagster_home == settings.paths.root / "warehouse_dagster"
        with open_instance(settings.paths) as instance:
            assert [r.run_id for r in instance.get_runs()] == [run.run_id]
        assert [r["run_id"] for r in info(settings.paths)["recent_runs"]] == [run.run_id]
    # DAGSTER_HOME set by the operator still wins.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "shared_home"))
    third, third_run = failing_build(tmp_path, "c")
    assert (tmp_path / "shared_home" / "dagster.yaml").exists()
    assert not third.paths.dagster_home.exists()


def test_a_failed_run_says_why_and_the_webhook_hears_it(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings, report = failing_build(tmp_path, "w")
    cause = f"step raw_tables failed: the landing folder {tmp_path / 'no-such-folder'} is not a directory"
    assert report.status == "failure" and report.cause.startswith(cause)
    assert report.failed_step == "raw_tables"
    status = info(settings.paths)
    assert status["last_run_status"] == "failure" and status["last_run"]["cause"] == report.cause

    posted = []

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self):
            posted.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        with open_instance(settings.paths) as instance:
            run = instance.get_run_by_id(report.run_id)
            failure = next(
                e.dagster_event
                for e in instance.all_logs(report.run_id)
                if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
            )
            for webhook_url in ("", url):  # off by default: no URL, no post
                resources = {"warehouse": WarehouseResource.from_settings(settings, failure_webhook_url=webhook_url)}
                with dg.build_run_status_sensor_context(
                    sensor_name="notify_failure",
                    dagster_instance=instance,
                    dagster_run=run,
                    dagster_event=failure,
                    resources=resources,
                ).for_run_failure() as context:
                    notify_failure(context)
                if not webhook_url:
                    assert posted == []
    finally:
        server.shutdown()
    (message,) = posted
    assert message["text"] == f"campaign-dw: warehouse_job run {report.run_id} failed: {report.cause}"
    assert (message["job"], message["run_id"], message["failed_step"], message["cause"]) == (
        "warehouse_job",
        report.run_id,
        "raw_tables",
        report.cause,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_ui(settings: Settings, output: list[str]):
    """`campaign-dw ui` on the warehouse as a user starts it; yields the webserver's port and
    stops the UI (Ctrl-C) afterwards. Its output collects in `output`."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN_DW_", "DAGSTER_HOME"))}
    ui = subprocess.Popen(
        [CLI, "--warehouse", str(settings.warehouse), "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    threading.Thread(target=lambda: output.extend(ui.stdout), daemon=True).start()
    try:
        yield port, ui
    finally:  # a UI that already exited has no process group left: its output is the failure
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGINT)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(ui.pid, signal.SIGKILL)


def launch(port: int, ui: subprocess.Popen, output: list[str], job: str, **kwargs) -> tuple[object, str]:
    """The run launched through the webserver's GraphQL API (launchPipelineExecution, as the
    UI's Materialize and Launch buttons do), once the code location has loaded."""
    from dagster_graphql import DagsterGraphQLClient

    deadline = time.monotonic() + 300
    while True:
        try:
            client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
            return client, client.submit_job_execution(job, **kwargs)
        except Exception:
            assert ui.poll() is None, "".join(output)[-3000:]
            assert time.monotonic() < deadline, "the UI never took the run: " + "".join(output)[-3000:]
            time.sleep(3)


def wait_for_run(client, run_id: str, output: list[str]) -> None:
    deadline = time.monotonic() + 600
    while (status := client.get_run_status(run_id)) not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
        assert time.monotonic() < deadline, status
        time.sleep(1)
    assert status == dg.DagsterRunStatus.SUCCESS, "".join(output)[-3000:]


@pytest.mark.slow
def test_one_mart_materialized_from_its_asset_page_runs_in_one_process_and_gets_published(sample_copy, tmp_path):
    """As the UI's asset page launches it (the implicit asset job, through the webserver's
    GraphQL API): one mart with its checks, all steps in the run's process; once its checks
    passed, serving is published (the publish_serving automation); `info` reports both runs."""
    from campaign_dw.serving import publish

    before = publish(sample_copy, run_id="before")["run_id"]
    output = []
    with running_ui(sample_copy, output) as (port, ui):
        client, run_id = launch(
            port, ui, output, "__ASSET_JOB", asset_selection=[dg.AssetKey(["marts", "campaign_metrics"])]
        )
        wait_for_run(client, run_id, output)
        deadline = time.monotonic() + 180
        while published(sample_copy.paths)["run_id"] in (before, run_id):
            assert time.monotonic() < deadline, "serving was never published after the run"
            time.sleep(2)
    unwanted = [line for line in output if "Warning" in line or "does not match" in line]
    assert unwanted == [], unwanted  # the UI starts clean: no deprecation, no name mismatch

    status = info(sample_copy.paths)
    runs = {r["run_id"]: r for r in status["recent_runs"]}
    assert runs[run_id]["status"] == "success" and runs[run_id]["job"] == "__ASSET_JOB"
    assert status["last_publish"]["run_id"] in runs and status["serving_is_current"]
    with open_instance(sample_copy.paths) as instance:
        pids = {
            e.dagster_event.pid for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.is_step_start
        }
        steps = [e.step_key for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.is_step_start]
    assert len(pids) == 1 and "warehouse_dbt_models" in steps
    shutil.rmtree(tmp_path, ignore_errors=True)


RUN_TIMES = """query RunTimes($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status creationTime startTime endTime } }
}"""


@pytest.mark.slow
def test_a_run_launched_from_the_ui_starts_at_once_without_parsing_dbt_again(sample_copy):
    """warehouse_job, then one mart, launched from the UI: each runs in a run worker of the
    warehouse's launcher (the spare, code already loaded), which reuses the manifest the code
    location loaded (no dbt parse before the first step). created -> started is printed (the
    figure depends on the machine; see docs/operations.md); success and the worker are asserted."""
    from orchestration.launcher import PID_TAG

    manifest = config.DBT_PROJECT_DIR / "target" / "manifest.json"
    output, run_ids = [], []
    with running_ui(sample_copy, output) as (port, ui):
        for job, kwargs in (
            ("warehouse_job", {}),
            ("__ASSET_JOB", {"asset_selection": [dg.AssetKey(["marts", "campaign_metrics"])]}),
        ):
            client, run_id = launch(port, ui, output, job, **kwargs)
            if not run_ids:
                parsed = manifest.stat().st_mtime_ns  # the code location has loaded: parsed if it had to
            wait_for_run(client, run_id, output)
            times = client._execute(RUN_TIMES, {"runId": run_id})["runOrError"]
            print(
                f"{job} from the UI: created -> started {times['startTime'] - times['creationTime']:.1f} s, "
                f"created -> ended {times['endTime'] - times['creationTime']:.1f} s"
            )
            assert times["status"] == "SUCCESS"
            run_ids.append(run_id)
    # (Fails as well when someone runs `dbt parse` in this checkout meanwhile.)
    assert manifest.stat().st_mtime_ns == parsed, "the run worker parsed the dbt project again"
    with open_instance(sample_copy.paths) as instance:
        for run_id in run_ids:
            pids = {e.dagster_event.pid for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.pid}
            assert pids == {int(instance.get_run_by_id(run_id).tags[PID_TAG])}


def test_the_dbt_project_is_parsed_again_only_when_a_source_is_newer_than_the_manifest(tmp_path):
    from dagster_dbt import DbtProject

    from orchestration.defs.dbt import manifest_is_stale

    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(config.DBT_PROJECT_DIR / name, tmp_path / name)
    for name in ("models", "macros"):
        shutil.copytree(config.DBT_PROJECT_DIR / name, tmp_path / name)
    project = DbtProject(project_dir=tmp_path, profiles_dir=tmp_path)
    assert manifest_is_stale(project)  # never parsed

    def parsed_a_while_ago():
        project.manifest_path.parent.mkdir(exist_ok=True)
        project.manifest_path.write_text("{}")
        past = time.time() - 60
        for path in [project.manifest_path, *tmp_path.rglob("*")]:
            os.utime(path, (past - 60, past - 60) if path != project.manifest_path else (past, past))

    parsed_a_while_ago()
    assert not manifest_is_stale(project)
    model = next((tmp_path / "models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n")  # an edited model
    assert manifest_is_stale(project)
    parsed_a_while_ago()
    model.unlink()  # a removed model: its folder changed
    assert manifest_is_stale(project)
    parsed_a_while_ago()
    (tmp_path / "dbt_project.yml").write_text((tmp_path / "dbt_project.yml").read_text() + "\n")
    assert manifest_is_stale(project)
    parsed_a_while_ago()
    (tmp_path / "target" / "run_results.json").write_text("{}")  # dbt's own output is no source
    assert not manifest_is_stale(project)


@pytest.mark.parametrize("dev, stale, parses", [(True, True, True), (True, False, False), (False, True, False)])
def test_only_the_ui_parses_and_only_a_stale_project(monkeypatch, dev, stale, parses):
    """Under dg dev (DAGSTER_IS_DEV_CLI) a stale manifest is parsed again; `campaign-dw build`
    never parses (the manifest comes from `make` / `campaign-dw parse`)."""
    from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

    from orchestration.defs import dbt

    prepared = []
    monkeypatch.setattr(DagsterDbtProjectPreparer, "prepare", lambda self, project: prepared.append(project))
    monkeypatch.setattr(dbt, "manifest_is_stale", lambda project: stale)
    if dev:
        monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    else:
        monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    project = dbt.dbt_project.__wrapped__()
    assert [p.project_dir for p in prepared] == ([project.project_dir] if parses else [])


def test_the_instance_dequeues_every_second_one_run_at_a_time(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    fresh, old, edited, moved = (
        config.paths(tmp_path / name / "warehouse.duckdb") for name in ("fresh", "old", "edited", "moved")
    )
    elsewhere = tmp_path / "elsewhere_dagster"
    for paths, text in (
        (old, PREVIOUS_DAGSTER_YAMLS[0]),
        (edited, PREVIOUS_DAGSTER_YAMLS[0] + "# mine\n"),
        (moved, dagster_yaml(elsewhere)),  # a copied warehouse: its own event log, not the original's
    ):
        paths.dagster_home.mkdir(parents=True)
        (paths.dagster_home / "dagster.yaml").write_text(text)
    for paths in (fresh, old, moved):
        home = prepare_dagster_home(paths)
        assert (home / "dagster.yaml").read_text() == dagster_yaml(home)  # an old default is upgraded
        with open_instance(paths) as instance:
            assert instance.run_coordinator.dequeue_interval_seconds == 1
            assert type(instance.run_launcher).__name__ == "WarehouseRunLauncher"  # the warm run worker
            assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
            storage = instance.event_log_storage
            assert type(storage).__name__ == "WarehouseEventLogStorage"  # connections kept open
            assert Path(storage._base_dir) == home.resolve() / "history" / "runs"  # Dagster's default place
    assert not elsewhere.exists()
    prepare_dagster_home(edited)
    assert (edited.dagster_home / "dagster.yaml").read_text().endswith("# mine\n")  # edits are kept
