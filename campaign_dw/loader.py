"""`campaign-dw load DIR`: land raw files (SPEC §2), each file exactly once.

Files are landed by reference: each loaded file is kept, immutable, in the landing store
beside the warehouse (``<warehouse>_landed/<table>/<first row id>-<sha256>.parquet``), a
Parquet file as it came, a CSV file converted once to Parquet with every value as text (its
columns named by position, c0..cN, mapped to the contract's in the ledger).
Nothing is parsed on the way in, so nothing is lost before staging decides; a Parquet file's
own column types (a timestamp, a boolean) are kept, and staging takes them as they are.

The load ledger ``raw._load_log`` says which files are landed (exactly once, by content).
``raw.<table>`` is a view over the table's landed files that the loader rewrites with the
ledger, in one transaction: every contract column as text as it came, except a timestamp or
boolean that the file gave typed (raw_contract.RawTable.typed): that value is in
``<column>__typed`` (as a UTC timestamp or a boolean) and its text column is NULL, so that
staging takes it as it is instead of printing and parsing it again. Then the lineage
columns ``_source_file``, ``_source_row`` (1-based row of the file), ``_row_id`` (the table's
rows numbered in arrival order across loads: the file's first row id + its row number, a
constant per file, so that a build reading the rows past a watermark skips older files
unopened), ``_file_sha256``, ``_load_id``, ``_loaded_at``.

What a file becomes:
- loaded    landed in the store and in the ledger (in that order: a killed load leaves at
            most a store file without a ledger line, removed by the next load, never a
            half-loaded file).
- skipped   the same content (sha256) was loaded before for this table.
- refused   the file's structure is wrong (not readable, a required column missing, an
            unknown table name); nothing of it is loaded, the message names file and problem,
            and the other files still load.
- ignored   not a .csv/.parquet file (a README beside the data, say), or not a .json file
            in a provider folder.

An email service's own event format (SPEC §2c): the files of `DIR/sendgrid/`, `DIR/mailgun/`,
`DIR/ses/`, `DIR/postmark/` (`*.json`: one JSON document, an array, or NDJSON) are files of
`email_events`, exactly once by content like any other. Each is converted once, on landing,
to one row per provider event in the `email_events` layout (campaign_dw/providers.py: every
value as text, plus `provider`, `provider_event` and `provider_payload`, the event as it came),
with the email_id taken from the metadata key of the load (`email_id_key`; a file loaded
before a change of key keeps what it was landed with). A file that is not JSON, or holds
something that is not an event of its provider, is refused whole.

Row-level problems (a timestamp that does not parse, an unknown event type, a missing id)
are not the loader's business: the rows load as they are and the dbt models quarantine them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from campaign_dw import providers
from campaign_dw.config import EMAIL_ID_KEY, Paths
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


LEDGER_COLUMNS = (
    "load_id varchar, table_name varchar, source_file varchar, file_sha256 varchar, file_bytes bigint, "
    "row_count bigint, status varchar, message varchar, loaded_at timestamp, "
    # where the file is in the landing store (relative to it), the table row id of its first
    # row, and its columns: [[contract column, column in the file, DuckDB type], ...]
    "landed_file varchar, first_row_id bigint, file_columns varchar"
)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """Create schema `raw`, the load ledger and every contract table's view, if missing.
    Warehouses from before the landing store have their raw tables moved into it.

    All contract tables exist even before their first file, so dbt always finds its sources.
    """
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists raw._load_log ({LEDGER_COLUMNS})")
    for column in ("landed_file varchar", "first_row_id bigint", "file_columns varchar"):
        con.execute(f"alter table raw._load_log add column if not exists {column}")
    kinds = dict(
        con.execute(
            "select table_name, table_type from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    )
    for table in RAW_TABLES.values():
        if kinds.get(table.name) == "BASE TABLE":
            _move_table_to_store(con, paths, table)
        _write_view(con, paths, table)


def _write_view(con: duckdb.DuckDBPyConnection, paths: Paths, table: RawTable) -> None:
    """(Re)write view raw.<table> over the table's landed files, from the ledger."""
    landed = con.execute(
        "select landed_file, first_row_id, file_columns, source_file, file_sha256, load_id, loaded_at "
        "from raw._load_log where table_name = ? and status = 'loaded' order by first_row_id",
        [table.name],
    ).fetchall()
    branches = [_view_branch(paths, table, *file) for file in landed]
    if not branches:
        branches = [_view_branch(paths, table, None, 1, "[]", "", "", "", None) + " limit 0"]
    con.execute(f"create or replace view raw.{table.name} as\n" + "\nunion all\n".join(branches))


def _view_branch(paths, table, landed_file, first_row_id, file_columns, source_file, sha, load_id, loaded_at) -> str:
    """One landed file as rows of raw.<table>. Every value from the file is a column reference
    or a quoted literal: names and paths from files never become SQL."""
    present = {contract: (name, kind) for contract, name, kind in json.loads(file_columns)}
    typed = dict(table.typed)
    select = []
    for column in table.columns:
        name, file_type = present.get(column, (None, ""))
        native = column in typed and file_type in NATIVE_TYPES[typed[column]]
        # A value the file typed natively is in <column>__typed, not printed as text here.
        text = f"cast({_identifier(name)} as varchar)" if name and not native else "cast(null as varchar)"
        select.append(f"{text} as {column}")
    for column, kind in table.typed:
        name, file_type = present.get(column, (None, ""))
        select.append(f"{_typed_value(name, file_type, kind)} as {column}__typed")
    source = (
        f"read_parquet({_literal(str(paths.landed_dir / landed_file))}, file_row_number = true)"
        if landed_file
        else "(select cast(0 as bigint) as file_row_number)"
    )
    select += [
        f"{_literal(source_file)} as _source_file",
        "file_row_number + 1 as _source_row",
        f"cast({int(first_row_id)} as bigint) + file_row_number as _row_id",
        f"{_literal(sha)} as _file_sha256",
        f"{_literal(load_id)} as _load_id",
        f"cast({_literal(str(loaded_at)) if loaded_at else 'null'} as timestamp) as _loaded_at",
    ]
    return "select " + ", ".join(select) + f" from {source}"


# Parquet column types staging takes as they are (timestamps in UTC, naive; SPEC §2 reads a
# timestamp without an offset as UTC). Any other type arrives as text and is parsed.
NATIVE_TYPES = {
    "timestamp": {
        "TIMESTAMP WITH TIME ZONE": "cast(timezone('UTC', {}) as timestamp)",
        "TIMESTAMP": "cast({} as timestamp)",
        "TIMESTAMP_NS": "cast({} as timestamp)",
        "TIMESTAMP_MS": "cast({} as timestamp)",
        "TIMESTAMP_S": "cast({} as timestamp)",
        "DATE": "cast({} as timestamp)",
    },
    "boolean": {"BOOLEAN": "{}"},
}


def _typed_value(name: str | None, file_type: str, kind: str) -> str:
    sql_type = "timestamp" if kind == "timestamp" else "boolean"
    template = NATIVE_TYPES[kind].get(file_type) if name else None
    return template.format(_identifier(name)) if template else f"cast(null as {sql_type})"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _move_table_to_store(con: duckdb.DuckDBPyConnection, paths: Paths, table: RawTable) -> None:
    """A raw table of a warehouse from before the landing store: each of its loaded files
    (rows in arrival order, all text, as they were) goes to the store, the ledger learns where,
    and the table gives way to the view. Repeatable: a killed move is done again."""
    _add_row_ids(con, table.name)
    existing = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
            [table.name],
        ).fetchall()
    }
    columns = ", ".join(c if c in existing else f"cast(null as varchar) as {c}" for c in table.columns)
    files = con.execute(
        "select load_id, source_file, file_sha256 from raw._load_log "
        "where table_name = ? and status = 'loaded' and landed_file is null",
        [table.name],
    ).fetchall()
    moved = []
    for load_id, source_file, sha in files:
        first = con.execute(
            f"select min(_row_id) from raw.{table.name} where _load_id = ? and _source_file = ?", [load_id, source_file]
        ).fetchone()[0]
        first = first or _next_row_id(con, table.name)
        landed = f"{table.name}/{first:012d}-{sha[:16]}.parquet"
        target = paths.landed_dir / landed
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        con.execute(
            f"copy (select {columns} from raw.{table.name} where _load_id = $load_id and _source_file = $file "
            "order by _row_id) to $target (format parquet, compression zstd)",
            {"load_id": load_id, "file": source_file, "target": str(partial)},
        )
        partial.replace(target)
        file_columns = json.dumps([[c, c, "VARCHAR"] for c in table.columns])
        moved.append((landed, first, file_columns, load_id, source_file))
    con.execute("begin transaction")
    for landed, first, file_columns, load_id, source_file in moved:
        con.execute(
            "update raw._load_log set landed_file = ?, first_row_id = ?, file_columns = ? "
            "where table_name = ? and load_id = ? and source_file = ? and status = 'loaded'",
            [landed, first, file_columns, table.name, load_id, source_file],
        )
    con.execute(f"drop table raw.{table.name}")
    _write_view(con, paths, table)
    con.execute("commit")


def _next_row_id(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(
        "select coalesce(max(first_row_id + row_count), 1) from raw._load_log "
        "where table_name = ? and status = 'loaded' and first_row_id is not null",
        [table],
    ).fetchone()[0]


def _remove_unledgered_files(con: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """Store files no ledger line names: what a killed load left (it writes the file first)."""
    if not paths.landed_dir.exists():
        return
    ledgered = {
        r[0] for r in con.execute("select landed_file from raw._load_log where landed_file is not null").fetchall()
    }
    for file in paths.landed_dir.glob("*/*"):
        if file.relative_to(paths.landed_dir).as_posix() not in ledgered:
            file.unlink()


def _add_row_ids(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Raw tables from before `_row_id` existed get it, numbered in arrival order."""
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?", [table]
        ).fetchall()
    }
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
    """(folder or table name, file) pairs under DIR per SPEC §2: `<table>.csv|parquet` or
    `<table>/**`, and the provider folders `<provider>/**` of SPEC §2c."""
    found: list[tuple[str | None, Path]] = []
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            for part in sorted(p for p in entry.rglob("*") if p.is_file()):
                found.append((entry.name, part))
        elif entry.is_file():
            found.append((entry.stem if entry.suffix.lower() in DATA_SUFFIXES else None, entry))
    return found


def prepare_raw(paths: Paths, duckdb_config: dict[str, str] | None = None) -> None:
    """Schema `raw` as this version reads it, before a build that loads nothing: an older
    warehouse's raw tables moved into the landing store, and the views written again (they
    name the landed files by absolute path: a copied or moved warehouse reads its own)."""
    with writer_lock(paths), connect(paths.warehouse, config=duckdb_config) as con:
        ensure_raw_schema(con, paths)


def load_directory(
    directory: Path, paths: Paths, duckdb_config: dict[str, str] | None = None, email_id_key: str = EMAIL_ID_KEY
) -> LoadReport:
    """Land every new file under `directory`. email_id_key: the key of the email_id in the
    custom metadata of email service events (Settings.email_id_key)."""
    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"the landing folder {directory} is not a directory of raw files")
    report = LoadReport()
    load_id = uuid.uuid4().hex
    with writer_lock(paths), connect(paths.warehouse, config=duckdb_config) as con:
        ensure_raw_schema(con, paths)
        _remove_unledgered_files(con, paths)
        for table_name, path in discover(directory):
            report.outcomes.append(_load_file(con, paths, load_id, table_name, path, email_id_key))
    return report


def _load_file(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    load_id: str,
    table_name: str | None,
    path: Path,
    email_id_key: str = EMAIL_ID_KEY,
) -> FileOutcome:
    provider = table_name if table_name in providers.PROVIDERS else None
    if provider:
        if path.suffix.lower() != ".json":
            return FileOutcome(path, "email_events", "ignored", message=f"not a .json file (a {provider} event file)")
        kind, table_name = "json", "email_events"
    else:
        kind = DATA_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        return FileOutcome(path, table_name, "ignored", message="not a .csv or .parquet file")
    if table_name not in RAW_TABLES:
        known = ", ".join(RAW_TABLES)
        return FileOutcome(
            path, None, "refused", message=f"unknown table name {table_name!r} (expected one of: {known})"
        )
    table = RAW_TABLES[table_name]
    digest, size = _sha256(path)

    previous = con.execute(
        "select source_file from raw._load_log where table_name = ? and file_sha256 = ? and status = 'loaded' limit 1",
        [table.name, digest],
    ).fetchone()
    if previous:
        same = previous[0] == str(path)
        return FileOutcome(
            path, table.name, "skipped", message="" if same else f"same content already loaded from {previous[0]}"
        )
    changed = con.execute(
        "select count(*) from raw._load_log where source_file = ? and status = 'loaded'", [str(path)]
    ).fetchone()[0]

    converted = None
    try:
        if kind == "json":
            converted = _provider_rows(provider, path, email_id_key)
            header = list(providers.COLUMNS)
        else:
            header = _csv_header(path) if kind == "csv" else _parquet_header(path)
        _check_required(table, header)
    except ValueError as problem:
        return FileOutcome(path, table.name, "refused", message=str(problem))

    note = "changed since it was last loaded: loaded as new content" if changed else ""
    if converted is not None:
        uncounted = sum(1 for row in converted if row["event_type"] is None)
        name = providers.NAMES[provider]
        detail = f"{len(converted)} {name} events, {uncounted} with no meaning here (not counted)"
        note = "; ".join(filter(None, [note, detail]))
    else:
        if missing := [c for c in table.columns if c in table.optional and c not in header]:
            note = "; ".join(filter(None, [note, f"optional columns absent, loaded as NULL: {', '.join(missing)}"]))
        if extra := [c for c in header if c not in table.columns]:
            note = "; ".join(filter(None, [note, f"columns not in the contract ignored: {', '.join(extra)}"]))

    # The writer lock makes the row ids race-free: "first received" and incremental
    # watermarks are one comparison of _row_id.
    first_row_id = _next_row_id(con, table.name)
    landed = f"{table.name}/{first_row_id:012d}-{digest[:16]}.parquet"
    target = paths.landed_dir / landed
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if kind == "json":
            _rows_to_parquet(converted, partial)
            rows, stored_names, types = _read_whole(con, partial)
            landed_content = path  # converted from the file: it must not have changed since
        elif kind == "csv":
            rows, types = _csv_to_parquet(con, path, header, partial)
            stored_names = [f"c{i}" for i in range(len(header))]
            landed_content = path  # the copy was converted from the file: it must not have changed since
        else:
            if "file_row_number" in header:
                raise ValueError(
                    "a column named file_row_number (the raw views number a file's rows under that name): rename it"
                )
            shutil.copyfile(path, partial)  # an OSError here (disk full) stops the load, loudly
            rows, stored_names, types = _read_whole(con, partial)
            landed_content = partial
    except (duckdb.Error, ValueError) as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, duckdb.Error) and _is_warehouse_failure(error):
            raise  # the store cannot be written (disk full, permissions): stop, loudly
        message = str(error).strip().splitlines()
        detail = " | ".join(line.strip() for line in message[:3])
        return FileOutcome(path, table.name, "refused", message=f"not readable as {kind.upper()}: {detail}")
    if _sha256(landed_content)[0] != digest:
        partial.unlink()
        return FileOutcome(
            path,
            table.name,
            "refused",
            message="the file changed while it was being loaded: "
            "nothing of it is loaded; load it again when it is complete",
        )
    _durable(partial)
    partial.replace(target)
    _durable(target.parent)
    # For each contract column, its name in the stored file (a Parquet file's own, in any case
    # and with spaces around; a CSV's by position) and its type.
    stored = {
        name: (stored_name, sql_type) for name, stored_name, sql_type in zip(header, stored_names, types, strict=True)
    }
    file_columns = json.dumps([[c, *stored[c]] for c in table.columns if c in stored])

    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        con.execute("begin transaction")
        con.execute(
            "insert into raw._load_log values (?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?)",
            [load_id, table.name, str(path), digest, size, rows, note, loaded_at, landed, first_row_id, file_columns],
        )
        _write_view(con, paths, table)
        con.execute("commit")
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):  # an I/O failure may have ended the transaction
            con.execute("rollback")
        target.unlink(missing_ok=True)
        raise  # the warehouse cannot be written: stop, loudly
    return FileOutcome(path, table.name, "loaded", rows=rows, message=note)


def _csv_to_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, header: list[str], target: Path
) -> tuple[int, list[str]]:
    """The CSV as Parquet, every value text exactly as it was, rows in file order; the columns
    named by position, c0..cN (a header may hold any text, even nothing), mapped to the
    contract's names in the ledger (file_columns). (rows, types)."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    (rows,) = con.execute(
        f"copy (select * from read_csv($file, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"auto_detect = false, columns = {columns}, strict_mode = true, null_padding = false, ignore_errors = false)) "
        "to $target (format parquet, compression zstd)",
        {"file": str(path), "target": str(target)},
    ).fetchone()
    return rows, ["VARCHAR"] * len(header)


def _provider_rows(provider: str, path: Path, email_id_key: str) -> list[dict]:
    """The email_events rows of a provider's file; ValueError (the file is refused) if it is
    not UTF-8 JSON of that provider's events."""
    name = providers.NAMES[provider]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"not readable as {name} JSON: not UTF-8 ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise ValueError(f"not readable as {name} JSON: the file is empty")
    try:
        return providers.rows(provider, text, path.name, email_id_key)
    except providers.MalformedFeed as error:
        raise ValueError(f"not readable as {name} JSON: {error.detail}") from None


def _rows_to_parquet(rows: list[dict], target: Path) -> None:
    """Converted provider rows as a Parquet file, every column text, rows in file order."""
    import pyarrow as pa

    columns = {c: pa.array([row[c] for row in rows], pa.string()) for c in providers.COLUMNS}
    pq.write_table(pa.table(columns), target, compression="zstd")


def _read_whole(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[int, list[str], list[str]]:
    """(rows, column names, DuckDB types) of a landed Parquet file, after DuckDB read every
    value of it once: a file that breaks half-way, or that DuckDB cannot read although pyarrow
    can (text that is not UTF-8, say), is refused now, not in every later build."""
    described = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    (rows, *_) = con.execute("select count(*), min(hash(columns(*))) from read_parquet(?)", [str(path)]).fetchone()
    return rows, [r[0] for r in described], [r[1] for r in described]


def _durable(path: Path) -> None:
    """fsync a file or folder: a ledger line never outlives its file after a power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def _check_required(table: RawTable, header: list[str]) -> None:
    missing = [c for c in table.required if c not in header]
    if missing:
        raise ValueError(
            f"required column(s) missing: {', '.join(missing)} (header has: {', '.join(header) or 'nothing'})"
        )
