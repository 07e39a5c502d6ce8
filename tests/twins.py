"""Two warehouses fed the same files: one built incrementally after each batch, its twin
rebuilt in full (--full-refresh) over everything loaded so far. After every batch their marts
must be equal: an incremental model is right only if it equals a full rebuild after any
sequence of batches.

dbt runs in two long-lived worker processes (one per warehouse, in parallel on two cores),
each with the project parsed once: a dbt invocation then costs a few seconds instead of a
process start and a parse."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

import duckdb

from campaign_dw.config import DBT_PROJECT_DIR, Settings
from campaign_dw.loader import load_directory
from campaign_dw.serving import MART_TABLES

COMPARED = [f"marts.{t}" for t in MART_TABLES] + ["audit.raw_row_reconciliation"]
_runner = None


def _start_worker(manifest) -> None:
    global _runner
    from dbt.cli.main import dbtRunner

    _runner = dbtRunner(manifest=manifest)


def _dbt(args: list[str]) -> tuple[bool, str]:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    try:
        result = _runner.invoke(args)
    finally:
        # dbt-duckdb keeps the database open between invocations of one process: close it, so
        # that the test (another process) can read and load the warehouse.
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
    if result.success:
        return True, ""
    if result.exception is not None:
        return False, repr(result.exception)
    return False, "; ".join(
        f"{r.node.name}: {r.message}" for r in result.result.results if r.status in ("error", "fail")
    )


def _project_args(settings: Settings, target_dir: Path) -> list[str]:
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(settings.dbt_vars()),
        "--target-path",
        str(target_dir),
        "--quiet",
        "--log-level-file",
        "none",
    ]


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {table: con.execute(f"select * from {table} order by all").fetchall() for table in COMPARED}


class Twins:
    """`incremental` and `full` warehouses under `root`; `step(folder)` loads a batch into
    both, builds them, and returns (incremental marts, full marts)."""

    def __init__(self, root: Path):
        from dbt.cli.main import dbtRunner

        self.root = root
        self.incremental = Settings(warehouse=root / "incremental" / "warehouse.duckdb", duckdb_threads=1)
        self.full = Settings(warehouse=root / "full" / "warehouse.duckdb", duckdb_threads=1)
        parse_dir = DBT_PROJECT_DIR / "target-tests" / "twins"
        parsed = dbtRunner().invoke(["parse", *_project_args(self.incremental, parse_dir)])
        assert parsed.success, parsed.exception
        self.pool = multiprocessing.get_context("fork").Pool(2, initializer=_start_worker, initargs=(parsed.result,))

    def reset(self) -> None:
        for settings in (self.incremental, self.full):
            shutil.rmtree(settings.paths.root, ignore_errors=True)

    def step(
        self,
        folder: Path,
        full_folder: Path | None = None,
        both_in_full: bool = False,
        interrupted_after: str | None = None,
    ) -> tuple[dict, dict]:
        """full_folder: what the `full` twin loads instead of `folder` (the same events in
        another layout, say); both_in_full: the `incremental` twin is rebuilt in full too;
        interrupted_after: before its build, the `incremental` twin runs a build that stops
        after this model (what a build killed there leaves behind)."""
        load_directory(folder, self.incremental.paths)
        load_directory(full_folder or folder, self.full.paths)
        # Seeds and models; data tests are not the point here.
        build = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
        if interrupted_after:
            partial = [*build, "--select", f"+{interrupted_after}"]
            ok, error = self.pool.apply(
                _dbt, ([*partial, *_project_args(self.incremental, self.root / "target-incremental")],)
            )
            assert ok, error
        first = [*build, "--full-refresh"] if both_in_full else build
        runs = [
            self.pool.apply_async(
                _dbt, ([*first, *_project_args(self.incremental, self.root / "target-incremental")],)
            ),
            self.pool.apply_async(
                _dbt, ([*build, "--full-refresh", *_project_args(self.full, self.root / "target-full")],)
            ),
        ]
        for run in runs:
            ok, error = run.get(timeout=600)
            assert ok, error
        return snapshot(self.incremental.warehouse), snapshot(self.full.warehouse)

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def write_batch(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """CSV files of one batch, `<table>/part.csv`, for the rows given per table."""
    import csv

    from campaign_dw.raw_contract import RAW_TABLES

    for table, rows in tables.items():
        if not rows:
            continue
        (folder / table).mkdir(parents=True, exist_ok=True)
        with open(folder / table / "part.csv", "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(RAW_TABLES[table].columns))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    folder.mkdir(parents=True, exist_ok=True)
    return folder
