"""`campaign-dw build`: run the same job the schedule runs, in this process, on the project's
Dagster instance (so the run shows up in the UI too), and say what went wrong."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from campaign_dw.config import Paths
from campaign_dw.serving import record_run
from orchestration.instance import prepare_dagster_home


@dataclass
class BuildOutcome:
    success: bool
    run_id: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks_passed: int = 0
    log_file: Path | None = None


def run_build(
    paths: Paths,
    full_refresh: bool = False,
    landing: Path | None = None,
    verbose: bool = False,
    resources: dict | None = None,
) -> BuildOutcome:
    """Run warehouse_job once. `resources` replaces resources of the job (tests use it to
    stand in a faulty dbt and see the checks block)."""
    os.environ["CAMPAIGN_DW_WAREHOUSE"] = str(paths.warehouse)
    os.environ["DAGSTER_HOME"] = str(prepare_dagster_home())
    record_run(paths, "running")  # `info` tells a run that was killed from one still going
    from orchestration.definitions import defs  # after the environment is set

    job = defs.resolve_job_def("warehouse_job")
    run_config = {
        "ops": {
            "raw_tables": {"config": {"landing_dir": str(landing.resolve()) if landing else ""}},
            "warehouse_dbt_models": {"config": {"full_refresh": full_refresh}},
        },
        # Quiet unless asked: the outcome below names what failed; the UI has the full logs.
        "loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}},
    }
    # dbt's progress lines go to a log file unless asked for; Dagster's warnings still show.
    log_file = paths.root / "logs" / "last_build.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "w") as log, (contextlib.nullcontext() if verbose else contextlib.redirect_stdout(log)):
        with dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, raise_on_error=False, resources=resources
            )
    outcome = summarize(result)
    outcome.log_file = None if verbose else log_file
    record_run(paths, "success" if outcome.success else "failure", run_id=outcome.run_id, problems=outcome.problems)
    return outcome


def summarize(result: dg.ExecuteInProcessResult) -> BuildOutcome:
    problems, warnings, passed = [], [], 0
    for evaluation in result.get_asset_check_evaluations():
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        if evaluation.passed:
            passed += 1
            continue
        description = evaluation.description or ""
        if evaluation.severity == dg.AssetCheckSeverity.ERROR:
            problems.append(f"blocking check failed: {name} {description}".rstrip())
        else:
            warnings.append(f"warning: {name} {description}".rstrip())
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None and "Error occurred while executing" in error.message:
                error = error.cause  # Dagster's wrapper: the user code's own error says more
            problems.append(f"step failed: {event.step_key}: {_essence(error.message if error else '')}")
    success = result.success and not problems
    return BuildOutcome(success, result.run_id, problems, warnings, passed)


def _essence(message: str) -> str:
    """The part of an error a person needs: dbt's own error lines when there are some."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)  # dbt colours its log lines
    lines = [line.strip() for line in plain.strip().splitlines() if line.strip()]
    if "Errors parsed from dbt logs:" in lines:
        lines = lines[lines.index("Errors parsed from dbt logs:") + 1:]
        lines = [line for line in lines if not line.startswith(("Stack Trace", "File ", "^"))][:8]
    return " | ".join(lines[:8]) or "step failed"
