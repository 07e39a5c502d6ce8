"""The run launcher of a warehouse's instance: a run launched from the UI, the schedule or the
sensor starts in a run worker that has already loaded the code location.

Dagster's default launcher asks the code server to spawn a new Python process per run, which
imports Dagster, dagster-dbt (dbt-core) and the definitions before the first step: most of the
wait between a click and the run's start. This launcher keeps one spare worker, started ahead
of time with the definitions loaded, hands it the next run and starts the following spare. A
spare is used only while the code it loaded is the code on disk (the dbt project, the
`campaign_dw` and `orchestration` packages, the manifest): after an edit the next run gets a
fresh worker, as before, and so does a run of another code location.

A worker runs exactly what `dagster api execute_run` runs (the run's own origin, the
instance's event log); terminating a run sends it SIGTERM, which Dagster turns into an
interrupt (the run ends canceled)."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from dagster import _check as check
from dagster._core.launcher import DefaultRunLauncher, LaunchRunContext
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._serdes import ConfigurableClassData, serialize_value

PID_TAG = "campaign_dw/run_worker_pid"
DEFINITIONS_MODULE = "orchestration.definitions"


def code_digest() -> str:
    """What a spare worker loaded: the files the code location is built from."""
    from campaign_dw.build_record import DEFINITION_SOURCES, files_digest
    from campaign_dw.config import DBT_PROJECT_DIR

    return files_digest((*DEFINITION_SOURCES, DBT_PROJECT_DIR / "target" / "manifest.json"))


class _Worker:
    """A run worker process waiting on its stdin for the id of the run to execute."""

    def __init__(self, instance_ref) -> None:
        self.digest = code_digest()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.launcher", serialize_value(instance_ref)],
            stdin=subprocess.PIPE,
            text=True,
        )

    def usable(self) -> bool:
        return self.process.poll() is None and self.digest == code_digest()

    def start(self, run_id: str) -> None:
        self.process.stdin.write(run_id + "\n")
        self.process.stdin.close()

    def discard(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # an idle worker exits at the end of its input


class WarehouseRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher with a warm run worker for this project's code location."""

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(inst_data=inst_data)
        self._lock = threading.Lock()
        self._spare: _Worker | None = None

    def register_instance(self, instance) -> None:
        super().register_instance(instance)
        if _in_daemon():  # the process that launches runs: the first run gets a warm worker too
            with self._lock:
                self._spare = _Worker(instance.get_ref())

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        if origin is None or not _is_ours(origin):
            return super().launch_run(context)
        with self._lock:
            worker = self._take_worker()
            self._instance.add_run_tags(run.run_id, {PID_TAG: str(worker.process.pid)})
            worker.start(run.run_id)
            self._run_ids.add(run.run_id)
            self._spare = _Worker(self._instance.get_ref())

    def _take_worker(self) -> _Worker:
        """The spare if it is alive and loaded the code on disk, else a fresh worker. (A worker
        that ended is reaped by the subprocess module when the next one starts.)"""
        worker = self._spare if self._spare is not None and self._spare.usable() else None
        if worker is None:
            if self._spare is not None:
                self._spare.discard()
            worker = _Worker(self._instance.get_ref())
        self._spare = None
        return worker

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if not run or PID_TAG not in run.tags:
            return super().terminate(run_id)
        if run.is_finished:
            return False
        self._instance.report_run_canceling(run)
        try:
            os.kill(int(run.tags[PID_TAG]), signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    def dispose(self) -> None:
        with self._lock:
            if self._spare is not None:
                self._spare.discard()
                self._spare = None
        super().dispose()


class WarehouseRunCoordinator(QueuedRunCoordinator):
    """Dagster's run queue; in the daemon it opens the run launcher at once (Dagster opens it at
    the first launch), so that the first run already finds a spare worker."""

    def register_instance(self, instance) -> None:
        super().register_instance(instance)
        if _in_daemon():
            instance.run_launcher  # noqa: B018 - opening it starts the spare worker


def _in_daemon() -> bool:
    """The Dagster daemon (`python -m dagster._daemon run`, as `dg dev` starts it) launches the
    queued runs; the webserver and the CLI open the same launcher but never launch."""
    return Path(sys.argv[0]).parts[-3:] == ("dagster", "_daemon", "__main__.py")


def _is_ours(origin) -> bool:
    """A run of this project's code location, in this Python environment."""
    repository = origin.repository_origin
    return getattr(repository.code_pointer, "module", None) == DEFINITIONS_MODULE and os.path.realpath(
        repository.executable_path
    ) == os.path.realpath(sys.executable)


def _worker_main(serialized_instance_ref: str) -> int:
    """Load everything a run needs, then wait for the run's id; exit quietly when none comes."""
    from dagster._cli.api import _execute_run_command_body
    from dagster._core.instance import DagsterInstance, InstanceRef
    from dagster._serdes import deserialize_value
    from dagster._utils.interrupts import capture_interrupts

    try:  # the code location, loaded before any run is asked for
        importlib.import_module(DEFINITIONS_MODULE)
    except Exception:  # noqa: S110 - the run loads it again and reports the error as its failure
        pass
    instance_ref = deserialize_value(serialized_instance_ref, InstanceRef)
    try:
        run_id = sys.stdin.readline().strip()
    except KeyboardInterrupt:
        return 0
    if not run_id:
        return 0
    with capture_interrupts(), DagsterInstance.from_ref(instance_ref) as instance:
        check.not_none(instance.get_run_by_id(run_id), f"run {run_id} not found")
        return _execute_run_command_body(run_id, instance, lambda event: None, set_exit_code_on_failure=False)


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1]))
