"""`campaign-dw load`: formats, exactly-once, refusals that lose nothing."""

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from campaign_dw import config
from orchestration.cli import main
from campaign_dw.loader import load_directory
from campaign_dw.raw_contract import RAW_TABLES
from conftest import query

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
    source = events_csv(tmp_path / "in" / "email_events.csv", "e1,m1,opened,2026-03-04T11:00:00+02:00,,,,UA,2026-03-04T09:01:00Z")
    report = load_directory(tmp_path / "in", paths)
    assert outcomes(report) == {("email_events.csv", "loaded")}
    rows = query(paths.warehouse, "select event_id, occurred_at, bounce_type, _source_file, _source_row from raw.email_events")
    assert rows == [("e1", "2026-03-04T11:00:00+02:00", None, str(source), 1)]
    (log,) = query(paths.warehouse, "select table_name, row_count, status from raw._load_log")
    assert log == ("email_events", 1, "loaded")


def test_parquet_and_folder_of_parts(tmp_path, paths):
    parts = tmp_path / "in" / "email_sends"
    parts.mkdir(parents=True)
    sent = pa.array([datetime(2026, 3, 2, 9, tzinfo=UTC)] * 2, type=pa.timestamp("us", tz="UTC"))
    for i in range(2):
        pq.write_table(
            pa.table({"email_id": [f"a{i}", f"b{i}"], "campaign_id": ["c", "c"], "message_id": ["m", "m"],
                      "prospect_id": ["p", "q"], "sent_at": sent}),
            parts / f"part-{i}.parquet",
        )
    write(parts / "part-2.csv", "email_id,campaign_id,message_id,prospect_id,sent_at\nc2,c,m,r,2026-03-02T09:00:00Z\n")
    report = load_directory(tmp_path / "in", paths)
    assert {o.status for o in report.outcomes} == {"loaded"} and report.rows_loaded == 5
    rows = query(paths.warehouse, "select email_id, sent_at, _source_row from raw.email_sends order by 1")
    assert rows[0] == ("a0", "2026-03-02 09:00:00+00", 1)
    assert [r[0] for r in rows] == ["a0", "a1", "b0", "b1", "c2"]


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
    assert query(paths.warehouse, "select event_id, count(*) from raw.email_events group by 1 order by 1") == [("e1", 2), ("e2", 1)]


def test_same_content_under_another_path_is_skipped(tmp_path, paths):
    events_csv(tmp_path / "a" / "email_events.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    events_csv(tmp_path / "b" / "email_events" / "part.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    load_directory(tmp_path / "a", paths)
    (outcome,) = load_directory(tmp_path / "b", paths).outcomes
    assert outcome.status == "skipped" and "same content already loaded from" in outcome.message


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("email_events.csv", "event_id,email_id\ne1,m1\n", "required column(s) missing: event_type, occurred_at, received_at"),
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
    write(tmp_path / "in" / "users.csv", "user_id,full_name,email,timezone,updated_at\nU1,A,a@x,UTC,2026-01-01T00:00:00Z\n")
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
    rows = query(paths.warehouse, "select event_id, event_type, occurred_at, url, user_agent from raw.email_events order by _source_row")
    assert rows == [
        ("e1", "forwarded", "yesterday", None, None),
        (None, "opened", "2026-03-04T09:00:00Z", None, None),
        ("e3", "clicked", "2026-03-04T09:00:00Z", "https://x/?a=1,b=2", ",; DROP TABLE raw.users; --"),
    ]


def test_optional_columns_may_be_missing_and_extra_columns_are_reported(tmp_path, paths):
    write(tmp_path / "in" / "email_events.csv",
          "event_id,email_id,event_type,occurred_at,received_at,campaign_hint\ne1,m1,opened,2026-03-04T09:00:00Z,,x\n")
    (outcome,) = load_directory(tmp_path / "in", paths).outcomes
    assert outcome.status == "loaded"
    assert "optional columns absent, loaded as NULL: bounce_type, link_id, url, user_agent" in outcome.message
    assert "columns not in the contract ignored: campaign_hint" in outcome.message


def test_file_names_with_quotes_and_spaces(tmp_path, paths):
    events_csv(tmp_path / "in" / "email_events" / "it's a \"part\"; drop.csv", "e1,m1,opened,2026-03-04T09:00:00Z,,,,,")
    report = load_directory(tmp_path / "in", paths)
    assert {o.status for o in report.outcomes} == {"loaded"}
    assert query(paths.warehouse, "select _source_file from raw.email_events")[0][0].endswith("it's a \"part\"; drop.csv")


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
    tables = {t for (t,) in query(paths.warehouse, "select table_name from information_schema.tables where table_schema = 'raw'")}
    assert tables == set(RAW_TABLES) | {"_load_log"}
