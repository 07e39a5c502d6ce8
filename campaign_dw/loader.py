"""`campaign-dw load DIR`: land raw files (SPEC §2) in schema `raw`, each file exactly once.

What a file becomes:
- loaded    every row appended to ``raw.<table>`` as text (nothing is parsed here, so nothing
            is lost before staging decides), with lineage columns, in one transaction together
            with its line in ``raw._load_log``: a killed load leaves no half-loaded file.
- skipped   the same content (sha256) was loaded before for this table.
- refused   the file's structure is wrong (not readable, a required column missing, an
            unknown table name); nothing of it is loaded, the message names file and problem,
            and the other files still load.
- ignored   not a .csv/.parquet file (a README beside the data, say).

Row-level problems (a timestamp that does not parse, an unknown event type, a missing id)
are not the loader's business: the rows load as they are and the dbt models quarantine them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from campaign_dw.config import Paths
from campaign_dw.raw_contract import RAW_TABLES, RawTable
from campaign_dw.warehouse import connect, writer_lock

DATA_SUFFIXES = {".csv": "csv", ".parquet": "parquet"}


@dataclass
class FileOutcome:
    path: Path
    table: str | None
    status: str  # loaded | skipped | refused | ignored
    rows: int = 0
    message: str = ""

    def line(self) -> str:
        where = f"{self.table}: " if self.table else ""
        rows = f" ({self.rows} rows)" if self.status == "loaded" else ""
        note = f" - {self.message}" if self.message else ""
        return f"{self.status:8} {where}{self.path}{rows}{note}"


@dataclass
class LoadReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows for o in self.outcomes if o.status == "loaded")

    def summary(self) -> str:
        return (
            f"{self.count('loaded')} files loaded ({self.rows_loaded} rows), "
            f"{self.count('skipped')} skipped as already loaded, "
            f"{self.count('refused')} refused, {self.count('ignored')} ignored"
        )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `raw`, every contract table (empty) and the load log, if missing.

    All contract tables exist even before their first file, so dbt always finds its sources.
    """
    con.execute("create schema if not exists raw")
    for table in RAW_TABLES.values():
        columns = ", ".join(f"{c} varchar" for c in table.columns)
        con.execute(
            f"create table if not exists raw.{table.name} ({columns}, "
            "_source_file varchar, _source_row bigint, _row_id bigint, _file_sha256 varchar, "
            "_load_id varchar, _loaded_at timestamp)"
        )
        _add_row_ids(con, table.name)
        _add_new_contract_columns(con, table)
    con.execute(
        """create table if not exists raw._load_log (
            load_id varchar, table_name varchar, source_file varchar, file_sha256 varchar,
            file_bytes bigint, row_count bigint, status varchar, message varchar,
            loaded_at timestamp)"""
    )


def _add_new_contract_columns(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """Warehouses created before a column joined the contract (an optional one, such as
    email_events.machine_open) get it, empty for the rows loaded before."""
    existing = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?", [table.name]
    ).fetchall()}
    for column in table.columns:
        if column not in existing:
            con.execute(f"alter table raw.{table.name} add column {column} varchar")


def _add_row_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Warehouses created before `_row_id` existed get it, numbered in arrival order."""
    columns = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?", [table]
    ).fetchall()}
    if "_row_id" in columns:
        return
    con.execute(f"alter table raw.{table} add column _row_id bigint")
    con.execute(
        f"""update raw.{table} set _row_id = numbered.n from (
                select rowid as r, row_number() over (order by _loaded_at, _source_file, _source_row) as n
                from raw.{table}) as numbered
            where raw.{table}.rowid = numbered.r"""
    )


def discover(directory: Path) -> list[tuple[str | None, Path]]:
    """(table name, file) pairs under DIR per SPEC §2: `<table>.csv|parquet` or `<table>/**`."""
    found: list[tuple[str | None, Path]] = []
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            for part in sorted(p for p in entry.rglob("*") if p.is_file()):
                found.append((entry.name, part))
        elif entry.is_file():
            found.append((entry.stem if entry.suffix.lower() in DATA_SUFFIXES else None, entry))
    return found


def load_directory(directory: Path, paths: Paths, duckdb_config: dict[str, str] | None = None) -> LoadReport:
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"the landing folder {directory} is not a directory of raw files")
    report = LoadReport()
    load_id = uuid.uuid4().hex
    with writer_lock(paths), connect(paths.warehouse, config=duckdb_config) as con:
        ensure_raw_schema(con)
        for table_name, path in discover(directory):
            report.outcomes.append(_load_file(con, load_id, table_name, path))
    return report


def _load_file(con: duckdb.DuckDBPyConnection, load_id: str, table_name: str | None, path: Path) -> FileOutcome:
    kind = DATA_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return FileOutcome(path, table_name, "ignored", message="not a .csv or .parquet file")
    if table_name not in RAW_TABLES:
        known = ", ".join(RAW_TABLES)
        return FileOutcome(path, None, "refused", message=f"unknown table name {table_name!r} (expected one of: {known})")
    table = RAW_TABLES[table_name]
    digest, size = _sha256(path)

    previous = con.execute(
        "select source_file from raw._load_log where table_name = ? and file_sha256 = ? and status = 'loaded' limit 1",
        [table.name, digest],
    ).fetchone()
    if previous:
        same = previous[0] == str(path)
        return FileOutcome(path, table.name, "skipped", message="" if same else f"same content already loaded from {previous[0]}")
    changed = con.execute(
        "select count(*) from raw._load_log where source_file = ? and status = 'loaded'", [str(path)]
    ).fetchone()[0]

    try:
        header = _csv_header(path) if kind == "csv" else _parquet_header(path)
        select = _select_list(table, header)
    except ValueError as problem:
        return FileOutcome(path, table.name, "refused", message=str(problem))

    note = "changed since it was last loaded: loaded as new content" if changed else ""
    if missing := [c for c in table.columns if c in table.optional and c not in header]:
        note = "; ".join(filter(None, [note, f"optional columns absent, loaded as NULL: {', '.join(missing)}"]))
    if extra := [c for c in header if c not in table.columns]:
        note = "; ".join(filter(None, [note, f"columns not in the contract ignored: {', '.join(extra)}"]))

    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    source = _reader(kind, header)
    try:
        con.execute("begin transaction")
        # _row_id numbers the table's rows in arrival order across all loads (the writer lock
        # makes it race-free): "first received" and incremental watermarks are one comparison.
        # The file path is bound as a parameter, never spliced into SQL.
        con.execute(
            f"insert into raw.{table.name} ({', '.join(table.columns)}, _source_file, _source_row, _row_id, "
            "_file_sha256, _load_id, _loaded_at) "
            f"select {select}, $file, _row, "
            f"(select coalesce(max(_row_id), 0) from raw.{table.name}) + _row, $sha, $load_id, $loaded_at from {source}",
            {"file": str(path), "sha": digest, "load_id": load_id, "loaded_at": loaded_at},
        )
        rows = con.execute(
            f"select count(*) from raw.{table.name} where _load_id = ? and _source_file = ?", [load_id, str(path)]
        ).fetchone()[0]
        con.execute(
            "insert into raw._load_log values (?, ?, ?, ?, ?, ?, 'loaded', ?, ?)",
            [load_id, table.name, str(path), digest, size, rows, note, loaded_at],
        )
        con.execute("commit")
    except duckdb.Error as error:
        with contextlib.suppress(duckdb.Error):  # an I/O failure may have ended the transaction
            con.execute("rollback")
        if _is_warehouse_failure(error):
            raise  # the warehouse cannot be written (disk full, permissions): stop, loudly
        message = str(error).strip().splitlines()
        detail = " | ".join(line.strip() for line in message[:3])
        return FileOutcome(path, table.name, "refused", message=f"not readable as {kind.upper()}: {detail}")
    return FileOutcome(path, table.name, "loaded", rows=rows, message=note)


def _is_warehouse_failure(error: duckdb.Error) -> bool:
    text = str(error)
    return isinstance(error, duckdb.IOException) and any(
        marker in text for marker in ("write", "File too large", "No space left", "Permission denied", "fsync")
    )


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _normalise(names: list[str]) -> list[str]:
    header = [n.strip().lower() for n in names]
    duplicated = sorted({n for n in header if header.count(n) > 1})
    if duplicated:
        raise ValueError(f"duplicated column names in header: {', '.join(duplicated)}")
    return header


def _csv_header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = next(csv.reader(handle), None)
    except UnicodeDecodeError as error:
        raise ValueError(f"not readable as CSV: not UTF-8 ({error.reason} at byte {error.start})") from None
    except csv.Error as error:
        raise ValueError(f"not readable as CSV: {error}") from None
    if not first:
        raise ValueError("not readable as CSV: the file is empty (a header row is required)")
    return _normalise(first)


def _parquet_header(path: Path) -> list[str]:
    try:
        names = pq.read_schema(path).names
    except Exception as error:  # pyarrow raises several types for a broken file
        raise ValueError(f"not readable as Parquet: {error}") from None
    return _normalise(names)


def _select_list(table: RawTable, header: list[str]) -> str:
    missing = [c for c in table.required if c not in header]
    if missing:
        raise ValueError(
            f"required column(s) missing: {', '.join(missing)} (header has: {', '.join(header) or 'nothing'})"
        )
    # Column names come from the contract (identifiers we own), never from the file.
    position = {name: i for i, name in enumerate(header)}
    return ", ".join(
        f'cast("c{position[c]}" as varchar)' if c in position else "cast(null as varchar)" for c in table.columns
    )


def _reader(kind: str, header: list[str]) -> str:
    """A subquery over the file (bound as parameter $file) with its columns renamed c0..cN by
    position, plus _row, the 1-based row of the file."""
    names = ", ".join(f"c{i}" for i in range(len(header)))
    if kind == "csv":
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        return (
            "(select *, row_number() over () as _row from read_csv($file, header = true, delim = ',', "
            f"quote = '\"', escape = '\"', auto_detect = false, columns = {columns}, strict_mode = true, "
            "null_padding = false, ignore_errors = false))"
        )
    return (
        "(select *, _file_row + 1 as _row from read_parquet($file, file_row_number = true) "
        f"as file({names}, _file_row))"
    )
