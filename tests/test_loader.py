"""`campaign-dw load`: formats, exactly-once, refusals that lose nothing."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import query

from campaign_dw import config
from campaign_dw.loader import load_directory, prepare_raw
from campaign_dw.raw_contract import RAW_TABLES
from orchestration.cli import main

EVENTS_HEADER = "event_id,email_id,event_type,occurred_at,bounce_type,link_id,url,user_agent,received_at\n"


@pytest.fixture
def paths(tmp_path):
    return config.paths(tmp_path / "wh" / "warehouse.duckdb")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def events_csv(path, *rows):
    return write(path, EVENTS_HEADER + "".join(r + "\n" for r in rows))


def outcomes(report):
    return {(o.path.name, o.status) for o in report.outcomes}


def test_csv_loads_as_text_with_lineage(tmp_path, paths):
    source = events_csv(
        tmp_path / "in" / "email_events.csv", "e1,m1,opened,2026-03-04T11:00:00+02:00,,,,UA,2026-03-04T09:01:00Z"
    )
    report = load_directory(tmp_path / "in", paths)
    assert outcomes(report) == {("email_events.csv", "loaded")}
    rows = query(
        paths.warehouse, "select event_id, occurred_at, bounce_type, _source_file, _source_row from raw.email_events"
    )
    assert rows == [("e1", "2026-03-04T11:00:00+02:00", None, str(source), 1)]
    (log,) = query(paths.warehouse, "select table_name, row_count, status from raw._load_log")
    assert log == ("email_events", 1, "loaded")


def test_parquet_and_folder_of_parts(tmp_path, paths):
    parts = tmp_path / "in" / "email_sends"
    parts.mkdir(parents=True)
    sent = pa.array([datetime(2026, 3, 2, 9, tzinfo=UTC)] * 2, type=pa.timestamp("us", tz="UTC"))
    for i in range(2):
        pq.write_table(
            pa.table(
                {
                    "email_id": [f"a{i}", f"b{i}"],
                    "campaign_id": ["c", "c"],
                    "message_id": ["m", "m"],
                    "prospect_id": ["p", "q"],
                    "sent_at": sent,
                }
            ),
            parts / f"part-{i}.parquet",
        )
    write(parts / "part-2.csv", "email_id,campaign_id,message_id,prospect_id,sent_at\nc2,c,m,r,2026-03-02T09:00:00Z\n")
    report = load_directory(tmp_path / "in", paths)
    assert {o.status for o in report.outcomes} == {"loaded"} and report.rows_loaded == 5
    rows = query(
        paths.warehouse, "select email_id, sent_at, sent_at__typed, _source_row from raw.email_sends order by 1"
    )
    # A Parquet timestamp stays typed (in UTC, no text round trip); the CSV's text stays text.
    assert rows[0] == ("a0", None, datetime(2026, 3, 2, 9), 1)
    assert rows[-1] == ("c2", "2026-03-02T09:00:00Z", None, 1)
    assert [r[0] for r in rows] == ["a0", "a1", "b0", "b1", "c2"]


def test_files_are_landed_by_reference_and_numbered_in_arrival_order(tmp_path, paths):
    events_csv(tmp_path / "a" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,", "e2,m1,opened,x,,,,,")
    events_csv(tmp_path / "b" / "email_events.csv", "e3,m1,opened,2026-03-04T09:00:00Z,,,,,")
    load_directory(tmp_path / "a", paths)
    load_directory(tmp_path / "b", paths)
    landed = sorted(p.relative_to(paths.landed_dir).as_posix() for p in paths.landed_dir.rglob("*.parquet"))
    assert [name.split("-")[0] for name in landed] == ["email_events/000000000001", "email_events/000000000003"]
    # The store holds each file once, as it came (a CSV as text, its columns by position);
    # raw is a view over it.
    assert pq.read_table(paths.landed_dir / landed[0]).column("c3").to_pylist() == ["2026-03-04T09:00:00Z", "x"]
    assert query(paths.warehouse, "select event_id, _row_id, _source_row from raw.email_events order by _row_id") == [
        ("e1", 1, 1),
        ("e2", 2, 2),
        ("e3", 3, 1),
    ]
    assert query(
        paths.warehouse, "select table_type from information_schema.tables where table_name = 'email_events'"
    ) == [("VIEW",)]


def test_a_killed_load_leaves_no_row_and_its_file_is_removed(tmp_path, paths):
    events_csv(tmp_path / "in" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    load_directory(tmp_path / "in", paths)
    # What a load killed between landing a file and its ledger line leaves behind.
    stray = paths.landed_dir / "email_events" / "000000000002-0123456789abcdef.parquet"
    partial = paths.landed_dir / "email_events" / ".000000000002-0123456789abcdef.parquet.partial"
    stray.write_bytes(b"half")
    partial.write_bytes(b"half")
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(1,)]
    load_directory(tmp_path / "in", paths)
    assert not stray.exists() and not partial.exists()
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(1,)]


def test_a_warehouse_from_before_the_landing_store_is_moved_into_it(tmp_path, paths):
    """Raw tables of the old layout (text rows inside DuckDB, no row ids yet) become landed
    files, every row with the same values and lineage, and new loads number on from them."""
    import duckdb

    paths.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema raw")
        for table in RAW_TABLES.values():
            columns = ", ".join(f"{c} varchar" for c in table.columns if c != "machine_open")
            con.execute(
                f"create table raw.{table.name} ({columns}, _source_file varchar, _source_row bigint, "
                "_file_sha256 varchar, _load_id varchar, _loaded_at timestamp)"
            )
        con.execute("""create table raw._load_log (load_id varchar, table_name varchar, source_file varchar,
            file_sha256 varchar, file_bytes bigint, row_count bigint, status varchar, message varchar, loaded_at timestamp)""")
        for load, file, rows in (
            ("L1", "/old/a.csv", [("e1", "2026-03-04T09:00:00Z"), ("e2", "bad")]),
            ("L2", "/old/b.csv", [("e3", "2026-03-05T09:00:00Z")]),
        ):
            at = datetime(2026, 3, 6 if load == "L2" else 5)
            for n, (event, occurred) in enumerate(rows, 1):
                con.execute(
                    "insert into raw.email_events (event_id, email_id, event_type, occurred_at, _source_file, "
                    "_source_row, _file_sha256, _load_id, _loaded_at) values (?, 'm1', 'opened', ?, ?, ?, ?, ?, ?)",
                    [event, occurred, file, n, f"sha{load}", load, at],
                )
            con.execute(
                "insert into raw._load_log values (?, 'email_events', ?, ?, 1, ?, 'loaded', '', ?)",
                [load, file, f"sha{load}", len(rows), at],
            )
    # What a build without a landing folder does first; a load does the same.
    prepare_raw(paths)
    assert query(
        paths.warehouse, "select table_type from information_schema.tables where table_name = 'email_events'"
    ) == [("VIEW",)]
    events_csv(tmp_path / "in" / "email_events.csv", "e4,m1,opened,2026-03-07T09:00:00Z,,,,,")
    load_directory(tmp_path / "in", paths)
    assert query(
        paths.warehouse,
        "select event_id, occurred_at, machine_open, _source_file, _source_row, _row_id, _load_id "
        "from raw.email_events order by _row_id",
    ) == [
        ("e1", "2026-03-04T09:00:00Z", None, "/old/a.csv", 1, 1, "L1"),
        ("e2", "bad", None, "/old/a.csv", 2, 2, "L1"),
        ("e3", "2026-03-05T09:00:00Z", None, "/old/b.csv", 1, 3, "L2"),
        (
            "e4",
            "2026-03-07T09:00:00Z",
            None,
            str(tmp_path / "in" / "email_events.csv"),
            1,
            4,
            query(
                paths.warehouse,
                "select max(load_id) filter (where table_name = 'email_events' and source_file like '%/in/%') from raw._load_log",
            )[0][0],
        ),
    ]
    assert query(
        paths.warehouse, "select count(*) from raw._load_log where landed_file is null and status = 'loaded'"
    ) == [(0,)]


def test_reload_is_exactly_once_and_a_changed_file_is_new_content(tmp_path, paths):
    source = events_csv(tmp_path / "in" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    load_directory(tmp_path / "in", paths)
    again = load_directory(tmp_path / "in", paths)
    assert outcomes(again) == {("email_events.csv", "skipped")}
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(1,)]

    events_csv(source, "e1,m1,opened,2026-03-04T09:00:00Z,,,,,", "e2,m1,clicked,2026-03-04T09:05:00Z,,L1,https://x,,")
    changed = load_directory(tmp_path / "in", paths)
    (outcome,) = changed.outcomes
    assert outcome.status == "loaded" and "changed since it was last loaded" in outcome.message
    # Appended as a new version of the file: e1 twice in raw (staging de-duplicates it).
    assert query(paths.warehouse, "select event_id, count(*) from raw.email_events group by 1 order by 1") == [
        ("e1", 2),
        ("e2", 1),
    ]


def test_same_content_under_another_path_is_skipped(tmp_path, paths):
    events_csv(tmp_path / "a" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    events_csv(tmp_path / "b" / "email_events" / "part.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    load_directory(tmp_path / "a", paths)
    (outcome,) = load_directory(tmp_path / "b", paths).outcomes
    assert outcome.status == "skipped" and "same content already loaded from" in outcome.message


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (
            "email_events.csv",
            "event_id,email_id\ne1,m1\n",
            "required column(s) missing: event_type, occurred_at, received_at",
        ),
        ("email_events.csv", "", "the file is empty"),
        ("email_events.csv", EVENTS_HEADER + "e1,m1,opened\n", "Expected Number of Columns"),
        ("email_events.csv", b"\xff\xfeevent_id\n", "not UTF-8"),
        ("clicks.csv", "a,b\n1,2\n", "unknown table name 'clicks'"),
        ("email_events.parquet", b"PAR1 this is not parquet", "not readable as Parquet"),
        ("email_events.csv", "event_id,event_id,email_id\n", "duplicated column names"),
    ],
)
def test_structurally_broken_file_is_refused_whole_and_others_still_load(tmp_path, paths, name, content, problem):
    broken = tmp_path / "in" / name
    broken.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        broken.write_bytes(content)
    else:
        broken.write_text(content)
    write(
        tmp_path / "in" / "users.csv",
        "user_id,full_name,email,timezone,updated_at\nU1,A,a@x,UTC,2026-01-01T00:00:00Z\n",
    )
    report = load_directory(tmp_path / "in", paths)
    refused = [o for o in report.outcomes if o.status == "refused"]
    assert len(refused) == 1 and refused[0].path == broken
    assert problem in refused[0].message
    assert str(broken) in refused[0].line()
    assert query(paths.warehouse, "select count(*) from raw.users") == [(1,)]
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(0,)]


def test_bad_values_are_loaded_as_they_are(tmp_path, paths):
    events_csv(
        tmp_path / "in" / "email_events.csv",
        "e1,m1,forwarded,yesterday,,,,,",
        ",m1,opened,2026-03-04T09:00:00Z,,,,,",
        'e3,m1,clicked,2026-03-04T09:00:00Z,,L1,"https://x/?a=1,b=2",",; DROP TABLE raw.users; --",',
    )
    report = load_directory(tmp_path / "in", paths)
    assert report.rows_loaded == 3
    rows = query(
        paths.warehouse,
        "select event_id, event_type, occurred_at, url, user_agent from raw.email_events order by _source_row",
    )
    assert rows == [
        ("e1", "forwarded", "yesterday", None, None),
        (None, "opened", "2026-03-04T09:00:00Z", None, None),
        ("e3", "clicked", "2026-03-04T09:00:00Z", "https://x/?a=1,b=2", ",; DROP TABLE raw.users; --"),
    ]


def test_optional_columns_may_be_missing_and_extra_columns_are_reported(tmp_path, paths):
    write(
        tmp_path / "in" / "email_events.csv",
        "event_id,email_id,event_type,occurred_at,received_at,campaign_hint\ne1,m1,opened,2026-03-04T09:00:00Z,,x\n",
    )
    (outcome,) = load_directory(tmp_path / "in", paths).outcomes
    assert outcome.status == "loaded"
    assert "optional columns absent, loaded as NULL: bounce_type, link_id, url, user_agent" in outcome.message
    assert "columns not in the contract ignored: campaign_hint" in outcome.message


def test_file_names_with_quotes_and_spaces(tmp_path, paths):
    events_csv(tmp_path / "in" / "email_events" / 'it\'s a "part"; drop.csv', "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    report = load_directory(tmp_path / "in", paths)
    assert {o.status for o in report.outcomes} == {"loaded"}
    assert query(paths.warehouse, "select _source_file from raw.email_events")[0][0].endswith(
        'it\'s a "part"; drop.csv'
    )


def test_cli_load_reports_and_exits_non_zero_on_refusals(tmp_path, paths, capsys):
    events_csv(tmp_path / "in" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    write(tmp_path / "in" / "nonsense.csv", "a\n1\n")
    write(tmp_path / "in" / "README.md", "notes")
    assert main(["--warehouse", str(paths.warehouse), "load", str(tmp_path / "in")]) == 1
    out, err = capsys.readouterr()
    assert "1 files loaded (1 rows), 0 skipped as already loaded, 1 refused, 1 ignored" in out
    assert "nonsense.csv" in err and "unknown table name" in err
    assert main(["--warehouse", str(paths.warehouse), "load", str(tmp_path / "missing")]) == 2


def test_every_raw_table_exists_after_any_load(tmp_path, paths):
    (tmp_path / "empty").mkdir()
    load_directory(tmp_path / "empty", paths)
    tables = {
        t
        for (t,) in query(
            paths.warehouse, "select table_name from information_schema.tables where table_schema = 'raw'"
        )
    }
    assert tables == set(RAW_TABLES) | {"_load_log"}
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(0,)]


def test_files_that_only_duckdb_would_trip_on_are_refused_or_loaded_whole(tmp_path, paths):
    """A Parquet string column that is not UTF-8 (pyarrow reads it, DuckDB does not) is
    refused at load, not left to break every build; a Parquet column named file_row_number
    is refused with what to do; a CSV header with a trailing comma loads as before."""
    folder = tmp_path / "in" / "email_events"
    folder.mkdir(parents=True)
    good = {
        "event_id": ["e1"],
        "email_id": ["m1"],
        "event_type": ["opened"],
        "occurred_at": ["2026-03-04T09:00:00Z"],
        "received_at": [None],
    }
    bad = pa.table(
        {
            **{k: pa.array(v, pa.string()) for k, v in good.items()},
            "user_agent": pa.array([b"\xff\xfe"], pa.binary()).cast(pa.string(), safe=False),
        }
    )
    pq.write_table(bad, folder / "a-not-utf8.parquet")
    pq.write_table(pa.table({**good, "file_row_number": [1]}), folder / "b-clash.parquet")
    write(
        folder / "c.csv", "event_id,email_id,event_type,occurred_at,received_at,\ne2,m1,opened,2026-03-04T09:00:00Z,,\n"
    )
    report = load_directory(tmp_path / "in", paths)
    status = {o.path.name: (o.status, o.message) for o in report.outcomes}
    assert status["a-not-utf8.parquet"][0] == "refused"
    assert status["b-clash.parquet"][0] == "refused" and "file_row_number" in status["b-clash.parquet"][1]
    assert status["c.csv"][0] == "loaded"
    assert query(paths.warehouse, "select event_id from raw.email_events") == [("e2",)]
    assert [p.name for p in (paths.landed_dir / "email_events").iterdir()] == [
        query(paths.warehouse, "select landed_file from raw._load_log")[0][0].split("/")[1]
    ]


# --- email service formats (SPEC §2c) ---------------------------------------------------------


def provider_folder(root, key="email_id"):
    """One file per service, in each of the shapes a service delivers: a SendGrid POST body (an
    array), Mailgun webhook payloads as NDJSON, SES records in SNS notifications and bare (Firehose
    NDJSON), one Postmark webhook body (a single document)."""
    import json

    from provider_samples import samples, sns_notification

    write(root / "sendgrid" / "events.json", json.dumps([d for _, d in samples("sendgrid", "S1", key)]))
    write(root / "mailgun" / "events.json", "\n".join(json.dumps(d) for _, d in samples("mailgun", "M1", key)))
    ses = [d for _, d in samples("ses", "A1", key)]
    write(root / "ses" / "sns.json", "\n".join(json.dumps(sns_notification(d)) for d in ses[:5]))
    write(root / "ses" / "firehose.json", "\n".join(json.dumps(d) for d in ses[5:]))
    write(root / "postmark" / "one.json", json.dumps(samples("postmark", "P1", key)[0][1], indent=2))
    write(root / "postmark" / "README.md", "webhook bodies")
    return {p: len(samples(p, "x")) for p in ("sendgrid", "mailgun", "ses")} | {"postmark": 1}


def test_provider_files_land_once_by_content_as_email_events_rows(tmp_path, paths):
    counts = provider_folder(tmp_path / "in")
    report = load_directory(tmp_path / "in", paths)
    status = {(o.path.parent.name, o.path.name): (o.status, o.table, o.rows) for o in report.outcomes}
    assert status[("postmark", "README.md")][0] == "ignored"
    loaded = {k: v for k, v in status.items() if v[0] == "loaded"}
    assert {v[1] for v in loaded.values()} == {"email_events"}
    assert report.rows_loaded == sum(counts.values())
    rows = query(
        paths.warehouse,
        "select provider, count(*), count(email_id), count(event_type), count(url), count(provider_payload) "
        "from raw.email_events group by 1 order by 1",
    )
    # every event a row; the url of each click (the one of each sample) reaches raw; the
    # events with no meaning here have no event_type
    assert rows == [
        ("mailgun", 9, 9, 8, 1, 9),
        ("postmark", 1, 1, 1, 0, 1),
        ("sendgrid", 12, 12, 8, 1, 12),
        ("ses", 13, 13, 8, 1, 13),
    ]
    # each file once: a second load, or the same content under another name, lands nothing
    again = load_directory(tmp_path / "in", paths)
    assert {o.status for o in again.outcomes} == {"skipped", "ignored"}
    write(tmp_path / "copy" / "ses" / "same.json", (tmp_path / "in" / "ses" / "sns.json").read_text())
    (copy,) = load_directory(tmp_path / "copy", paths).outcomes
    assert copy.status == "skipped" and "same content already loaded" in copy.message
    assert query(paths.warehouse, "select count(*) from raw.email_events") == [(sum(counts.values()),)]
    # the rows keep their lineage: file, the event's place in it, and the service's name for it
    assert query(
        paths.warehouse,
        "select _source_row, provider_event, event_type from raw.email_events "
        "where provider = 'sendgrid' and _source_row <= 3 order by 1",
    ) == [(1, "processed", None), (2, "deferred", None), (3, "delivered", "delivered")]


def test_a_malformed_provider_file_is_refused_whole_and_the_others_load(tmp_path, paths):
    write(tmp_path / "in" / "sendgrid" / "a-broken.json", '[{"event": "open", "timestamp": 1}, {"event": ')
    write(tmp_path / "in" / "sendgrid" / "b-postmark.json", '{"RecordType": "Open", "MessageID": "m"}')
    write(tmp_path / "in" / "mailgun" / "c-empty.json", "\n")
    (tmp_path / "in" / "ses").mkdir()
    (tmp_path / "in" / "ses" / "d-latin1.json").write_bytes('{"eventType": "Open", "x": "caf\xe9"}'.encode("latin-1"))
    write(
        tmp_path / "in" / "postmark" / "e-good.json",
        '{"RecordType": "Delivery", "MessageID": "m", "Metadata": {"email_id": "P1"}}',
    )
    report = load_directory(tmp_path / "in", paths)
    status = {o.path.name: (o.status, o.message) for o in report.outcomes}
    assert status["a-broken.json"][0] == "refused" and "not readable as SendGrid JSON" in status["a-broken.json"][1]
    assert status["b-postmark.json"] == (
        "refused",
        "not readable as SendGrid JSON: document 1: not an event of SendGrid (no 'event'): "
        '{"RecordType":"Open","MessageID":"m"}',
    )
    assert status["c-empty.json"] == ("refused", "not readable as Mailgun JSON: the file is empty")
    assert status["d-latin1.json"][0] == "refused" and "not UTF-8" in status["d-latin1.json"][1]
    assert status["e-good.json"][0] == "loaded"
    assert query(paths.warehouse, "select provider, email_id from raw.email_events") == [("postmark", "P1")]
    assert query(paths.warehouse, "select count(*) from raw._load_log where status = 'loaded'") == [(1,)]
    assert len(list(paths.landed_dir.rglob("*"))) == 2  # the folder and the one landed file


def test_the_email_id_key_is_the_configured_one(tmp_path, paths, monkeypatch):
    provider_folder(tmp_path / "in", key="dw_email")
    load_directory(tmp_path / "in", paths, email_id_key="dw_email")
    assert query(paths.warehouse, "select count(*) - count(email_id) from raw.email_events") == [(0,)]
    other = config.paths(tmp_path / "other" / "warehouse.duckdb")
    load_directory(tmp_path / "in", other)  # the default key, email_id: not in these events
    assert query(other.warehouse, "select count(email_id) from raw.email_events") == [(0,)]
    monkeypatch.setenv("CAMPAIGN_DW_EMAIL_ID_KEY", "dw_email")
    assert config.Settings.from_env(warehouse=paths.warehouse).email_id_key == "dw_email"
    with pytest.raises(ValueError, match="cannot be empty"):
        config.Settings(warehouse=paths.warehouse, email_id_key=" ")
