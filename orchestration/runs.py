"""What happened in a run, read from the warehouse's Dagster instance (its run storage and
event log): for `campaign-dw build`'s report, `campaign-dw info` and failure notifications.
The first problem of a failed run is its root cause: a failed blocking check's description,
or the message of the error that failed a step (not Dagster's list of skipped steps)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

STATUS = {
    dg.DagsterRunStatus.SUCCESS: "success",
    dg.DagsterRunStatus.FAILURE: "failure",
    dg.DagsterRunStatus.CANCELED: "canceled",
    dg.DagsterRunStatus.STARTED: "running",
    dg.DagsterRunStatus.STARTING: "running",
    dg.DagsterRunStatus.QUEUED: "queued",
    dg.DagsterRunStatus.NOT_STARTED: "queued",
}
# Tag of runs started by `campaign-dw build`: their process, to tell a killed run from a running one.
PID_TAG = "campaign_dw/pid"
# Dagster's own wrappers around the user code's error.
WRAPPERS = ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError", "DagsterExecutionInterruptedError")


@dataclass
class RunReport:
    run_id: str
    job: str
    status: str
    started_at: str | None
    finished_at: str | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks_passed: int = 0
    materialized: list[str] = field(default_factory=list)
    failed_step: str | None = None

    @property
    def cause(self) -> str | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "status": self.status,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "cause": self.cause,
            "problems": self.problems,
            "warnings": self.warnings,
            "checks_passed": self.checks_passed,
            "failed_step": self.failed_step,
        }


def report(instance: dg.DagsterInstance, run_id: str) -> RunReport:
    record = instance.get_run_record_by_id(run_id)
    run = record.dagster_run
    status = STATUS.get(run.status, run.status.value.lower())
    if status == "running" and not _alive(run.tags.get(PID_TAG)):
        status = "interrupted"  # its process is gone: the next run redoes its work
    problems, warnings, passed, materialized, failures, failed_steps = [], [], 0, [], [], []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                passed += 1
            elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
                problems.append(f"blocking check failed: {name}: {evaluation.description or ''}".rstrip(": "))
            else:
                warnings.append(f"warning: {name}: {evaluation.description or ''}".rstrip(": "))
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialized.append(event.asset_key.to_user_string())
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            failed_steps.append(event.step_key)
            failures.append(f"step {event.step_key} failed: {_root_cause(event.step_failure_data)}")
    # A failed blocking check also fails its step; the check's own description says more.
    problems += [f for f in failures if not (problems and "blocking asset check" in f.lower())]
    return RunReport(
        run_id=run.run_id,
        job=run.job_name,
        status=status,
        started_at=_time(record.start_time),
        finished_at=_time(record.end_time),
        problems=problems,
        warnings=warnings,
        checks_passed=passed,
        materialized=materialized,
        failed_step=failed_steps[0] if failed_steps else None,
    )


def latest(instance: dg.DagsterInstance) -> RunReport | None:
    records = instance.get_run_records(limit=1)
    return report(instance, records[0].dagster_run.run_id) if records else None


def _root_cause(data) -> str:
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    while (
        error is not None
        and error.cause is not None
        and (error.cls_name in WRAPPERS or "Error occurred while executing" in error.message)
    ):
        error = error.cause
    return _essence(error.message if error else "")


def _essence(message: str) -> str:
    """The part of an error a person needs: dbt's own error lines when there are some."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", message)  # dbt colours its log lines
    lines = [line.strip() for line in plain.strip().splitlines() if line.strip()]
    if "Errors parsed from dbt logs:" in lines:
        lines = lines[lines.index("Errors parsed from dbt logs:") + 1 :]
        lines = [line for line in lines if not line.startswith(("Stack Trace", "File ", "^"))][:8]
    text = " | ".join(lines[:8]) or "failed"
    return re.sub(r"^[A-Za-z_.]*(Error|Exception|Failure): ", "", text)


def _time(timestamp: float | None) -> str | None:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds") if timestamp else None


def _alive(pid: str | None) -> bool:
    if not pid:
        return True  # not a command-line run: Dagster's run monitoring marks a dead one failed
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
