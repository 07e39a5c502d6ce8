"""`campaign-dw build`: run the same job the schedule runs, in this process, on the
warehouse's Dagster instance (so the run shows up in the UI too), and say what went wrong."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from campaign_dw.config import Settings
from orchestration.defs.resources import WarehouseResource
from orchestration.instance import open_instance
from orchestration.runs import PID_TAG, RunReport, report


def run_build(
    settings: Settings,
    full_refresh: bool = False,
    verbose: bool = False,
    resources: dict | None = None,
) -> tuple[RunReport, Path | None]:
    """Run warehouse_job once on `settings`' warehouse. Returns the run's report and, unless
    verbose, the file dbt's progress went to. `resources` adds or replaces resources of the
    job (tests stand in a faulty dbt to see the checks block)."""
    run_config = {"ops": {"warehouse_dbt_models": {"config": {"full_refresh": full_refresh}}}}
    return run_job(settings, "warehouse_job", run_config, verbose=verbose, resources=resources)


def run_job(
    settings: Settings,
    job_name: str,
    run_config: dict | None = None,
    verbose: bool = False,
    resources: dict | None = None,
) -> tuple[RunReport, Path | None]:
    """Run a job of the code location in this process, on the warehouse's instance."""
    from orchestration.definitions import defs

    job = defs.resolve_job_def(job_name)
    run_config = {
        **(run_config or {}),
        # Quiet unless asked: the report names what failed; the UI has the full logs.
        "loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}},
    }
    log_file = None if verbose else settings.paths.logs_dir / f"last_{job_name.removesuffix('_job')}.log"
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    with open_instance(settings.paths) as instance:
        with (
            open(log_file, "w") if log_file else contextlib.nullcontext() as log,
            contextlib.redirect_stdout(log) if log else contextlib.nullcontext(),
        ):
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                raise_on_error=False,
                resources={"warehouse": WarehouseResource.from_settings(settings), **(resources or {})},
                tags={PID_TAG: str(os.getpid()), "trigger": "campaign-dw"},
            )
        return report(instance, result.run_id), log_file
