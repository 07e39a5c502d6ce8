"""The reference dashboard (SPEC §7) on the sample's serving copy, run with Streamlit's AppTest.

The numbers asserted are the sample's documented ones (seeds/README.md). The serving copy is
the one the session's sample build published (`sample_warehouse` in conftest.py); tests that
change it work on a copy in their own folder (a warehouse path whose `_serving.duckdb` is that
copy: the dashboard never opens the warehouse file itself, so it need not exist).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from campaign_dw.config import PROJECT_DIR, Paths

if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from dashboard import data  # noqa: E402
from dashboard.sanitize import clean_body, preview_document  # noqa: E402

APP = str(PROJECT_DIR / "dashboard" / "app.py")
DASH = "\u2013"
RATES = (
    "Delivery rate",
    "Bounce rate",
    "Unsubscribed",
    "Marked as spam",
    "Open rate",
    "Response rate",
    "Click rate",
    "Click through rate",
)
C1_URLS = {
    "https://jobs.acme.example/backend": (2, 6),  # (unique, total)
    "https://acme.example/team": (1, 5),
    "https://acme.example/apply": (1, 1),
    "https://jobs.acme.example/old-backend-link": (1, 1),
    "https://jobs.acme.example/backend/faq": (2, 2),
}


# ---- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_serving(sample_warehouse) -> Path:
    path = sample_warehouse.paths.serving_database
    assert path.exists(), "the sample build published no serving copy"
    return path


def copy_serving(serving: Path, folder: Path, sql: list[str] | None = None) -> Path:
    """A copy of the serving database as the serving copy of `folder/w.duckdb` (returned),
    changed by `sql` when given."""
    warehouse = folder / "w.duckdb"
    target = Paths(warehouse).serving_database
    shutil.copy(serving, target)
    if sql:
        with duckdb.connect(str(target)) as con:
            for statement in sql:
                con.execute(statement)
    return warehouse


def columns_of(serving: Path, table: str) -> list[str]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
        ]


def run_app(monkeypatch, warehouse: Path, **query: str) -> AppTest:
    monkeypatch.setenv("CAMPAIGN_DW_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def helps(at: AppTest) -> dict[str, str]:
    return {m.label: m.proto.help for m in at.metric}


def dialogs(at: AppTest) -> list:
    """The open modals (st.dialog blocks), wherever Streamlit put them in the tree."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == "dialog":
                found.append(child)
            walk(child)

    walk(at._tree)
    return found


def heatmap_cells(at: AppTest):
    """The heatmap chart's data: one row per (day_of_week, hour_of_day) cell."""
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1, "one heatmap chart expected"
    proto = charts[0].proto
    assert len(proto.datasets) == 1
    frame = pa.ipc.open_stream(proto.datasets[0].data.data).read_all().to_pandas()
    return frame.set_index(["day_of_week", "hour_of_day"])


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def link_rows(at: AppTest) -> dict[str, int]:
    (frame,) = [d.value for d in at.dataframe]
    count = [c for c in frame.columns if c.endswith("clicks")][0]
    return dict(zip(frame["Link"], frame[count], strict=True))


# ---- the sanitiser (no database needed) ------------------------------------------------------


@pytest.mark.parametrize(
    "body, gone",
    [
        ("<p>hi</p><script>window.parent.pwned=1</script>", ["<script", "pwned"]),
        ('<img src=x onerror="window.parent.pwned=1"><p>hi</p>', ["onerror", "pwned", "<img"]),
        ('<a href="javascript:window.parent.pwned=1">x</a>', ["javascript:", "pwned"]),
        ('<a href=" JaVa&#x53;cript:alert(1)">x</a>', ["script:", "alert"]),
        ('<img src="https://tracker.example/pixel.gif" width=1 height=1><p>hi</p>', ["tracker", "<img"]),
        ('<div style="color:red; background:url(https://tracker.example/bg.png)">s</div>', ["url(", "tracker"]),
        ('<div style="background:\\75 rl(https://tracker.example/bg.png)">s</div>', ["tracker", "\\75"]),
        (
            "<style>@import url(https://tracker.example/x.css); body{background:red}</style><p>p</p>",
            ["<style", "@import", "tracker", "background"],
        ),
        ('<p onclick="steal()" onmouseover="steal()">c</p>', ["onclick", "onmouseover", "steal"]),
        (
            '<svg onload="alert(1)"></svg><iframe src="https://x.example"></iframe><p>t</p>',
            ["<svg", "<iframe", "onload"],
        ),
        ('<form action="https://x.example"><input name=a></form><p>t</p>', ["<form", "<input"]),
        ('<table background="https://tracker.example/bg.png"><tr><td>t</td></tr></table>', ["tracker"]),
        (
            '<object data="https://x.example/x.swf"></object><embed src="https://x.example"><p>t</p>',
            ["<object", "<embed", "x.example"],
        ),
    ],
)
def test_sanitiser_removes_what_could_run_or_fetch(body, gone):
    clean = clean_body(body)
    for fragment in gone:
        assert fragment.lower() not in clean.lower(), (fragment, clean)


def test_sanitiser_keeps_the_message_links_open_in_a_new_tab_and_inline_images():
    clean = clean_body(
        '<p style="color:#333">Hi <a href="https://jobs.acme.example/backend">see the role</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo"></p>'
    )
    assert 'href="https://jobs.acme.example/backend"' in clean
    assert 'target="_blank"' in clean and "noopener" in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean
    assert 'style="color:#333"' in clean
    assert "see the role" in clean


def test_preview_document_is_always_a_document_with_a_strict_policy():
    # A body that looks like a URL must not become the frame's address.
    document = preview_document("https://evil.example/")
    assert document.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in document and "default-src 'none'" in document
    assert "img-src data:" in document and "script-src" not in document  # default-src 'none' covers scripts
    assert '<base target="_blank">' in document
    assert "(empty message body)" in preview_document(None)
    assert "&lt;b&gt;" in preview_document("<p>x</p>", title="<b>subject</b>")


def test_rates_with_no_denominator_show_a_dash():
    assert data.format_rate(None) == DASH
    assert data.format_rate(float("nan")) == DASH
    assert data.format_rate(0.2) == "20.0%"
    assert data.format_rate(0.0) == "0.0%"


# ---- data access on the serving copy ---------------------------------------------------------


def test_data_reads_one_campaign_and_fills_the_heatmap_grid(sample_serving):
    catalog = data.read_catalog(sample_serving)
    assert catalog.first_opens_tracked_since.isoformat() == "2025-08-07"
    assert catalog.all_opens_tracked_since.isoformat() == "2026-04-20"
    assert catalog.timezones == ["America/New_York", "Asia/Kathmandu", "Europe/Paris", "UTC"]
    assert set(catalog.campaigns["campaign_id"]) == {"C1", "C2", "C3", "C4"}
    c1 = data.read_campaign(sample_serving, "C1")
    assert set(c1.messages["message_id"]) == {"M11", "M12", "M13"}
    assert set(c1.heatmap["campaign_id"]) == {"C1"} and set(c1.message_links["campaign_id"]) == {"C1"}
    grid = data.heatmap_grid(c1, None, "Europe/Paris", people=False)
    assert len(grid) == 7 * 24 and grid["opens"].sum() == 30
    assert list(grid["day"].drop_duplicates()) == list(data.DAYS)  # Monday first
    assert data.read_campaign(sample_serving, "no-such-campaign") is None


def test_the_dashboard_keeps_no_handle_on_the_serving_file(sample_serving, tmp_path, monkeypatch):
    """Each read closes its connection: a publish's rename never leaves this process reading
    (or holding the disk space of) a replaced file."""
    warehouse = copy_serving(sample_serving, tmp_path)
    run_app(monkeypatch, warehouse, campaign="C1")
    serving = Paths(warehouse).serving_database.resolve()
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("no /proc/self/fd on this system")
    held = []
    for fd in fds.iterdir():
        try:
            if Path(os.readlink(fd)) == serving:
                held.append(fd.name)
        except OSError:
            continue
    assert not held


# ---- the page --------------------------------------------------------------------------------


def test_campaign_overview_and_the_11_metrics_of_c1(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1")
    assert at.selectbox(key="campaign").value == "C1"
    assert set(at.selectbox(key="campaign").options) >= {"Backend engineers Q1 (C1) · running"}
    shown = metrics(at)
    assert shown["Status"] == "Running"
    assert shown["Language"] == "English (en)"
    assert shown["Start date"] == "2026-03-02"
    assert shown["End date"] == DASH  # still running
    assert shown["Prospects entered"] == "110"
    assert shown["Prospects exited"] == "4"
    # The seed's three groups, all 11 metrics (C1: ratios of the summed counts).
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == [
        "**Volume**",
        "**Delivery**",
        "**Engagement**",
    ]
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("160", "30", "7")
    assert shown["Delivery rate"] == "93.8%"  # 150 / 160
    assert shown["Bounce rate"] == f"{10 / 160:.1%}"
    assert shown["Unsubscribed"] == f"{2 / 150:.1%}"
    assert shown["Marked as spam"] == f"{1 / 150:.1%}"
    assert shown["Open rate"] == "20.0%"  # 30 / 150
    assert shown["Response rate"] == f"{4 / 150:.1%}"
    assert shown["Click rate"] == f"{7 / 150:.1%}"
    assert shown["Click through rate"] == "23.3%"  # 7 / 30
    # Every metric carries its definition (numerator / denominator) as help.
    described = helps(at)
    assert "Emails opened / emails delivered." in described["Open rate"]
    assert "opened 30 / delivered 150" in described["Open rate"]
    assert "Emails clicked / emails opened." in described["Click through rate"]
    assert "Emails delivered / emails sent." in described["Delivery rate"]
    assert "/ emails delivered" in described["Unsubscribed"] and "/ emails delivered" in described["Marked as spam"]
    assert "Footer links" in described["Clicked"]
    assert all(described[label] for label in shown)
    # The serving copy's run is named on the page.
    assert any("Serving copy" in c.value for c in at.caption)


def test_message_picker_shows_the_worked_example_m11(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1")
    picker = at.selectbox(key="message:C1")
    assert picker.value == "__all__"
    assert picker.options == [
        "All messages",
        "Step 1: A backend role at Acme",
        "Step 2: Following up",
        "Step 3: Last note",
    ]
    picker.set_value("M11")
    rerun(at)
    shown = metrics(at)
    # 110 sent, 10 bounced, 100 delivered, 20 opened: open rate 20%, not 18%.
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("110", "20", "5")
    assert shown["Open rate"] == "20.0%"
    assert shown["Delivery rate"] == f"{100 / 110:.1%}"
    assert shown["Bounce rate"] == f"{10 / 110:.1%}"
    assert shown["Click through rate"] == "25.0%"
    # M13 was never sent: its rates have no denominator.
    at.selectbox(key="message:C1").set_value("M13")
    rerun(at)
    shown = metrics(at)
    assert shown["Sent"] == "0"
    assert all(shown[rate] == DASH for rate in RATES)


def test_preview_is_active_only_for_one_message_and_opens_a_modal(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1")
    assert at.button(key="preview").disabled
    assert not dialogs(at)
    at.selectbox(key="message:C1").set_value("M11")
    rerun(at)
    assert not at.button(key="preview").disabled
    assert not dialogs(at)  # a modal only on request
    at.button(key="preview").click()
    rerun(at)
    (dialog,) = dialogs(at)
    assert dialog.proto.dialog.title == "Message preview"
    subject = [h.value for h in at.get("html")]
    assert any("A backend role at Acme" in s for s in subject)
    (frame,) = at.get("iframe")
    document = frame.proto.srcdoc
    assert document.startswith("<!DOCTYPE html>") and "default-src 'none'" in document
    assert "see the role" in document
    assert 'href="https://jobs.acme.example/backend"' in document and 'target="_blank"' in document
    assert not frame.proto.src  # the body is the frame's document, never its address


def test_preview_of_a_hostile_body_is_sanitised(sample_serving, tmp_path, monkeypatch):
    body = (
        '<p>Hello</p><script>window.parent.pwned=1</script><img src=x onerror="window.parent.pwned=2">'
        '<a href="javascript:window.parent.pwned=3">click</a>'
        '<img src="https://tracker.example/open.gif?p=42" width=1 height=1>'
        '<div style="background:url(https://tracker.example/bg.png)">styled</div>'
    )
    warehouse = copy_serving(
        sample_serving,
        tmp_path,
        [
            f"update marts.campaign_messages set body_html = '{body.replace(chr(39), chr(39) * 2)}' where message_id = 'M12'",
        ],
    )
    at = run_app(monkeypatch, warehouse, campaign="C1", message="M12")
    at.button(key="preview").click()
    rerun(at)
    (frame,) = at.get("iframe")
    document = frame.proto.srcdoc
    assert "Hello" in document and "styled" in document and "click" in document
    for gone in ("<script", "onerror", "javascript:", "pwned", "tracker.example", "url("):
        assert gone not in document, gone


def test_link_clicks_unique_by_default_with_a_switch_to_total(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1")
    switch = at.button_group(key="clicks_by")
    assert switch.value == "unique"
    # All messages: campaign_link_clicks, only clicked links (no footer link), by url.
    assert link_rows(at) == {url: unique for url, (unique, _) in C1_URLS.items()}
    assert list(at.dataframe[0].value.columns) == ["Link", "Open", "Unique clicks"]
    switch.set_value("total")
    rerun(at)
    assert link_rows(at) == {url: total for url, (_, total) in C1_URLS.items()}
    assert list(at.dataframe[0].value.columns) == ["Link", "Open", "Total clicks"]
    # One message: campaign_message_link_clicks, with anchor text, most clicked first.
    at.selectbox(key="message:C1").set_value("M11")
    rerun(at)
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["Link", "Open", "Anchor text", "Total clicks"]
    assert list(frame["Total clicks"]) == [6, 5, 1, 1]
    assert frame.iloc[0]["Anchor text"] == "see the role"  # L1: total 6
    at.button_group(key="clicks_by").set_value("unique")
    rerun(at)
    assert link_rows(at) == {
        "https://jobs.acme.example/backend": 2,
        "https://acme.example/team": 1,
        "https://acme.example/apply": 1,
        "https://jobs.acme.example/old-backend-link": 1,
    }
    at.selectbox(key="message:C1").set_value("M12")
    rerun(at)
    assert link_rows(at) == {"https://jobs.acme.example/backend/faq": 2}  # L7 (footer) is not there


def test_campaign_with_nothing_sent_shows_dashes_not_zero_percent(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C3")
    shown = metrics(at)
    assert shown["Status"] == "Draft"
    assert shown["Start date"] == DASH
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("0", "0", "0")
    assert all(shown[rate] == DASH for rate in RATES), shown
    assert "0.0%" not in shown.values()
    assert "no denominator" in helps(at)["Open rate"]
    assert not at.dataframe and any("No link has been clicked" in c.value for c in at.caption)
    assert not at.get("vega_lite_chart")
    assert any("has not sent anything" in text for text in infos(at))


def test_campaign_that_ended_before_opens_were_tracked_says_so_with_the_dates(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C2")
    assert metrics(at)["End date"] == "2025-07-31"
    assert not at.get("vega_lite_chart")
    (note,) = [t for t in infos(at) if "heatmap" in t]
    assert "2025-07-31" in note and "2025-08-07" in note and "before opens were tracked" in note


def test_first_opens_only_era_is_explained_with_the_dates(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1")
    (note,) = [t for t in infos(at) if "first open" in t]
    assert "2026-04-20" in note and "2025-08-07" in note and "partly" in note
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C4")
    (note,) = [t for t in infos(at) if "first open" in t]
    assert "2026-04-20" in note and "not recorded at all" in note  # C4 started 2025-07-20
    assert heatmap_cells(at)["opens"].sum() == 2


def test_tracking_dates_come_from_the_serving_copy(sample_serving, tmp_path, monkeypatch):
    """Moved dates in meta.definitions move the notes: nothing is hard-coded in the page."""
    warehouse = copy_serving(
        sample_serving,
        tmp_path,
        [
            "update meta.definitions set value = '2026-01-05' where name = 'all_opens_tracked_since'",
            "update meta.definitions set value = '2025-08-01' where name = 'first_opens_tracked_since'",
        ],
    )
    at = run_app(monkeypatch, warehouse, campaign="C1")  # started 2026-03-02: after both dates
    assert not [t for t in infos(at) if "first open" in t]
    at = run_app(monkeypatch, warehouse, campaign="C2")
    (note,) = [t for t in infos(at) if "heatmap" in t]
    assert "2025-08-01" in note and "2025-08-07" not in note


def test_heatmap_is_7_days_by_24_hours_in_the_viewer_zone_from_the_tz_parameter(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1", tz="Europe/Paris")
    picker = at.selectbox(key="tz")
    assert picker.value == "Europe/Paris"
    assert picker.options == ["America/New_York", "Asia/Kathmandu", "Europe/Paris", "UTC"]
    cells = heatmap_cells(at)
    assert len(cells) == 168 and cells.index.is_unique
    assert cells["opens"].sum() == 30
    assert cells.loc[(7, 1), "opens"] == 1  # 2026-03-29 00:30Z, CET
    assert cells.loc[(7, 2), "opens"] == 0  # that hour does not exist that night: an empty cell is 0
    assert cells.loc[(7, 3), "opens"] == 1  # 01:30Z, CEST
    assert cells.loc[(1, 0), "day"] == "Monday" and cells.loc[(7, 23), "day"] == "Sunday"
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["layer"][0]["encoding"]["y"]["sort"] == list(data.DAYS)  # Monday first
    assert spec["layer"][0]["encoding"]["x"]["sort"] == list(range(24))
    picker.set_value("Asia/Kathmandu")
    rerun(at)
    cells = heatmap_cells(at)
    assert cells.loc[(1, 23), "opens"] == 1 and cells.loc[(2, 0), "opens"] == 1
    picker = at.selectbox(key="tz").set_value("UTC")
    rerun(at)
    cells = heatmap_cells(at)
    assert cells.loc[(2, 9), "opens"] == 4 and cells.loc[(3, 9), "opens"] == 1 and cells.loc[(3, 11), "opens"] == 0
    at.selectbox(key="message:C1").set_value("M11")
    rerun(at)
    assert heatmap_cells(at)["opens"].sum() == 18
    at.selectbox(key="message:C1").set_value("M12")
    rerun(at)
    assert heatmap_cells(at)["opens"].sum() == 12


def test_unknown_tz_parameter_falls_back_to_utc(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1", tz="Mars/Olympus_Mons")
    assert at.selectbox(key="tz").value == "UTC"
    assert any("Mars/Olympus" in h.value and "not in the heatmap mart" in h.value for h in at.get("html"))


def test_a_tz_parameter_that_looks_like_a_link_is_shown_as_text(sample_serving, monkeypatch):
    """Streamlit's markdown links any URL or e-mail address, even with its characters escaped."""
    at = run_app(
        monkeypatch,
        sample_serving.with_name("warehouse.duckdb"),
        campaign="C1",
        tz="www.evil.example/x https://evil.example/<b>y</b> me@evil.example",
    )
    (note,) = [h.value for h in at.get("html") if "not in the heatmap mart" in h.value]
    assert "https://evil.example/&lt;b&gt;y&lt;/b&gt;" in note and "<a" not in note
    assert not [e.value for e in [*at.markdown, *at.caption] if "evil" in e.value]


def test_without_a_serving_database_the_page_says_how_to_make_one(tmp_path, monkeypatch):
    at = run_app(monkeypatch, tmp_path / "nothing_here.duckdb")
    (warning,) = [w.value for w in at.warning]
    assert str(tmp_path / "nothing_here_serving.duckdb") in warning
    assert "make run" in warning and "campaign-dw build --landing DIR" in warning
    assert not at.metric


def test_a_newer_publish_is_shown_without_a_restart(sample_serving, tmp_path, monkeypatch):
    """A build publishes by renaming a new file over the serving copy: the running page (same
    session, same process, same caches) shows the new numbers on its next run."""
    warehouse = copy_serving(sample_serving, tmp_path)
    serving = Paths(warehouse).serving_database
    at = run_app(monkeypatch, warehouse, campaign="C1")
    assert metrics(at)["Sent"] == "160"
    assert at.selectbox(key="campaign").value == "C1"
    # The next run's file: a changed copy, swapped in by rename as campaign_dw.serving.publish does.
    newer = serving.with_name(".newer.tmp")
    shutil.copy(serving, newer)
    with duckdb.connect(str(newer)) as con:
        con.execute("update marts.campaign_metrics set emails_sent = 1234 where campaign_id = 'C1'")
        con.execute("update marts.campaign_overview set prospects_entered = 111 where campaign_id = 'C1'")
        con.execute("update meta.publication set run_id = 'the-newer-run'")
    os.replace(newer, serving)
    rerun(at)
    shown = metrics(at)
    assert shown["Sent"] == "1,234"
    assert shown["Prospects entered"] == "111"
    assert any("the-newer-run" in c.value for c in at.caption)
    assert at.selectbox(key="campaign").value == "C1"  # the viewer's choices survive


def _people_sql(serving: Path) -> list[str]:
    """SQL that gives a copy the §3b columns with known values (added when the marts lack them)."""
    sql = []
    wanted = {
        "campaign_metrics": data.PEOPLE_METRIC_COLUMNS,
        "campaign_message_metrics": data.PEOPLE_METRIC_COLUMNS,
        "campaign_link_clicks": data.PEOPLE_LINK_COLUMNS,
        "campaign_message_link_clicks": data.PEOPLE_LINK_COLUMNS,
        "campaign_open_heatmap": data.PEOPLE_HEATMAP_COLUMNS,
        "campaign_message_open_heatmap": data.PEOPLE_HEATMAP_COLUMNS,
    }
    for table, columns in wanted.items():
        present = set(columns_of(serving, table))
        for column in columns:
            if column not in present:
                kind = "double" if "rate" in column else "bigint"
                sql.append(f"alter table marts.{table} add column {column} {kind}")
    sql += [
        "update marts.campaign_metrics set emails_opened_by_people = 12, emails_clicked_by_people = 3, "
        "people_open_rate = 12 / 150, people_click_rate = 3 / 150, people_click_through_rate = 3 / 12, "
        "machine_opens = 18, bot_clicks = 4 where campaign_id = 'C1'",
        "update marts.campaign_link_clicks set total_clicks_by_people = total_clicks - 1, "
        "unique_clicks_by_people = unique_clicks - 1",
        "update marts.campaign_message_link_clicks set total_clicks_by_people = total_clicks - 1, "
        "unique_clicks_by_people = unique_clicks - 1",
        "update marts.campaign_open_heatmap set opens_by_people = 0, unique_prospects_by_people = 0",
        "update marts.campaign_open_heatmap set opens_by_people = opens, unique_prospects_by_people = unique_prospects "
        "where day_of_week = 2 and hour_of_day = 9",
    ]
    return sql


def test_people_only_switch_uses_the_people_columns(sample_serving, tmp_path, monkeypatch):
    warehouse = copy_serving(sample_serving, tmp_path, _people_sql(sample_serving))
    at = run_app(monkeypatch, warehouse, campaign="C1", tz="UTC")
    toggle = at.toggle(key="people")
    assert toggle.value is False
    assert metrics(at)["Opened"] == "30"
    toggle.set_value(True)
    rerun(at)
    shown = metrics(at)
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("160", "12", "3")
    assert shown["Open rate"] == "8.0%" and shown["Click rate"] == "2.0%" and shown["Click through rate"] == "25.0%"
    assert shown["Delivery rate"] == "93.8%" and shown["Response rate"] == f"{4 / 150:.1%}"  # not bot-sensitive
    assert "opened by a person" in helps(at)["Open rate"].lower()
    assert any("18 opens by machines" in c.value and "4 clicks by bots" in c.value for c in at.caption)
    # Links counted without bots (a link clicked only by bots drops out) and the heatmap of people.
    assert link_rows(at) == {"https://jobs.acme.example/backend": 1, "https://jobs.acme.example/backend/faq": 1}
    cells = heatmap_cells(at)
    assert cells["opens"].sum() == 4 and cells.loc[(2, 9), "opens"] == 4


def test_people_only_on_the_sample_shows_its_documented_figures(sample_serving, monkeypatch):
    """seeds/README.md 'Machines and bots': the sample's own §3b figures, once the marts have them."""
    if not data.read_catalog(sample_serving).people_metrics:
        pytest.skip("the sample's marts have no §3b (people) columns yet")
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), campaign="C1", tz="UTC")
    at.toggle(key="people").set_value(True)
    rerun(at)
    shown = metrics(at)
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("160", "22", "5")
    assert shown["Open rate"] == f"{22 / 150:.1%}"
    assert shown["Click rate"] == f"{5 / 150:.1%}"
    assert shown["Click through rate"] == f"{5 / 22:.1%}"
    assert any("6 opens by machines" in c.value and "5 clicks by bots" in c.value for c in at.caption)
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == [
        "**Volume** · people only",
        "**Delivery**",
        "**Engagement** · people only",
    ]
    cells = heatmap_cells(at)
    assert cells["opens"].sum() == 24
    assert cells.loc[(3, 14), "opens"] == 0  # three proxy opens, none by a person
    assert cells.loc[(4, 16), "opens"] == 1  # the proxy's and Safari's: one by a person
    at.selectbox(key="message:C1").set_value("M11")
    rerun(at)
    shown = metrics(at)
    assert (shown["Opened"], shown["Clicked"]) == ("14", "3")
    assert shown["Open rate"] == "14.0%" and shown["Click through rate"] == f"{3 / 14:.1%}"
    at.button_group(key="clicks_by").set_value("total")
    rerun(at)
    # L5 and L999 were clicked by bots only: not clicked links for people.
    assert link_rows(at) == {"https://jobs.acme.example/backend": 6, "https://acme.example/team": 4}
    assert heatmap_cells(at)["opens"].sum() == 14
    at.toggle(key="people").set_value(False)
    rerun(at)
    assert metrics(at)["Opened"] == "20" and heatmap_cells(at)["opens"].sum() == 18


def test_people_only_switch_is_hidden_when_the_marts_lack_its_columns(sample_serving, tmp_path, monkeypatch):
    drops = []
    for table in (
        "campaign_metrics",
        "campaign_message_metrics",
        "campaign_link_clicks",
        "campaign_message_link_clicks",
        "campaign_open_heatmap",
        "campaign_message_open_heatmap",
    ):
        for column in columns_of(sample_serving, table):
            if column in data.PEOPLE_METRIC_COLUMNS + data.PEOPLE_LINK_COLUMNS + data.PEOPLE_HEATMAP_COLUMNS:
                drops.append(f"alter table marts.{table} drop column {column}")
    warehouse = copy_serving(sample_serving, tmp_path, drops)
    at = run_app(monkeypatch, warehouse, campaign="C1")
    assert not at.toggle
    assert metrics(at)["Open rate"] == "20.0%"


def test_a_serving_copy_without_meta_definitions_still_draws(sample_serving, tmp_path, monkeypatch):
    """An older serving copy (published before meta.definitions existed): no era note, no error."""
    warehouse = copy_serving(sample_serving, tmp_path, ["drop table meta.definitions"])
    at = run_app(monkeypatch, warehouse, campaign="C1")
    assert metrics(at)["Open rate"] == "20.0%"
    assert heatmap_cells(at)["opens"].sum() == 30
    assert not [t for t in infos(at) if "first open" in t]


# ---- links that are not web links, names that look like links ---------------------------------


@pytest.mark.parametrize(
    "url, web",
    [
        ("https://acme.example/a", True),
        ("HTTP://acme.example/", True),
        (" https://acme.example/ ", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("mailto:a@b.example", False),
        ("//acme.example/x", False),
        ("acme.example/x", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_and_https_urls_count_as_web_links(url, web):
    assert data.is_web_url(url) is web


def test_a_link_that_is_not_http_is_shown_as_text_never_as_a_link(sample_serving, tmp_path, monkeypatch):
    warehouse = copy_serving(
        sample_serving,
        tmp_path,
        [
            "update marts.campaign_link_clicks set link_url = 'javascript:alert(document.cookie)' "
            "where link_url = 'https://acme.example/team'",
            "update marts.campaign_message_link_clicks set link_url = 'javascript:alert(document.cookie)', "
            "anchor_text = 'see www.evil.example now' where link_url = 'https://acme.example/team'",
        ],
    )
    at = run_app(monkeypatch, warehouse, campaign="C1")
    (table,) = at.dataframe
    frame = table.value.set_index("Link")
    assert pd.isna(frame.loc["javascript:alert(document.cookie)", "Open"])  # no link to click
    assert frame.loc["https://jobs.acme.example/backend", "Open"] == "https://jobs.acme.example/backend"
    config = json.loads(table.proto.columns)
    assert config["Link"]["type_config"]["type"] == "text"  # the address is text
    assert config["Open"]["type_config"]["type"] == "link"
    at.selectbox(key="message:C1").set_value("M11")
    rerun(at)
    frame = at.dataframe[0].value.set_index("Link")
    assert pd.isna(frame.loc["javascript:alert(document.cookie)", "Open"])
    assert frame.loc["javascript:alert(document.cookie)", "Anchor text"] == "see www.evil.example now"
    assert json.loads(at.dataframe[0].proto.columns)["Anchor text"]["type_config"]["type"] == "text"


def test_a_campaign_name_is_rendered_as_escaped_text_not_markdown(sample_serving, tmp_path, monkeypatch):
    name = "Visit https://evil.example or www.evil.example <b>now</b> [x](javascript:alert(1))"
    warehouse = copy_serving(
        sample_serving,
        tmp_path,
        [
            f"update marts.campaign_overview set campaign_name = '{name}' where campaign_id = 'C1'",
        ],
    )
    at = run_app(monkeypatch, warehouse, campaign="C1")
    (heading,) = [h.value for h in at.get("html") if "campaignName" in h.value]
    assert "&lt;b&gt;now&lt;/b&gt;" in heading and "<a" not in heading and "<b>" not in heading
    assert not [m.value for m in at.markdown if "evil.example" in m.value]


# ---- all campaigns ------------------------------------------------------------------------------


def display_values(element) -> pd.DataFrame:
    """What a styled st.dataframe shows (its Styler's display values), column by column."""
    styler = element.proto.arrow_data.styler
    return pa.ipc.open_stream(styler.display_values).read_all().to_pandas()


def test_all_campaigns_page_lists_every_campaign_with_its_rates(sample_serving, monkeypatch):
    at = run_app(monkeypatch, sample_serving.with_name("warehouse.duckdb"), view="all")
    assert at.button_group(key="view").value == "all"
    assert [m.value for m in at.markdown if m.value.startswith("**")][:5] == [
        "**All campaigns**",
        "**Campaigns**",
        "**Key rates by month of sending**",
        "**By language**",
        "**By owner**",
    ]
    campaigns, by_language, by_owner = at.dataframe
    frame = campaigns.value.set_index("ID")
    assert set(frame.index) == {"C1", "C2", "C3", "C4"}
    assert frame.loc["C1", "Campaign"] == "Backend engineers Q1"
    assert frame.loc["C1", "Open rate"] == pytest.approx(30 / 150)  # numbers: the table sorts on them
    shown = display_values(campaigns).set_index("ID")
    assert shown.loc["C1", "Open rate"] == "20.0%" and shown.loc["C1", "Click through rate"] == "23.3%"
    assert shown.loc["C3", "Open rate"] == DASH and shown.loc["C3", "Sent"] == "0"  # a draft: nothing sent
    assert "0.0%" not in set(shown.loc["C3"])
    assert campaigns.proto.placeholder == DASH  # what the browser's grid draws in a NULL cell
    # By language and owner: ratios of the summed counts (SPEC §8), never averages of rates.
    languages = by_language.value.set_index("Language")
    assert languages.loc["en", "Open rate"] == pytest.approx(31 / 152)
    assert languages.loc["en", "Sent"] == 162
    assert display_values(by_language).set_index("Language").loc["en", "Open rate"] == f"{31 / 152:.1%}"
    owners = by_owner.value.set_index("Owner")
    assert owners.loc["U1", "Open rate"] == pytest.approx(30 / 150)
    assert owners.loc["U2", "Sent"] == 5
    # The trend: open, click, response and bounce rates by month of sending.
    (chart,) = at.get("vega_lite_chart")
    trend = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
    assert set(trend["rate"]) == {"Open rate", "Click rate", "Response rate", "Bounce rate"}
    opens = trend[trend["rate"] == "Open rate"].sort_values("month")
    with duckdb.connect(str(sample_serving), read_only=True) as con:
        expected = [
            r
            for (r,) in con.execute(
                "select sum(emails_opened) / nullif(sum(emails_delivered), 0) from marts.email_counts_daily "
                "group by date_trunc('month', send_date) order by date_trunc('month', send_date)"
            ).fetchall()
        ]
    assert list(opens["value"]) == pytest.approx(expected)
    # Back to one campaign.
    at.button_group(key="view").set_value("campaign")
    rerun(at)
    assert at.selectbox(key="campaign").value


def test_all_campaigns_people_only_uses_the_people_rates(sample_serving, tmp_path, monkeypatch):
    warehouse = copy_serving(sample_serving, tmp_path, _people_sql(sample_serving))
    at = run_app(monkeypatch, warehouse, view="all")
    at.toggle(key="people").set_value(True)
    rerun(at)
    frame = at.dataframe[0].value.set_index("ID")
    assert frame.loc["C1", "Open rate"] == pytest.approx(12 / 150)  # people_open_rate of the copy
    assert [m.value for m in at.markdown if m.value.startswith("**Campaigns")] == ["**Campaigns** · people only"]


def test_all_campaigns_on_a_serving_copy_without_the_rollup_says_so(sample_serving, tmp_path, monkeypatch):
    warehouse = copy_serving(sample_serving, tmp_path, ["drop table marts.metrics_rollup"])
    at = run_app(monkeypatch, warehouse, view="all")
    assert any("metrics_rollup" in w.value for w in at.warning)


def test_the_rates_help_text_follows_the_semantic_layer():
    """The page explains each rate as numerator / denominator: the pairs it names are the
    semantic layer's (the one place the definitions are written), so they cannot drift."""
    from campaign_dw import bi
    from campaign_dw.config import DBT_PROJECT_DIR

    defined = {
        r.name: (r.numerator, r.denominator)
        for r in bi.read_definitions(DBT_PROJECT_DIR / "target" / "manifest.json").rates
    }
    shown = {}
    for metric in (m for group in data.METRIC_GROUPS.values() for m in group if m.is_rate):
        shown[metric.column] = (metric.numerator, metric.denominator)
        if metric.people_column:
            shown[metric.people_column] = (metric.people_numerator, metric.people_denominator)
    assert shown and shown.items() <= defined.items()
