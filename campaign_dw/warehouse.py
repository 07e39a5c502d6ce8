"""Connections to the warehouse file and its lock.

DuckDB lets one process write a database file, and an open read-write connection keeps
every other process out, readers included. Every writer in this project therefore takes
``writer_lock`` first, so that a second writer waits its turn instead of failing, and every
connection is closed as soon as its work is done. A load holds the lock while it loads; a
run (build, schedule, sensor or UI) holds it from its first step until its marts are
published, so that no other writer can change the marts between a run's checks and its
publishing (orchestration/defs/resources.py).
"""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from campaign_dw.config import Paths

# Lock files this process holds exclusively: a nested request of the same process is granted
# (flock would make it wait for itself).
_held_exclusively: set[Path] = set()
_kept_open: list = []


@contextmanager
def _file_lock(paths: Paths, mode: int, what: str) -> Iterator[None]:
    if paths.lock_file in _held_exclusively:
        yield
        return
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{what} waits for another process using {paths.warehouse} ...", file=sys.stderr)
            started = time.monotonic()
            fcntl.flock(handle, mode)
            print(f"... waited {time.monotonic() - started:.1f}s", file=sys.stderr)
        if mode == fcntl.LOCK_EX:
            _held_exclusively.add(paths.lock_file)
        try:
            yield
        finally:
            _held_exclusively.discard(paths.lock_file)
            fcntl.flock(handle, fcntl.LOCK_UN)


def writer_lock(paths: Paths):
    """Exclusive: held while a process writes the warehouse (load, dbt build)."""
    return _file_lock(paths, fcntl.LOCK_EX, "a writer")


def hold_writer_lock_until_exit(paths: Paths) -> None:
    """Take the writer lock and keep it until this process ends (the kernel releases it then,
    however the process ends). For a resource that cannot be handed back before exit: the
    local Spark metastore, which admits one process at a time."""
    if paths.lock_file in _held_exclusively:
        return
    context = writer_lock(paths)
    context.__enter__()
    _kept_open.append(context)


def reader_lock(paths: Paths):
    """Shared: held while a process reads the warehouse (checks, publishing); readers overlap."""
    return _file_lock(paths, fcntl.LOCK_SH, "a reader")


@contextmanager
def connect(
    path: Path, read_only: bool = False, config: dict[str, str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a DuckDB file, closed on exit. `config`: DuckDB settings (threads,
    memory_limit), as `Settings.duckdb_config` gives them."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=config or {})
    # Session time zone UTC, so that text timestamps without an offset read as UTC. (Set after
    # connecting: the setting lives in the icu extension, which loads on first use.)
    con.execute("set TimeZone = 'UTC'")
    try:
        yield con
    finally:
        con.close()


# Per-campaign tables that an earlier version kept without a column this version counts with
# (SPEC §8's send date). Their rows cannot be completed in place (the values come from the
# facts): the table is dropped before dbt runs, and its model rebuilds every campaign once.
# Before dbt, not in a dbt hook: dbt has looked up the relations by the time its hooks run.
COLUMNS_ADDED = (
    ("intermediate", "int_emails_flagged", "send_date"),
    ("intermediate", "int_message_emails_counted", "send_date"),
)


def drop_tables_missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the tables of COLUMNS_ADDED that lack their column; returns their names."""
    dropped = []
    for schema, table, column in COLUMNS_ADDED:
        columns = {
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        }
        if columns and column not in columns:
            con.execute(f'drop table "{schema}"."{table}"')
            dropped.append(f"{schema}.{table}")
    return dropped
