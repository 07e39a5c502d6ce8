"""The servers the CLI starts (dashboard, dbt docs, the Dagster UI) stop with it: a SIGTERM to
`campaign-dw`'s pid, as a process manager or `kill PID` sends it, ends the command, frees the
port and leaves none of the processes it started (dg dev's webserver, daemon and code server
included)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("campaign-dw"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children() -> dict[int, int]:
    """{pid: parent pid} of every live process (zombies left out: they hold nothing)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if state != "Z":
                parents[int(entry.name)] = int(ppid)
    return parents


def descendants(pid: int) -> set[int]:
    parents = children()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return pids & set(children())


def stops_on_sigterm(args: list[str], warehouse: Path, tmp_path: Path, start_timeout: float) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN_DW_", "DAGSTER_HOME"))}
    log = open(tmp_path / "server.log", "w+")
    cli = subprocess.Popen(
        [CLI, "--warehouse", str(warehouse), *args, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = set()
    try:
        deadline = time.monotonic() + start_timeout
        while not port_answers(port):
            assert cli.poll() is None, f"{args[0]} exited: " + Path(log.name).read_text()[-3000:]
            assert time.monotonic() < deadline, f"{args[0]} never answered: " + Path(log.name).read_text()[-3000:]
            time.sleep(0.5)
        started = descendants(cli.pid)
        assert started, "the server is a child of the CLI"
        os.kill(cli.pid, signal.SIGTERM)  # the CLI's pid only, as `kill PID` does
        assert cli.wait(timeout=90) == 0, Path(log.name).read_text()[-3000:]
        deadline = time.monotonic() + 10
        while port_answers(port) and time.monotonic() < deadline:  # the socket may linger a moment
            time.sleep(0.2)
        assert not port_answers(port), f"{args[0]}: the port still answers after the CLI ended"
        assert alive(started) == set(), f"{args[0]} left processes running: {alive(started)}"
        with pytest.raises(ProcessLookupError):  # nothing left in the CLI's process group either
            os.killpg(cli.pid, 0)
    finally:
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGKILL)
        for pid in alive(started):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_the_dashboard_stops_with_its_command(tmp_path):
    stops_on_sigterm(["dashboard"], tmp_path / "wh.duckdb", tmp_path, start_timeout=60)


@pytest.mark.slow
def test_the_docs_server_stops_with_its_command(sample_copy, tmp_path):
    """`dbt docs generate` reads the catalog from a built warehouse: the sample's."""
    stops_on_sigterm(["docs"], sample_copy.warehouse, tmp_path, start_timeout=180)


@pytest.mark.slow
def test_the_dagster_ui_stops_with_its_command(tmp_path):
    """dg dev starts the webserver and the daemon, which start the code server: all of them end."""
    stops_on_sigterm(["ui"], tmp_path / "wh.duckdb", tmp_path, start_timeout=300)
