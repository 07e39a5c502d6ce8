"""Dagster's SQLite event log, with its connections kept open between events.

Dagster's `SqliteEventLogStorage` creates an SQLAlchemy engine, opens a new SQLite connection
and disposes of both for every event it writes (and a materialization writes two databases:
the run's and the asset index). A build writes a few hundred events (each dbt model's output
and materialization, each dbt test's check result, the planned ones at the start), so that
setup is a good part of every build's fixed cost (benchmarks/README.md). This subclass keeps
one engine, with a small connection pool, per database, for the few databases recently used.

What it stores and where is Dagster's own: the same files, tables and schema; a warehouse
whose dagster.yaml names Dagster's class reads the same history. SQLite locks per
transaction, not per connection, so the UI, the daemon and a build still write the same files
at once as before.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# The run being written and the asset index are the hot ones; the UI reads a few runs at once.
OPEN_DATABASES = 8

_storages: weakref.WeakSet[WarehouseEventLogStorage] = weakref.WeakSet()


class WarehouseEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one pooled engine per database (run shard or index),
    the least recently used closed beyond OPEN_DATABASES."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)
        _storages.add(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> WarehouseEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    poolclass=QueuePool,
                    pool_size=1,
                    max_overflow=4,
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's, but for the engine: the same lock, the same first-use schema check.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def _close_all(self, close: bool = True) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose(close=close)
            self._engines.clear()

    def dispose(self) -> None:
        super().dispose()
        self._close_all()


def _forget_inherited_connections() -> None:
    # A forked child must not use its parent's SQLite connections (SQLite's own rule); it opens
    # its own on first use, and leaves the parent's to the parent.
    for storage in list(_storages):
        storage._engines_lock = threading.Lock()  # another thread may have held it at the fork
        storage._close_all(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)
