"""One Dagster instance per warehouse: its runs, event log and schedules live beside the
warehouse (`<warehouse>_dagster/`), for `campaign-dw build`, `info`, the UI, the schedule and
the sensor alike. Runs, asset history and check plots of different warehouses never mix, and
the run queue (one run at a time) serialises the runs of one warehouse, not of all.
`DAGSTER_HOME`, when the operator sets it, still wins.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from campaign_dw.config import Paths

DAGSTER_YAML = """\
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
"""


def dagster_home(paths: Paths) -> Path:
    value = os.environ.get("DAGSTER_HOME")
    return Path(value).resolve() if value else paths.dagster_home


def prepare_dagster_home(paths: Paths) -> Path:
    home = dagster_home(paths)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def open_instance(paths: Paths) -> dg.DagsterInstance:
    """The warehouse's instance (created on first use)."""
    return dg.DagsterInstance.from_config(str(prepare_dagster_home(paths)))


def existing_instance(paths: Paths) -> dg.DagsterInstance | None:
    """The warehouse's instance, or None when no run ever used it (nothing is created)."""
    home = dagster_home(paths)
    return dg.DagsterInstance.from_config(str(home)) if (home / "dagster.yaml").exists() else None
