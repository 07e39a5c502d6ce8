"""A real Spark deployment on this machine: a standalone master, one worker and the Spark
Thrift server submitted to that master, all bound to 127.0.0.1 (`campaign-dw spark-cluster`).

It is what a cluster looks like to the warehouse (EMR, Dataproc, on-prem): dbt, the Python
checks and the serving copy all reach Spark over the Thrift server (``CAMPAIGN_DW_SPARK_METHOD
=thrift``), and the work runs in the worker's executors, not in the client's process. The
processes come from pyspark's own bundle (``spark-class``, ``spark-submit``).

Everything of the cluster lives in ``<warehouse>_spark_cluster/``: its configuration, logs,
the Hive metastore (Derby, owned by the Thrift server), the tables, and ``cluster.json`` with
the pids and ports of the processes it started; ``stop`` ends exactly those.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from campaign_dw.config import Paths
from campaign_dw.spark.conf import write_conf

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
THRIFT_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
HOST = "127.0.0.1"


def cluster_dir(paths: Paths) -> Path:
    return paths.root / f"{paths.warehouse.stem}_spark_cluster"


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _state_file(paths: Paths) -> Path:
    return cluster_dir(paths) / "cluster.json"


def _read_state(paths: Paths) -> dict | None:
    file = _state_file(paths)
    return json.loads(file.read_text()) if file.exists() else None


def _log_tail(file: Path, lines: int = 40) -> str:
    return "\n".join(file.read_text(errors="replace").splitlines()[-lines:]) if file.exists() else "(no log)"


def status(paths: Paths) -> dict:
    """What runs: each process started (pid, alive), the ports, whether the Thrift server
    answers, and the environment a build needs to use it."""
    state = _read_state(paths)
    if state is None:
        return {"running": False, "directory": str(cluster_dir(paths))}
    processes = {name: {"pid": pid, "alive": _alive(pid)} for name, pid in state["pids"].items()}
    thrift_port = state["ports"]["thrift"]
    return {
        "running": all(p["alive"] for p in processes.values()) and _listening(thrift_port),
        "workers": _alive_workers(state["ports"]["master_ui"]),
        "directory": str(cluster_dir(paths)),
        "master": f"spark://{HOST}:{state['ports']['master']}",
        "master_ui": f"http://{HOST}:{state['ports']['master_ui']}",
        "processes": processes,
        "environment": environment(thrift_port),
    }


def environment(thrift_port: int) -> dict[str, str]:
    """The settings that point campaign-dw's spark target at this Thrift server."""
    return {
        "CAMPAIGN_DW_TARGET": "spark",
        "CAMPAIGN_DW_SPARK_METHOD": "thrift",
        "CAMPAIGN_DW_SPARK_HOST": HOST,
        "CAMPAIGN_DW_SPARK_PORT": str(thrift_port),
    }


def _wait(paths: Paths, ready, what: str, pid: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if not _alive(pid):
            stop(paths)
            raise RuntimeError(f"the Spark {what} exited while starting; its log ({log}):\n{_log_tail(log)}")
        if time.monotonic() > deadline:
            stop(paths)
            raise RuntimeError(
                f"the Spark {what} did not start within {timeout:.0f} s; its log ({log}):\n{_log_tail(log)}"
            )
        time.sleep(1)


def _alive_workers(master_ui_port: int) -> int:
    """Workers registered with the master, from its web UI's JSON."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{HOST}:{master_ui_port}/json/", timeout=5) as response:
            return sum(1 for w in json.load(response).get("workers", []) if w.get("state") == "ALIVE")
    except (OSError, ValueError):
        return 0


def thrift_answers(port: int) -> bool:
    """True once the Thrift server runs a query (its port opens before it can)."""
    if not _listening(port):
        return False
    try:
        from pyhive import hive

        with hive.connect(host=HOST, port=port) as connection:
            cursor = connection.cursor()
            cursor.execute("select 1")
            return cursor.fetchall() == [(1,)]
    except Exception:
        return False


def start(
    paths: Paths,
    thrift_port: int = 10000,
    worker_cores: int | None = None,
    worker_memory: str = "4g",
    timeout: float = 300,
) -> dict:
    """Start master, worker and Thrift server (unless they run already); wait until the Thrift
    server answers. Returns status(). Raises RuntimeError with the failing process's log."""
    current = status(paths)
    if current["running"]:
        return current
    if _read_state(paths):
        stop(paths)  # a half-dead cluster: end what is left of it first
    if _listening(thrift_port):
        raise RuntimeError(f"port {thrift_port} on {HOST} is taken: start the cluster with another --thrift-port")
    home = cluster_dir(paths)
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    conf_dir = write_conf(home, {"spark.driver.host": HOST, "spark.driver.bindAddress": HOST}, log_level="warn")
    bin_dir = _spark_home() / "bin"
    env = {
        **os.environ,
        "SPARK_HOME": str(_spark_home()),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOCAL_IP": HOST,
        "SPARK_LOG_DIR": str(logs),
        "SPARK_WORKER_DIR": str(home / "work"),
    }
    env.pop("SPARK_REMOTE", None)
    ports = {"master": _free_port(), "master_ui": _free_port(), "worker_ui": _free_port(), "thrift": thrift_port}
    master_url = f"spark://{HOST}:{ports['master']}"
    commands = {
        "master": [
            str(bin_dir / "spark-class"),
            MASTER_CLASS,
            "--host",
            HOST,
            "--port",
            str(ports["master"]),
            "--webui-port",
            str(ports["master_ui"]),
        ],
        "worker": [
            str(bin_dir / "spark-class"),
            WORKER_CLASS,
            master_url,
            "--host",
            HOST,
            "--cores",
            str(worker_cores or os.cpu_count() or 2),
            "--memory",
            worker_memory,
            "--webui-port",
            str(ports["worker_ui"]),
            "--work-dir",
            str(home / "work"),
        ],
        "thrift": [
            str(bin_dir / "spark-submit"),
            "--master",
            master_url,
            "--class",
            THRIFT_CLASS,
            "--name",
            "campaign-dw thrift server",
            "--driver-memory",
            "2g",
            "--hiveconf",
            f"hive.server2.thrift.port={thrift_port}",
            "--hiveconf",
            f"hive.server2.thrift.bind.host={HOST}",
            "spark-internal",
        ],
    }
    pids: dict[str, int] = {}
    state_file = _state_file(paths)
    for name, command in commands.items():
        log = logs / f"{name}.log"
        with open(log, "ab") as out:
            # Each in a session of its own: `stop` ends it (and its JVM) by its process group.
            process = subprocess.Popen(
                command,
                env=env,
                cwd=home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pids[name] = process.pid
        state_file.write_text(json.dumps({"pids": pids, "ports": ports}, indent=2))
        if name == "master":
            _wait(paths, lambda: _listening(ports["master"]), name, process.pid, log, timeout)
        elif name == "worker":
            _wait(paths, lambda: _alive_workers(ports["master_ui"]) > 0, name, process.pid, log, timeout)
        else:
            _wait(paths, lambda: thrift_answers(thrift_port), "Thrift server", process.pid, log, timeout)
    return status(paths)


def stop(paths: Paths, timeout: float = 60) -> list[str]:
    """End the processes `start` started (by their pids' process groups): the Thrift server
    first, the master last. Returns the names of those that were still running."""
    state = _read_state(paths)
    if state is None:
        return []
    ended = []
    for name in ("thrift", "worker", "master"):
        pid = state["pids"].get(name)
        if pid is None or not _alive(pid):
            continue
        ended.append(name)
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    _state_file(paths).unlink(missing_ok=True)
    return ended
