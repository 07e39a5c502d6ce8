"""What BI tools read: a serving copy of the marts, replaced atomically after each good run.

DuckDB allows one writer per file, and a reader holding the warehouse open would block the
next run. So BI tools never open the warehouse: after a run whose blocking checks passed,
the marts are copied into a new DuckDB file that then replaces the serving database with an
atomic rename, and written as Parquet into a new folder that a symlink swap makes current.
A reader that has the old file open keeps a consistent old copy; the next one opens the new
copy; nobody ever sees half a run, and no reader can make a run fail.

- The serving file is written with DuckDB's storage format of v1.0.0, so that every DuckDB
  client from 1.0 on opens it (the JDBC, ODBC and Node drivers inside BI tools ship 1.x).
- It carries what it holds: `meta.publication` (run, time, rows per mart) and
  `meta.definitions` (the dbt vars the numbers were computed with: open-tracking dates, ...).
- A replaced Parquet version stays on disk for a grace period (`parquet_grace_seconds`, one
  hour by default) from the moment it was replaced, for readers that resolved the symlink
  before the swap and are still scanning its files; later publishes remove it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from campaign_dw.config import Paths, Settings
from campaign_dw.engine import engine_for
from campaign_dw.warehouse import connect

SUMMARY_ROWS = 20
# DuckDB's storage format that every client from 1.0 on reads.
SERVING_STORAGE_VERSION = "v1.0.0"
RETIRED_SUFFIX = ".retired"
MART_TABLES = (
    "campaign_overview",
    "campaign_messages",
    "campaign_metrics",
    "campaign_message_metrics",
    "campaign_link_clicks",
    "campaign_message_link_clicks",
    "campaign_open_heatmap",
    "campaign_message_open_heatmap",
    "email_counts_daily",
    "metrics_rollup",
)


def publish(
    settings: Settings,
    run_id: str = "",
    descriptions: Mapping[str, dict] | None = None,
    definitions: Mapping[str, str] | None = None,
    parquet_grace_seconds: float = 3600,
) -> dict:
    """Copy the marts, from the engine that built them, into a fresh serving file and Parquet
    folder, then swap them in.
    `descriptions`: {mart: {"description": ..., "columns": {column: description}}}, written as
    DuckDB comments so that a BI tool's data browser shows what each column means.
    `definitions`: the values the marts were computed with (the open-tracking dates, ...), as
    `meta.definitions` (name, value): a dashboard explains the numbers with them."""
    paths = settings.paths
    if paths.parquet_dir.exists() and not paths.parquet_dir.is_symlink():
        raise RuntimeError(f"{paths.parquet_dir} exists and is not a symlink: move it away so serving can manage it")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    # Left by a publish that was killed (runs never overlap: any such file is stale).
    for stale in paths.root.glob(f".{paths.serving_database.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = paths.serving_database.with_name(f".{paths.serving_database.name}.{stamp}.tmp")
    version_dir = paths.parquet_versions_dir / stamp
    version_dir.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    rows: dict[str, int] = {}
    try:
        # The copy need not keep the marts' row order (a table has none a reader may rely on):
        # without it DuckDB writes the large heatmap tables in parallel.
        con = duckdb.connect(config={**settings.duckdb_config, "preserve_insertion_order": False})
        try:
            con.execute(f"attach ? as serving (storage_version '{SERVING_STORAGE_VERSION}')", [str(tmp)])
            con.execute("use serving")
            con.execute("create schema marts")
            engine_for(settings).copy_marts(con, MART_TABLES)
            for table in MART_TABLES:
                rows[table] = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
                con.execute(f"copy marts.{table} to ? (format parquet)", [str(version_dir / f"{table}.parquet")])
            _comment(con, descriptions or {})
            con.execute("create schema meta")
            con.execute(
                "create table meta.publication as select ? as run_id, ? as published_at, ? as rows_per_mart",
                [run_id, published_at, json.dumps(rows)],
            )
            con.execute("create table meta.definitions (name varchar, value varchar)")
            for name, value in (definitions or {}).items():
                con.execute("insert into meta.definitions values (?, ?)", [name, str(value)])
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, paths.serving_database)
    except BaseException:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(version_dir, ignore_errors=True)
        raise
    previous = paths.parquet_dir.resolve() if paths.parquet_dir.is_symlink() else None
    _swap_symlink(paths.parquet_dir, version_dir)
    if previous is not None and previous != version_dir.resolve():
        _retire(previous)
    drop_expired_versions(paths, parquet_grace_seconds)
    return {"run_id": run_id, "published_at": published_at.isoformat(timespec="seconds"), "rows": rows}


def _comment(con: duckdb.DuckDBPyConnection, descriptions: Mapping[str, dict]) -> None:
    for table, doc in descriptions.items():
        if table not in MART_TABLES:
            continue
        if doc.get("description"):
            con.execute(f"comment on table marts.{table} is {_literal(doc['description'])}")
        existing = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
                [table],
            ).fetchall()
        }
        for column, text in (doc.get("columns") or {}).items():
            if column in existing and text:
                con.execute(f'comment on column marts.{table}."{column}" is {_literal(text)}')


def _literal(text: str) -> str:
    return "'" + " ".join(text.split()).replace("'", "''") + "'"


def _swap_symlink(link: Path, target: Path) -> None:
    tmp_link = link.with_name(f".{link.name}.tmp")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.relative_to(link.parent), target_is_directory=True)
    os.replace(tmp_link, link)


def _retire(version_dir: Path) -> None:
    """Note when a version stopped being current: its grace period starts now."""
    version_dir.with_name(version_dir.name + RETIRED_SUFFIX).touch()


def drop_expired_versions(paths: Paths, grace_seconds: float) -> list[Path]:
    """Remove the Parquet versions replaced more than `grace_seconds` ago. A version that is
    not current and has no retirement note (replaced by an older release of this project)
    starts its grace period now."""
    versions = paths.parquet_versions_dir
    current = paths.parquet_dir.resolve() if paths.parquet_dir.is_symlink() else None
    removed = []
    now = time.time()
    for version in sorted(p for p in versions.iterdir() if p.is_dir()) if versions.is_dir() else []:
        if current is not None and version.resolve() == current:
            continue
        note = version.with_name(version.name + RETIRED_SUFFIX)
        if not note.exists():
            note.touch()
        elif now - note.stat().st_mtime > grace_seconds:
            shutil.rmtree(version, ignore_errors=True)
            note.unlink(missing_ok=True)
            removed.append(version)
    return removed


def published(paths: Paths) -> dict | None:
    """What the serving copy holds, read from the copy itself; None before the first publish."""
    if not paths.serving_database.exists():
        return None
    with connect(paths.serving_database, read_only=True) as con:
        try:
            row = con.execute("select run_id, published_at, rows_per_mart from meta.publication").fetchone()
        except duckdb.CatalogException:
            return {"run_id": None, "published_at": None, "rows": None}  # published by an older version
    run_id, published_at, rows = row
    return {"run_id": run_id, "published_at": published_at.isoformat(timespec="seconds"), "rows": json.loads(rows)}


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
