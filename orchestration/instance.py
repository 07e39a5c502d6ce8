"""The project-local Dagster instance (DAGSTER_HOME) used by `campaign-dw ui` and `build`.

One run at a time writes the DuckDB file: the run queue lets a single run in, and overlapping
triggers (schedule, sensor, a click in the UI) wait in the queue instead of failing.
"""

from __future__ import annotations

import os
from pathlib import Path

from campaign_dw.config import PROJECT_DIR

DAGSTER_YAML = """\
# Written by campaign-dw; edits are kept.
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    value = os.environ.get("DAGSTER_HOME")
    return Path(value).resolve() if value else PROJECT_DIR / ".dagster_home"


def prepare_dagster_home() -> Path:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home
