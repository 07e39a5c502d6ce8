"""The run launcher's choice of worker (orchestration/launcher.py): the spare worker runs a run
only while it is alive and loaded the code on disk; runs of other code locations go to Dagster's
default launcher. The UI test (tests/test_ui.py) runs real workers end to end."""

from __future__ import annotations

import itertools
import sys

import dagster as dg
import pytest
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin

from orchestration import launcher


class FakeProcess:
    pids = itertools.count(1000)

    def __init__(self, args, stdin, text):
        self.args, self.pid, self.alive, self.sent = args, next(self.pids), True, []
        self.stdin = self

    def poll(self):
        return None if self.alive else 0

    def write(self, text):
        self.sent.append(text)

    def close(self):
        self.sent.append("EOF")


@pytest.fixture
def fake_workers(monkeypatch):
    digest = {"now": "loaded"}
    monkeypatch.setattr(launcher, "code_digest", lambda: digest["now"])
    monkeypatch.setattr(launcher.subprocess, "Popen", FakeProcess)
    with dg.instance_for_test() as instance:  # held: the launcher keeps only a weak reference
        run_launcher = launcher.WarehouseRunLauncher()
        run_launcher.register_instance(instance)
        yield run_launcher, digest


def test_the_spare_runs_the_next_run_while_it_loaded_the_code_on_disk(fake_workers):
    run_launcher, digest = fake_workers
    run_launcher._spare = spare = launcher._Worker(run_launcher._instance.get_ref())
    assert spare.process.args[1:3] == ["-m", "orchestration.launcher"]  # loads orchestration.definitions
    assert run_launcher._take_worker() is spare

    run_launcher._spare = stale = launcher._Worker(run_launcher._instance.get_ref())
    digest["now"] = "edited"  # a dbt model, a Python module or the manifest changed since
    fresh = run_launcher._take_worker()
    assert fresh is not stale and fresh.digest == "edited"
    assert stale.process.sent == ["EOF"]  # the stale spare is told to exit, it runs nothing

    run_launcher._spare = dead = launcher._Worker(run_launcher._instance.get_ref())
    dead.process.alive = False  # killed, out of memory
    assert run_launcher._take_worker() is not dead


def test_a_worker_gets_the_run_id_and_nothing_else(fake_workers):
    run_launcher, _ = fake_workers
    worker = run_launcher._take_worker()
    worker.start("run-1")
    assert worker.process.sent == ["run-1\n", "EOF"]


def origin(module: str, executable: str = sys.executable) -> JobPythonOrigin:
    pointer = ModuleCodePointer(module, "defs", working_directory=None)
    return JobPythonOrigin("warehouse_job", RepositoryPythonOrigin(executable, pointer))


def test_only_this_project_in_this_environment_gets_a_warm_worker():
    assert launcher._is_ours(origin("orchestration.definitions"))
    assert not launcher._is_ours(origin("someone_else.definitions"))
    assert not launcher._is_ours(origin("orchestration.definitions", "/opt/other-venv/bin/python"))


def test_the_daemon_is_recognised_by_how_dg_dev_starts_it(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/venv/lib/python3.11/site-packages/dagster/_daemon/__main__.py", "run"])
    assert launcher._in_daemon()
    monkeypatch.setattr(sys, "argv", ["/venv/bin/campaign-dw", "build"])
    assert not launcher._in_daemon()
