"""One Dagster instance per warehouse: its runs, event log and schedules live beside the
warehouse (`<warehouse>_dagster/`), for `campaign-dw build`, `info`, the UI, the schedule and
the sensor alike. Runs, asset history and check plots of different warehouses never mix, and
the run queue (one run at a time) serialises the runs of one warehouse, not of all.
`DAGSTER_HOME`, when the operator sets it, still wins.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import dagster as dg
import yaml

from campaign_dw.config import Paths

DAGSTER_YAML = """\
# Written by campaign-dw; edits are kept (a moved warehouse's event log path is rewritten).
# One run at a time per warehouse: overlapping triggers (schedule, sensor, a click in the UI)
# wait in the queue; a run started meanwhile by `campaign-dw build` waits for the warehouse.
concurrency:
  runs:
    max_concurrent_runs: 1
# The daemon looks at the queue every second (Dagster's default is five): a run launched from
# the UI, the schedule or the sensor starts as soon as the warehouse is free.
run_coordinator:
  module: orchestration.launcher
  class: WarehouseRunCoordinator
  config:
    dequeue_interval_seconds: 1
# Runs start in a run worker that has already loaded the code location (orchestration/launcher.py).
run_launcher:
  module: orchestration.launcher
  class: WarehouseRunLauncher
# Dagster's SQLite event log in its usual place, with its connections kept open between
# events instead of opened for each (orchestration/storage.py).
event_log_storage:
  module: orchestration.storage
  class: WarehouseEventLogStorage
  config:
    base_dir: {event_log_dir}
# A run whose process died (killed, out of memory) is marked failed instead of running forever.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
telemetry:
  enabled: false
"""


def dagster_yaml(home: Path) -> str:
    """dagster.yaml of the instance in `home` (its event log's folder is named in full)."""
    return DAGSTER_YAML.replace("{event_log_dir}", json.dumps(str(event_log_dir(home))))


def event_log_dir(home: Path) -> Path:
    return home.resolve() / "history" / "runs"  # where Dagster's default SQLite storage keeps it


# dagster.yaml as earlier versions wrote it: replaced by the current one (an edited file is kept).
PREVIOUS_DAGSTER_YAMLS = (
    """\
# Written by campaign-dw; edits are kept.
# One run at a time per warehouse: overlapping triggers (schedule, sensor, a click in the UI)
# wait in the queue; a run started meanwhile by `campaign-dw build` waits for the warehouse.
concurrency:
  runs:
    max_concurrent_runs: 1
# The daemon looks at the queue every second (Dagster's default is five): a run launched from
# the UI, the schedule or the sensor starts as soon as the warehouse is free.
run_coordinator:
  module: orchestration.launcher
  class: WarehouseRunCoordinator
  config:
    dequeue_interval_seconds: 1
# Runs start in a run worker that has already loaded the code location (orchestration/launcher.py).
run_launcher:
  module: orchestration.launcher
  class: WarehouseRunLauncher
# A run whose process died (killed, out of memory) is marked failed instead of running forever.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
telemetry:
  enabled: false
""",
    """\
# Written by campaign-dw; edits are kept.
# One run at a time per warehouse: overlapping triggers (schedule, sensor, a click in the UI)
# wait in the queue; a run started meanwhile by `campaign-dw build` waits for the warehouse.
concurrency:
  runs:
    max_concurrent_runs: 1
# The daemon looks at the queue every second (Dagster's default is five): a run launched from
# the UI, the schedule or the sensor starts as soon as the warehouse is free.
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
# A run whose process died (killed, out of memory) is marked failed instead of running forever.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
telemetry:
  enabled: false
""",
    """\
# Written by campaign-dw; edits are kept.
# One run at a time per warehouse: overlapping triggers (schedule, sensor, a click in the UI)
# wait in the queue; a run started meanwhile by `campaign-dw build` waits for the warehouse.
concurrency:
  runs:
    max_concurrent_runs: 1
# A run whose process died (killed, out of memory) is marked failed instead of running forever.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
telemetry:
  enabled: false
""",
)


def dagster_home(paths: Paths) -> Path:
    value = os.environ.get("DAGSTER_HOME")
    return Path(value).resolve() if value else paths.dagster_home


# Written once the instance's storage exists: from then on any process may open it at once.
READY_MARK = ".storage_ready"


def prepare_dagster_home(paths: Paths) -> Path:
    """The instance's folder, its dagster.yaml and its storage, created once. Creating the
    SQLite storage is not safe from two processes at the same moment (a build started while
    `campaign-dw info` or the UI opens a new instance: alembic stamps twice and one of them
    fails), so the first opener creates it under a file lock and marks it ready."""
    home = dagster_home(paths)
    _upgrade_config(home)
    if (home / READY_MARK).exists():
        return home
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".storage.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (home / READY_MARK).exists():
                config = home / "dagster.yaml"
                if not config.exists():
                    config.write_text(dagster_yaml(home))
                dg.DagsterInstance.from_config(str(home)).dispose()
                (home / READY_MARK).touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return home


def _upgrade_config(home: Path) -> None:
    """An earlier default dagster.yaml becomes the current one; so does the current one of
    another folder (the warehouse was moved or copied: its event log is the one beside it)."""
    config = home / "dagster.yaml"
    try:
        text = config.read_text()
    except FileNotFoundError:
        return
    current = dagster_yaml(home)
    if text != current and (text in PREVIOUS_DAGSTER_YAMLS or _is_default_of_another_home(text)):
        # Written whole, then renamed: a reader never sees half a file.
        partial = config.with_name(f".{config.name}.{os.getpid()}")
        partial.write_text(current)
        partial.replace(config)


def _is_default_of_another_home(text: str) -> bool:
    try:
        base_dir = Path(yaml.safe_load(text)["event_log_storage"]["config"]["base_dir"])
    except (yaml.YAMLError, KeyError, TypeError):
        return False
    return text == dagster_yaml(base_dir.parent.parent)


def open_instance(paths: Paths) -> dg.DagsterInstance:
    """The warehouse's instance (created on first use)."""
    return dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))


def existing_instance(paths: Paths) -> dg.DagsterInstance | None:
    """The warehouse's instance, or None when no run ever used it (nothing is created)."""
    if not (dagster_home(paths) / "dagster.yaml").exists():
        return None
    return dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))
