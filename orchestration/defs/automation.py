"""The job that loads and builds everything, and what starts it: an hourly schedule, a sensor
on the landing folder; and sensors that record every run's outcome for `campaign-dw info`."""


import hashlib
import os

import dagster as dg

from campaign_dw.config import landing_dir, paths
from campaign_dw.serving import record_run

# One process runs the steps one after another: DuckDB has a single writer, and the steps
# share nothing but the warehouse file.
warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load new raw files, dbt build (models + tests), Python checks, publish to serving.",
)

warehouse_schedule = dg.ScheduleDefinition(
    name="warehouse_schedule",
    job=warehouse_job,
    cron_schedule=os.environ.get("CAMPAIGN_DW_SCHEDULE", "0 * * * *"),  # hourly by default
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint() -> tuple[str, int]:
    """A digest of the data files in the landing folder (name, size, mtime) and their count."""
    directory = landing_dir()
    files = sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".parquet")
    ) if directory.is_dir() else []
    digest = hashlib.sha256()
    for p in files:
        stat = p.stat()
        digest.update(f"{p.relative_to(directory)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest(), len(files)


@dg.sensor(job=warehouse_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_landing_files(context: dg.SensorEvaluationContext):
    """Start a run when files appear or change in the landing folder (the load skips what it has)."""
    fingerprint, count = landing_fingerprint()
    if count == 0 or fingerprint == context.cursor:
        return dg.SkipReason(f"no new files in {landing_dir()}")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags={"trigger": "new_landing_files"})


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[warehouse_job],
                      default_status=dg.DefaultSensorStatus.RUNNING)
def record_run_success(context: dg.RunStatusSensorContext):
    record_run(paths(), "success", run_id=context.dagster_run.run_id)


@dg.run_failure_sensor(monitored_jobs=[warehouse_job], default_status=dg.DefaultSensorStatus.RUNNING)
def record_run_failure(context: dg.RunFailureSensorContext):
    """Record the failure for `campaign-dw info` and alert in the logs (hook an alert channel here)."""
    message = context.failure_event.message or "run failed"
    record_run(paths(), "failure", run_id=context.dagster_run.run_id, problems=[message])
    context.log.error(f"warehouse_job run {context.dagster_run.run_id} failed: {message}")
