"""Entry point of the code location: everything in `defs/` (assets, checks, jobs, schedules,
sensors, resources) is discovered and merged by Dagster's `load_from_defs_folder`."""

from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
