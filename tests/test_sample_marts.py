"""The sample built end to end: every number documented in seeds/README.md."""

import pytest
from conftest import query

COUNTS = (
    "emails_sent, emails_delivered, emails_bounced, emails_hard_bounced, emails_soft_bounced, "
    "emails_opened, emails_clicked, emails_replied, emails_unsubscribed, emails_marked_spam"
)


def test_raw_rows_are_all_accounted_for(sample_warehouse):
    rows = query(sample_warehouse.warehouse, "select * from audit.raw_row_reconciliation order by table_name")
    assert rows == [
        # table, raw, last raw _row_id, accepted, superseded, duplicate, rejected, waiting, lost, reconciled
        ("audience_memberships", 116, 116, 115, 1, 0, 0, 0, 0, True),
        ("campaign_messages", 6, 6, 6, 0, 0, 0, 0, 0, True),
        ("campaigns", 5, 5, 4, 1, 0, 0, 0, 0, True),
        ("email_events", 235, 235, 229, 0, 2, 3, 1, 0, True),
        ("email_sends", 167, 167, 165, 0, 1, 1, 0, 0, True),
        ("message_links", 7, 7, 7, 0, 0, 0, 0, 0, True),
        ("prospects", 121, 121, 120, 1, 0, 0, 0, 0, True),
        ("users", 6, 6, 5, 1, 0, 0, 0, 0, True),
    ]


def test_rejected_rows_carry_their_reason(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select table_name, record_key, rejection_reason from audit.rejected_rows order by all",
    )
    assert rows == [
        ("email_events", "EV0231", "occurred_at does not parse: yesterday"),
        ("email_events", "EV0232", "unknown event_type: forwarded"),
        ("email_events", None, "missing event_id"),
        ("email_sends", "E11-BAD", "sent_at does not parse: N/A"),
    ]


def test_unknown_viewer_time_zones_are_warned(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse, "select record_key, original_value from audit.data_quality_warnings order by 1"
    )
    assert rows == [("U4", None), ("U5", "Mars/Olympus_Mons")]


def test_overview(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select campaign_id, status, language, message_count, prospects_entered, prospects_exited "
        "from marts.campaign_overview order by 1",
    )
    assert rows == [
        ("C1", "running", "en", 3, 110, 4),
        ("C2", "completed", "en", 1, 2, 2),
        ("C3", "draft", "fr", 1, 0, 0),
        ("C4", "running", "de", 1, 3, 0),
    ]


def test_message_counts(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse, f"select message_id, {COUNTS} from marts.campaign_message_metrics order by 1"
    )
    assert rows == [
        ("M11", 110, 100, 10, 7, 3, 20, 5, 3, 1, 1),
        ("M12", 50, 50, 0, 0, 0, 10, 2, 1, 1, 0),
        ("M13", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("M21", 2, 2, 0, 0, 0, 1, 0, 0, 0, 0),
        ("M31", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        ("M41", 3, 3, 0, 0, 0, 2, 0, 0, 0, 0),
    ]


def test_seed_worked_example_open_rate(sample_warehouse):
    (row,) = query(
        sample_warehouse.warehouse,
        "select delivery_rate, bounce_rate, open_rate, click_rate, click_through_rate, response_rate, "
        "unsubscribe_rate, spam_rate from marts.campaign_message_metrics where message_id = 'M11'",
    )
    assert row == pytest.approx((100 / 110, 10 / 110, 0.20, 5 / 100, 5 / 20, 3 / 100, 1 / 100, 1 / 100), rel=1e-12)


def test_unsent_messages_and_drafts_have_zero_counts_and_null_rates(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select message_id, emails_sent, delivery_rate, open_rate, click_through_rate "
        "from marts.campaign_message_metrics where message_id in ('M13', 'M31') order by 1",
    )
    assert rows == [("M13", 0, None, None, None), ("M31", 0, None, None, None)]
    (draft,) = query(
        sample_warehouse.warehouse, "select emails_sent, open_rate from marts.campaign_metrics where campaign_id = 'C3'"
    )
    assert draft == (0, None)


def test_campaign_rates_are_ratios_of_summed_counts(sample_warehouse):
    (row,) = query(
        sample_warehouse.warehouse,
        f"select {COUNTS}, delivery_rate, bounce_rate, open_rate, click_rate, click_through_rate "
        "from marts.campaign_metrics where campaign_id = 'C1'",
    )
    assert row[:10] == (160, 150, 10, 7, 3, 30, 7, 4, 2, 1)
    assert row[10:] == pytest.approx((150 / 160, 10 / 160, 30 / 150, 7 / 150, 7 / 30), rel=1e-12)


def test_message_link_clicks(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select message_id, link_id, link_url, total_clicks, unique_clicks "
        "from marts.campaign_message_link_clicks order by 1, 2",
    )
    assert rows == [
        ("M11", "L1", "https://jobs.acme.example/backend", 6, 2),
        ("M11", "L2", "https://acme.example/team", 5, 1),
        ("M11", "L5", "https://acme.example/apply", 1, 1),
        ("M11", "L999", "https://jobs.acme.example/old-backend-link", 1, 1),
        ("M12", "L6", "https://jobs.acme.example/backend/faq", 2, 2),
    ]


def test_campaign_link_clicks(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select campaign_id, link_url, total_clicks, unique_clicks from marts.campaign_link_clicks order by link_url",
    )
    assert rows == [
        ("C1", "https://acme.example/apply", 1, 1),
        ("C1", "https://acme.example/team", 5, 1),
        ("C1", "https://jobs.acme.example/backend", 6, 2),
        ("C1", "https://jobs.acme.example/backend/faq", 2, 2),
        ("C1", "https://jobs.acme.example/old-backend-link", 1, 1),
    ]


def test_heatmap_totals_per_zone(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select campaign_id, viewer_timezone, sum(opens) from marts.campaign_open_heatmap group by all order by all",
    )
    zones = ["America/New_York", "Asia/Kathmandu", "Europe/Paris", "UTC"]
    assert rows == [("C1", z, 30) for z in zones] + [("C4", z, 2) for z in zones]
    by_message = query(
        sample_warehouse.warehouse,
        "select message_id, sum(opens) from marts.campaign_message_open_heatmap "
        "where viewer_timezone = 'UTC' group by all order by all",
    )
    assert by_message == [("M11", 18), ("M12", 12), ("M41", 2)]


@pytest.mark.parametrize(
    ("zone", "day", "hour", "opens"),
    [
        ("Europe/Paris", 7, 1, 1),
        ("Europe/Paris", 7, 2, None),
        ("Europe/Paris", 7, 3, 1),
        ("America/New_York", 7, 1, 1),
        ("America/New_York", 7, 3, 1),
        ("Asia/Kathmandu", 1, 23, 1),
        ("Asia/Kathmandu", 2, 0, 1),
        ("UTC", 2, 9, 4),
        ("UTC", 3, 9, 1),
        ("UTC", 3, 11, None),
    ],
)
def test_heatmap_cells(sample_warehouse, zone, day, hour, opens):
    rows = query(
        sample_warehouse.warehouse,
        "select opens from marts.campaign_open_heatmap "
        "where campaign_id = 'C1' and viewer_timezone = ? and day_of_week = ? and hour_of_day = ?",
        [zone, day, hour],
    )
    assert rows == ([] if opens is None else [(opens,)])


def test_tracking_history_in_c4(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select day_of_week, hour_of_day, opens from marts.campaign_open_heatmap "
        "where campaign_id = 'C4' and viewer_timezone = 'UTC' order by all",
    )
    assert rows == [(5, 10, 1), (7, 14, 1)]


def test_campaign_ended_before_tracking_has_no_heatmap(sample_warehouse):
    assert query(
        sample_warehouse.warehouse, "select count(*) from marts.campaign_open_heatmap where campaign_id in ('C2', 'C3')"
    ) == [(0,)]


def test_serving_database_has_the_marts_and_no_personal_data(sample_warehouse):
    serving = sample_warehouse.paths.serving_database
    tables = query(
        serving,
        "select table_schema, table_name from information_schema.tables where table_schema = 'marts' order by 2",
    )
    assert {t for _, t in tables} == {
        "campaign_overview",
        "campaign_messages",
        "campaign_metrics",
        "campaign_message_metrics",
        "campaign_link_clicks",
        "campaign_message_link_clicks",
        "campaign_open_heatmap",
        "campaign_message_open_heatmap",
        "email_counts_daily",
        "metrics_rollup",
    }
    columns = {c for (c,) in query(serving, "select column_name from information_schema.columns")}
    assert not columns & {"email", "first_name", "last_name", "full_name"}
    # No value of any mart column is a prospect's email or name (in serving or in the warehouse).
    personal = {
        v
        for row in query(sample_warehouse.warehouse, "select email, first_name, last_name from raw.prospects")
        for v in row
        if v
    }
    assert len(personal) > 300
    for database in (serving, sample_warehouse.warehouse):
        for _, table in tables:
            values = {str(v) for row in query(database, f'select * from marts."{table}"') for v in row}
            assert not values & personal, (database, table)
            text = " ".join(values)
            assert not any(p in text for p in personal if "@" in p), (database, table)
    assert query(serving, "select count(*) from marts.campaign_metrics") == [(4,)]
    assert sorted(p.name for p in sample_warehouse.paths.parquet_dir.iterdir()) == sorted(
        f"{t}.parquet" for _, t in tables
    )


# --- SPEC §3b: the same figures for people (seeds/README.md, "Machines and bots") -----------

PEOPLE = "emails_opened_by_people, emails_clicked_by_people, machine_opens, bot_clicks"


def test_machines_and_bots_are_classed_by_the_rule_that_matched(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select email_id, event_id, machine_or_bot_reason from audit.machine_and_bot_engagements order by all",
    )
    assert rows == [
        ("E11-015", "EV0142", "automation user agent"),
        ("E11-024", "EV0125", "Apple proxy user agent"),
        ("E11-025", "EV0126", "Apple proxy user agent"),
        ("E11-026", "EV0127", "Apple proxy user agent"),
        ("E11-027", "EV0128", "Apple proxy user agent"),
        ("E11-030", "EV-BURST-1", "click burst"),
        ("E11-030", "EV-BURST-2", "click burst"),
        ("E11-030", "EV0147", "click burst"),
        ("E11-031", "EV0148", "too soon after sending"),
        ("E12-026", "EV0208", "provider flag"),
        ("E12-027", "EV0209", "Apple proxy user agent"),
    ]


def test_message_figures_for_people(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        f"select message_id, {PEOPLE}, people_open_rate, people_click_rate, "
        "people_click_through_rate from marts.campaign_message_metrics order by 1",
    )
    expected = [
        ("M11", 14, 3, 4, 5, 14 / 100, 3 / 100, 3 / 14),
        ("M12", 8, 2, 2, 0, 8 / 50, 2 / 50, 2 / 8),
        ("M13", 0, 0, 0, 0, None, None, None),
        ("M21", 1, 0, 0, 0, 1 / 2, 0.0, 0.0),
        ("M31", 0, 0, 0, 0, None, None, None),
        ("M41", 2, 0, 0, 0, 2 / 3, 0.0, 0.0),
    ]
    assert [r[:5] for r in rows] == [e[:5] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        for got, rate in zip(row[5:], want[5:], strict=True):
            assert got == (None if rate is None else pytest.approx(rate, rel=1e-12)), row[0]


def test_campaign_figures_for_people_and_the_seed_figures_beside_them(sample_warehouse):
    (row,) = query(
        sample_warehouse.warehouse,
        f"select emails_opened, emails_clicked, open_rate, {PEOPLE}, "
        "people_open_rate, people_click_through_rate "
        "from marts.campaign_metrics where campaign_id = 'C1'",
    )
    assert row[:2] == (30, 7) and row[2] == pytest.approx(0.20)  # the seed's figures, unchanged
    assert row[3:7] == (22, 5, 6, 5)
    assert row[7:] == pytest.approx((22 / 150, 5 / 22), rel=1e-12)


def test_link_clicks_for_people(sample_warehouse):
    rows = query(
        sample_warehouse.warehouse,
        "select link_id, total_clicks, unique_clicks, total_clicks_by_people, "
        "unique_clicks_by_people from marts.campaign_message_link_clicks order by 1",
    )
    assert rows == [
        ("L1", 6, 2, 6, 2),
        ("L2", 5, 1, 4, 1),
        ("L5", 1, 1, 0, 0),
        ("L6", 2, 2, 2, 2),
        ("L999", 1, 1, 0, 0),
    ]


def test_heatmap_for_people(sample_warehouse):
    totals = query(
        sample_warehouse.warehouse,
        "select campaign_id, sum(opens), sum(opens_by_people) "
        "from marts.campaign_open_heatmap where viewer_timezone = 'UTC' "
        "group by all order by all",
    )
    assert totals == [("C1", 30, 24), ("C4", 2, 2)]
    cells = query(
        sample_warehouse.warehouse,
        "select day_of_week, hour_of_day, opens, unique_prospects, opens_by_people, "
        "unique_prospects_by_people from marts.campaign_open_heatmap "
        "where campaign_id = 'C1' and viewer_timezone = 'UTC' "
        "and (day_of_week, hour_of_day) in ((3, 14), (4, 16)) order by all",
    )
    # Wednesday 14h: Apple's proxy alone (E11-024, 025, 026); Thursday 16h: the proxy (E11-027)
    # and a person in Safari (E11-028).
    assert cells == [(3, 14, 3, 3, 0, 0), (4, 16, 2, 2, 1, 1)]
