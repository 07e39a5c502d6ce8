"""Connections to the warehouse file and the single-writer lock.

DuckDB lets one process write a database file, and an open read-write connection keeps
every other process out, readers included. Every writer in this project (load, build,
publish) therefore takes ``writer_lock`` first, so that a second writer waits its turn
instead of failing, and every connection is closed as soon as its work is done.
"""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from campaign_dw.config import Paths, duckdb_settings


@contextmanager
def writer_lock(paths: Paths, wait_message: bool = True) -> Iterator[None]:
    paths.root.mkdir(parents=True, exist_ok=True)
    with open(paths.lock_file, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_message:
                print(f"waiting for another writer of {paths.warehouse} to finish ...", file=sys.stderr)
            started = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            if wait_message:
                print(f"... waited {time.monotonic() - started:.1f}s", file=sys.stderr)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config=duckdb_settings())
    # Session time zone UTC, so that text timestamps without an offset read as UTC. (Set after
    # connecting: the setting lives in the icu extension, which loads on first use.)
    con.execute("set TimeZone = 'UTC'")
    try:
        yield con
    finally:
        con.close()
