"""Raw data for Spark: each load of each raw table, written once as Parquet where Spark reads it."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq

from campaign_dw.config import Paths
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.warehouse import connect, reader_lock

# An empty file with the table's columns, so that Spark knows the schema of a table that has
# no rows yet. (Not named _* or .*: Spark skips such files, and with them the schema.)
SCHEMA_FILE = "0-schema.parquet"


def raw_dir(paths: Paths) -> Path:
    value = os.environ.get("CAMPAIGN_DW_SPARK_RAW")
    return Path(value).expanduser().resolve() if value else paths.spark_dir / "raw"


def export_raw(paths: Paths, duckdb_config: dict[str, str] | None = None) -> dict[str, int]:
    """Write every load of every raw table not yet exported as one Parquet file; return the
    number of rows written per table. Idempotent: a file per (table, load) is written once,
    under a temporary name first, so a killed export leaves no partial file behind."""
    target = raw_dir(paths)
    written: dict[str, int] = {}
    with reader_lock(paths), connect(paths.warehouse, read_only=True, config=duckdb_config) as con:
        loads = con.execute(
            "select table_name, load_id, sum(row_count) from raw._load_log where status = 'loaded' "
            "group by table_name, load_id order by min(loaded_at)"
        ).fetchall()
        for name in RAW_TABLES:
            folder = target / name
            folder.mkdir(parents=True, exist_ok=True)
            # Written again when the raw view gained columns (an upgraded warehouse).
            columns = [r[0] for r in con.execute(f"describe raw.{name}").fetchall()]
            schema = folder / SCHEMA_FILE
            if not schema.exists() or pq.read_schema(schema).names != columns:
                _copy(con, f"select * from raw.{name} limit 0", [], schema)
        for name, load_id, rows in loads:
            file = target / name / f"load-{load_id}.parquet"
            if file.exists():
                continue
            _copy(con, f"select * from raw.{name} where _load_id = ? order by _row_id", [load_id], file)
            written[name] = written.get(name, 0) + int(rows)
    return written


def _copy(con, select: str, parameters: list, file: Path) -> None:
    partial = file.with_name(f".{file.name}.partial")
    con.execute(f"copy ({select}) to ? (format parquet)", [*parameters, str(partial)])
    partial.replace(file)
