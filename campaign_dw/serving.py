"""What BI tools read: a serving copy of the marts, replaced atomically after each good run.

DuckDB allows one writer per file, and a reader holding the warehouse open would block the
next run. So BI tools never open the warehouse: after a run whose blocking checks passed,
the marts are copied into a new DuckDB file that then replaces the serving database with an
atomic rename, and written as Parquet into a new folder that a symlink swap makes current.
A reader that has the old file open keeps a consistent old copy; the next one opens the new
copy; nobody ever sees half a run, and no reader can make a run fail.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from campaign_dw.config import Paths, target
from campaign_dw.warehouse import connect, reader_lock

SUMMARY_ROWS = 20
MART_TABLES = (
    "campaign_overview",
    "campaign_messages",
    "campaign_metrics",
    "campaign_message_metrics",
    "campaign_link_clicks",
    "campaign_message_link_clicks",
    "campaign_open_heatmap",
    "campaign_message_open_heatmap",
)


def publish(paths: Paths, run_id: str = "") -> dict:
    """Copy the marts into a fresh serving file and Parquet folder, then swap them in."""
    if paths.parquet_dir.exists() and not paths.parquet_dir.is_symlink():
        raise RuntimeError(f"{paths.parquet_dir} exists and is not a symlink: move it away so serving can manage it")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = paths.serving_database.with_name(f".{paths.serving_database.name}.{stamp}.tmp")
    versions = paths.root / "marts_parquet_versions"
    version_dir = versions / stamp
    version_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    try:
        with connect(tmp) as con:
            con.execute("create schema marts")
            if target() == "spark":
                _copy_marts_from_spark(con)
            else:
                with reader_lock(paths):  # the warehouse is read only here
                    con.execute("attach ? as warehouse (read_only)", [str(paths.warehouse)])
                    for table in MART_TABLES:
                        con.execute(f"create table marts.{table} as select * from warehouse.marts.{table}")
                    con.execute("detach warehouse")
            for table in MART_TABLES:
                rows[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
                con.execute(f"copy marts.{table} to ? (format parquet)", [str(version_dir / f"{table}.parquet")])
            con.execute("checkpoint")
        os.replace(tmp, paths.serving_database)
    except BaseException:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(version_dir, ignore_errors=True)
        raise
    _swap_symlink(paths.parquet_dir, version_dir)
    _drop_old_versions(versions, keep={version_dir.name})
    published = {"published_at": datetime.now(UTC).isoformat(timespec="seconds"), "run_id": run_id, "rows": rows}
    _update_state(paths, last_publish=published)
    return published


def _copy_marts_from_spark(con) -> None:
    """With the `spark` target the marts are Spark tables: BI tools get the same serving copy.
    (Marts are aggregates, small enough to pass through this process as Arrow.)"""
    from campaign_dw import spark

    for table in MART_TABLES:
        con.register("incoming", spark.frame(f"select * from marts.{table}").toArrow())
        con.execute(f"create table marts.{table} as select * from incoming")
        con.unregister("incoming")


def _swap_symlink(link: Path, target: Path) -> None:
    tmp_link = link.with_name(f".{link.name}.tmp")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(link.parent), target_is_directory=True)
    os.replace(tmp_link, link)


def _drop_old_versions(versions: Path, keep: set[str], grace_seconds: float = 600) -> None:
    """Remove Parquet versions no longer current, once a reader has had time to finish."""
    now = time.time()
    for old in versions.iterdir():
        if old.name not in keep and now - old.stat().st_mtime > grace_seconds:
            shutil.rmtree(old, ignore_errors=True)


def _read_state(paths: Paths) -> dict:
    try:
        return json.loads(paths.state_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _update_state(paths: Paths, **changes) -> None:
    state = {**_read_state(paths), **changes}
    paths.root.mkdir(parents=True, exist_ok=True)
    tmp = paths.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, default=str))
    os.replace(tmp, paths.state_file)


def record_run(paths: Paths, status: str, run_id: str = "", problems: list[str] | None = None) -> None:
    """Remember the last run's outcome for `campaign-dw info` (CLI builds and UI runs alike).
    A run records "running" (with its process id) when it starts."""
    _update_state(
        paths,
        last_run={
            "status": status,
            ("started_at" if status == "running" else "finished_at"): datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": run_id,
            "target": target(),
            "pid": os.getpid(),
            "problems": problems or [],
        },
    )


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def info(paths: Paths) -> dict:
    state = _read_state(paths)
    last_run = state.get("last_run", {})
    if last_run.get("status") == "running" and not _alive(last_run.get("pid")):
        last_run = {**last_run, "status": "interrupted"}  # killed: the next run redoes its work
    return {
        "warehouse": str(paths.warehouse),
        "serving_database": str(paths.serving_database),
        "parquet_dir": str(paths.parquet_dir),
        "last_run_time": last_run.get("finished_at") or last_run.get("started_at"),
        "last_run_status": last_run.get("status", "never run"),
        "last_run": last_run or None,
        "last_publish": state.get("last_publish"),
        # Serving holds the marts of the last successful run; false after a failed one.
        "serving_is_current": bool(last_run) and last_run.get("status") == "success",
    }


def print_summary(paths: Paths) -> None:
    """Per campaign: sent, delivered, open rate, click rate — read from the serving copy."""
    if not paths.serving_database.exists():
        print("no serving database yet: nothing to summarise")
        return
    with connect(paths.serving_database, read_only=True) as con:
        rows = con.execute(
            """select o.campaign_id, o.campaign_name, o.status, m.emails_sent, m.emails_delivered,
                      m.open_rate, m.click_rate
               from marts.campaign_overview o join marts.campaign_metrics m using (campaign_id)
               order by o.campaign_id"""
        ).fetchall()
    shown = rows[:SUMMARY_ROWS]
    print(f"\nCampaigns ({paths.serving_database}):")
    header = f"{'campaign':<10} {'name':<28} {'status':<10} {'sent':>8} {'delivered':>10} {'open rate':>10} {'click rate':>10}"
    print(header)
    print("-" * len(header))
    for campaign_id, name, status, sent, delivered, open_rate, click_rate in shown:
        print(
            f"{campaign_id[:10]:<10} {(name or '')[:28]:<28} {(status or '')[:10]:<10} {sent:>8} {delivered:>10} "
            f"{_percent(open_rate):>10} {_percent(click_rate):>10}"
        )


    if len(rows) > len(shown):
        print(f"... and {len(rows) - len(shown)} more campaigns (all of them: marts.campaign_metrics)")


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"
