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
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import dagster as dg
import pytest

from campaign_dw.config import Settings
from campaign_dw.serving import published
from orchestration.build import run_build
from orchestration.defs.automation import notify_failure
from orchestration.defs.resources import WarehouseResource
from orchestration.instance import open_instance
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
            failure = next(e.dagster_event for e in instance.all_logs(report.run_id)
                           if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE)
            for webhook_url in ("", url):  # off by default: no URL, no post
                resources = {"warehouse": WarehouseResource.from_settings(settings, failure_webhook_url=webhook_url)}
                with dg.build_run_status_sensor_context(
                    sensor_name="notify_failure", dagster_instance=instance, dagster_run=run, dagster_event=failure,
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
        "warehouse_job", report.run_id, "raw_tables", report.cause)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_one_mart_materialized_from_its_asset_page_runs_in_one_process_and_gets_published(sample_copy, tmp_path):
    """As the UI's asset page launches it (the implicit asset job, through the webserver's
    GraphQL API): one mart with its checks, all steps in the run's process; once its checks
    passed, serving is published (the publish_serving automation); `info` reports both runs."""
    from dagster_graphql import DagsterGraphQLClient

    from campaign_dw.serving import publish

    before = publish(sample_copy, run_id="before")["run_id"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN_DW_", "DAGSTER_HOME"))}
    ui = subprocess.Popen([CLI, "--warehouse", str(sample_copy.warehouse), "ui", "--port", str(port)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = []
    threading.Thread(target=lambda: output.extend(ui.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 300
        while True:  # the webserver up and the code location loaded: the launch goes through
            try:
                client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
                run_id = client.submit_job_execution(
                    "__ASSET_JOB", asset_selection=[dg.AssetKey(["marts", "campaign_metrics"])])
                break
            except Exception:
                assert ui.poll() is None, "".join(output)[-3000:]
                assert time.monotonic() < deadline, "the UI never took the run: " + "".join(output)[-3000:]
                time.sleep(3)
        deadline = time.monotonic() + 600
        while (status := client.get_run_status(run_id)) not in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
            assert time.monotonic() < deadline, status
            time.sleep(2)
        assert status == dg.DagsterRunStatus.SUCCESS, "".join(output)[-3000:]
        deadline = time.monotonic() + 180
        while published(sample_copy.paths)["run_id"] in (before, run_id):
            assert time.monotonic() < deadline, "serving was never published after the run"
            time.sleep(2)
    finally:  # a UI that already exited has no process group left: its output is the failure
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGINT)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(ui.pid, signal.SIGKILL)
    unwanted = [line for line in output if "Warning" in line or "does not match" in line]
    assert unwanted == [], unwanted  # the UI starts clean: no deprecation, no name mismatch

    status = info(sample_copy.paths)
    runs = {r["run_id"]: r for r in status["recent_runs"]}
    assert runs[run_id]["status"] == "success" and runs[run_id]["job"] == "__ASSET_JOB"
    assert status["last_publish"]["run_id"] in runs and status["serving_is_current"]
    with open_instance(sample_copy.paths) as instance:
        pids = {e.dagster_event.pid for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.is_step_start}
        steps = [e.step_key for e in instance.all_logs(run_id) if e.dagster_event and e.dagster_event.is_step_start]
    assert len(pids) == 1 and "warehouse_dbt_models" in steps
    shutil.rmtree(tmp_path, ignore_errors=True)
