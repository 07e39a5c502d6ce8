"""Nothing new, nothing done: the record of the last completed build, and whether a build now
would have anything to do.

A run of warehouse_job writes what it starts from (``pending``: the landing folder's files by
name, size and modification time; the definitions' files likewise; the settings dbt runs with)
before it loads anything, and drops the previous record, so that a failed or killed run leaves
none. Once it has published, it completes the record with the raw rows it reconciled
(``audit.raw_row_reconciliation``) and keeps it as the last completed build.

A later build finds nothing to do when all of these are as recorded: the landing folder's files,
the raw rows (nothing loaded meanwhile by ``campaign-dw load``), the dbt project and the Python
packages (a definition or a check changed), and the settings. It then ends at once and leaves
serving as it is (``campaign-dw build``; the hourly schedule runs only the feeds' freshness).
Anything else, and every ``--full-refresh``, runs the whole job. Files are compared by their
metadata, as make and rsync do: a file rewritten with the same size and modification time
would go unseen until the next change or a ``--full-refresh``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from campaign_dw.config import DBT_PROJECT_DIR, DBT_SOURCES, PROJECT_DIR, Paths, Settings
from campaign_dw.warehouse import connect

# What a build's results depend on besides the data: the dbt project dbt parses and the
# Python packages that load, check and publish.
DEFINITION_SOURCES = (
    *(DBT_PROJECT_DIR / name for name in DBT_SOURCES),
    PROJECT_DIR / "campaign_dw",
    PROJECT_DIR / "orchestration",
)


def record_path(paths: Paths) -> Path:
    return paths.root / f"{paths.warehouse.stem}_last_build.json"


def pending_path(paths: Paths) -> Path:
    return paths.root / f"{paths.warehouse.stem}_last_build.pending.json"


def files_digest(roots: list[Path] | tuple[Path, ...], base: Path | None = None) -> str:
    """A digest of every file under `roots` by relative name, size and modification time
    (compiled Python files left out: importing writes them)."""
    digest = hashlib.sha256()
    for root in roots:
        if not root.exists():
            continue
        files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
        for path in files:
            if path.suffix == ".pyc":
                continue
            stat = path.stat()
            name = path.relative_to(base) if base and path.is_relative_to(base) else path
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def starting_point(settings: Settings) -> dict:
    """What a build starts from, but for the raw rows: the landing folder's files, the
    definitions' files, the settings dbt runs with and where the engine is (the Spark target's
    host, schema and raw location come from the environment: dbt_project/profiles.yml)."""
    landing = settings.landing
    return {
        "landing": str(landing) if landing else None,
        "landing_files": files_digest([landing], base=landing) if landing and landing.is_dir() else None,
        "definitions": files_digest(DEFINITION_SOURCES, base=PROJECT_DIR),
        "settings": {
            **settings.dbt_vars(),
            **{k: v for k, v in sorted(os.environ.items()) if k.startswith("CAMPAIGN_DW_SPARK")},
        },
    }


def newest_raw_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """{raw table: newest row id} of the loaded files (the loader's ledger)."""
    rows = con.execute(
        "select table_name, max(first_row_id + row_count - 1) from raw._load_log "
        "where status = 'loaded' and row_count > 0 group by table_name"
    ).fetchall()
    return {table: int(newest) for table, newest in rows}


def begin(settings: Settings, run_id: str) -> None:
    """At the start of a run of warehouse_job, before it loads: drop the last record (until
    this run completes there is none) and note what this run starts from."""
    record_path(settings.paths).unlink(missing_ok=True)
    write_whole(pending_path(settings.paths), {"run_id": run_id, **starting_point(settings)})


def complete(settings: Settings, run_id: str, reconciled: dict[str, int]) -> None:
    """Once a run of warehouse_job has published: its pending record, with the raw rows it
    reconciled, becomes the last completed build's. Nothing when the pending record is another
    run's (a run of some assets only publishes without loading)."""
    pending = pending_path(settings.paths)
    try:
        started = json.loads(pending.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return
    if started.get("run_id") != run_id:
        return
    started["raw_rows"] = {table: int(n) for table, n in reconciled.items() if n}
    started["completed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_whole(record_path(settings.paths), started)
    pending.unlink(missing_ok=True)


def nothing_new(settings: Settings) -> dict | None:
    """The last completed build's record when a build now would find nothing to do, else None
    (also when the warehouse is busy: its writer holds the file, and the build will wait)."""
    try:
        record = json.loads(record_path(settings.paths).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if {k: record.get(k) for k in ("landing", "landing_files", "definitions", "settings")} != starting_point(settings):
        return None
    if not settings.paths.serving_database.exists():
        return None  # serving was removed: publish it again
    # Another process writing (a load, a dbt run from the UI) holds the lock: it must not find
    # the DuckDB file held by this read, and the build will wait for it anyway.
    settings.paths.root.mkdir(parents=True, exist_ok=True)
    with open(settings.paths.lock_file, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            with connect(settings.paths.warehouse, read_only=True, config=settings.duckdb_config) as con:
                raw_rows = newest_raw_rows(con)
        except duckdb.Error:
            return None
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return record if raw_rows == record.get("raw_rows") else None


def write_whole(path: Path, content: dict) -> None:
    """Written whole or not at all (a reader never sees half a record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(content, indent=2, sort_keys=True))
    with contextlib.suppress(OSError):
        os.chmod(partial, 0o644)
    partial.replace(path)
