"""The job that loads and builds everything, and what starts it: an hourly schedule and a sensor
on the landing folder; and the weekly drift alarm's schedule."""

import hashlib
import json
import os
import urllib.request
from pathlib import Path

import dagster as dg

from campaign_dw.build_record import nothing_new
from orchestration.defs.checks import drift_job
from orchestration.defs.freshness import raw_freshness
from orchestration.defs.resources import WarehouseResource
from orchestration.runs import report

warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=dg.AssetSelection.all(),
    description="Load new raw files from the landing folder, dbt build (models + tests), Python checks, "
    "publish to serving.",
)

FRESHNESS_CHECKS = list(raw_freshness.check_keys)


@dg.schedule(
    name="warehouse_schedule",
    job=warehouse_job,
    cron_schedule=os.environ.get("CAMPAIGN_DW_SCHEDULE", "0 * * * *"),  # hourly by default
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs warehouse_job every hour (cron: $CAMPAIGN_DW_SCHEDULE); when nothing is new since the last "
    "completed build (campaign_dw/build_record.py), only the feeds' freshness checks.",
)
def warehouse_schedule(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
    if nothing_new(warehouse.settings):
        # A feed that stopped delivering is exactly when nothing is new: still say so.
        return dg.RunRequest(asset_selection=[], asset_check_keys=FRESHNESS_CHECKS, tags={"nothing_new": "true"})
    return dg.RunRequest()


drift_schedule = dg.ScheduleDefinition(
    name="drift_schedule",
    job=drift_job,
    cron_schedule=os.environ.get("CAMPAIGN_DW_DRIFT_SCHEDULE", "0 3 * * 0"),  # Sundays 03:00 UTC
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the drift alarm weekly (cron: $CAMPAIGN_DW_DRIFT_SCHEDULE).",
)


def landing_fingerprint(directory: Path) -> tuple[str, int]:
    """A digest of the data files in the landing folder (name, size, mtime) and their count."""
    files = (
        sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".parquet"))
        if directory.is_dir()
        else []
    )
    digest = hashlib.sha256()
    for p in files:
        stat = p.stat()
        digest.update(f"{p.relative_to(directory)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest(), len(files)


@dg.sensor(
    job=warehouse_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts warehouse_job when files appear or change in the landing folder.",
)
def new_landing_files(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    landing = warehouse.settings.landing
    if landing is None:
        return dg.SkipReason(
            "no landing folder named: set CAMPAIGN_DW_LANDING (or the warehouse resource's "
            "`landing`) to the folder new raw files arrive in"
        )
    fingerprint, count = landing_fingerprint(landing)
    if count == 0 or fingerprint == context.cursor:
        return dg.SkipReason(f"no new files in {landing}")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint, tags={"trigger": "new_landing_files"})


def failure_message(run_report) -> dict:
    """What a failure notification says: the cause first (Slack-compatible `text`), and the
    parts apart for whatever reads the JSON."""
    return {
        "text": f"campaign-dw: {run_report.job} run {run_report.run_id} failed: {run_report.cause or 'no cause recorded'}",
        "job": run_report.job,
        "run_id": run_report.run_id,
        "failed_step": run_report.failed_step,
        "cause": run_report.cause,
        "problems": run_report.problems,
    }


@dg.run_failure_sensor(
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts a failed run (job, run id, failed step, cause) as JSON to the warehouse resource's "
    "failure_webhook_url ($CAMPAIGN_DW_FAILURE_WEBHOOK_URL; a Slack incoming webhook reads its "
    "`text`). Without a URL it does nothing.",
)
def notify_failure(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    if not warehouse.failure_webhook_url:
        return dg.SkipReason("no failure_webhook_url: set CAMPAIGN_DW_FAILURE_WEBHOOK_URL to be told of failed runs")
    message = failure_message(report(context.instance, context.dagster_run.run_id))
    request = urllib.request.Request(
        warehouse.failure_webhook_url,
        data=json.dumps(message).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        context.log.info(f"failure of run {message['run_id']} posted ({response.status})")
    return None


defs = dg.Definitions(
    jobs=[warehouse_job],
    schedules=[warehouse_schedule, drift_schedule],
    sensors=[new_landing_files, notify_failure],
)
