"""`campaign-dw info`: where a warehouse's files are, what its runs did (from its Dagster
instance: every run on the warehouse, whichever way it was started) and what its serving
copy holds (from the copy itself)."""

from __future__ import annotations

import dagster as dg

from campaign_dw.config import Paths
from campaign_dw.serving import MART_TABLES, published
from orchestration.instance import existing_instance
from orchestration.runs import report

RECENT_RUNS = 5


def info(paths: Paths) -> dict:
    instance = existing_instance(paths)
    runs = []
    serving_is_current = False
    last_build_scope = None
    if instance is not None:
        with instance:
            records = instance.get_run_records(limit=RECENT_RUNS)
            runs = [report(instance, r.dagster_run.run_id) for r in records]
            serving_is_current = _serving_is_current(instance)
            last_build_scope = _last_build_scope(instance)
    last = runs[0] if runs else None
    return {
        "warehouse": str(paths.warehouse),
        "serving_database": str(paths.serving_database),
        "parquet_dir": str(paths.parquet_dir),
        "last_run_time": (last.finished_at or last.started_at) if last else None,
        "last_run_status": last.status if last else "never run",
        "last_run": last.as_dict() if last else None,
        "last_publish": published(paths),
        # Serving holds the newest marts: no mart was rebuilt after the last publish (false
        # after a run whose blocking checks failed: BI keeps the last good numbers).
        "serving_is_current": serving_is_current,
        # What the last build that ran dbt recomputed: how many campaigns, by reason
        # (intermediate.int_campaigns_touched, docs/incremental.md).
        "last_build_scope": last_build_scope,
        "recent_runs": [
            {"run_id": r.run_id, "job": r.job, "status": r.status, "finished_at": r.finished_at, "cause": r.cause}
            for r in runs
        ],
    }


def _serving_is_current(instance: dg.DagsterInstance) -> bool:
    marts = [dg.AssetKey(["marts", t]) for t in MART_TABLES]
    serving = dg.AssetKey(["serving", "marts"])
    latest = instance.get_latest_materialization_events([*marts, serving])
    if latest.get(serving) is None:
        return False
    newest_mart = max((e.timestamp for k, e in latest.items() if k != serving and e is not None), default=0)
    return newest_mart <= latest[serving].timestamp


SCOPE = dg.AssetKey(["intermediate", "int_campaigns_touched"])


def _last_build_scope(instance: dg.DagsterInstance) -> dict | None:
    """The scope the dbt asset recorded with int_campaigns_touched's last materialization
    (orchestration/defs/dbt.py), or None before any build."""
    event = instance.get_latest_materialization_event(SCOPE)
    if event is None or event.asset_materialization is None:
        return None
    metadata = event.asset_materialization.metadata
    if "campaigns_recomputed" not in metadata:
        return None  # recorded by an earlier version, without the scope
    return {
        "run_id": event.run_id,
        "campaigns_recomputed": metadata["campaigns_recomputed"].value,
        "by_reason": metadata["recomputed_by_reason"].value,
        **{
            name: metadata[f"per_email_models/{name}"].value
            for name in ("campaigns_recounted_whole", "touched_emails_recounted")
            if f"per_email_models/{name}" in metadata  # recorded by an earlier version without them
        },
    }
