"""Generated batches loaded and built one after the other through the real job (dbt tests and
Python checks included) give the marts of one full build over all batches: late events,
duplicates across loads, orphans whose send arrives later, sends whose message arrives later
or moves away, dimension versions, and a late earlier open that un-counts a first open. And
a build recomputes only the campaigns its batch touched.
(Random sequences of small batches: tests/test_incremental_equals_full.py.)"""

import pytest
from conftest import build, generated_batches, query

from campaign_dw.config import Settings
from campaign_dw.loader import load_directory
from campaign_dw.serving import MART_TABLES
from orchestration.status import info

pytestmark = pytest.mark.slow


def snapshot(settings):
    tables = {f"marts.{t}": f"select * from marts.{t} order by all" for t in MART_TABLES}
    tables["audit.raw_row_reconciliation"] = "select * from audit.raw_row_reconciliation order by all"
    tables["audit.rejected_rows"] = (
        "select table_name, record_key, rejection_reason, source_file, source_row from audit.rejected_rows order by all"
    )
    return {name: query(settings.warehouse, sql) for name, sql in tables.items()}


def late_message_files(batch0, batch1, batch2):
    """Sends (and their events) of a message that only arrives with the next batch, and
    which the batch after moves to another campaign (its sends then wait again)."""
    (batch0 / "email_sends" / "late-message.csv").write_text(
        "email_id,campaign_id,message_id,prospect_id,sent_at\n"
        "LATE-1,C000001,C000001-M9,P1,2025-09-01T09:00:00Z\n"
        "LATE-2,C000001,C000001-M9,P2,2025-09-01T09:00:00Z\n"
    )
    (batch0 / "email_events" / "late-message.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "LATE-EV-1,LATE-1,delivered,2025-09-01T09:01:00Z,2025-09-01T09:02:00Z\n"
        "LATE-EV-2,LATE-1,opened,2025-09-02T10:00:00Z,2025-09-02T10:02:00Z\n"
    )
    (batch1 / "campaign_messages").mkdir(parents=True, exist_ok=True)
    (batch1 / "campaign_messages" / "late-message.csv").write_text(
        "message_id,campaign_id,step_number,subject,body_html,wait_days,updated_at\n"
        "C000001-M9,C000001,9,Late step,<p>late</p>,3,2025-08-30T00:00:00Z\n"
    )
    (batch2 / "campaign_messages").mkdir(parents=True, exist_ok=True)
    (batch2 / "campaign_messages" / "moved-message.csv").write_text(
        "message_id,campaign_id,step_number,subject,body_html,wait_days,updated_at\n"
        "C000001-M9,C000002,9,Late step,<p>late</p>,3,2025-09-30T00:00:00Z\n"
    )


def dimension_version_files(batch0, batch1, batch2):
    """New versions of audience memberships and prospects in later batches: one that wins (a
    later updated_at), one that arrives late with an older updated_at (loses), one with the
    same updated_at (the later arrival wins), one that does not parse (rejected)."""
    header = "campaign_id,prospect_id,entered_at,exited_at,exit_reason,updated_at\n"
    files = {
        batch0: "C000001,PV1,2025-09-01T00:00:00Z,,,2025-09-01T00:00:00Z\n"
        "C000001,PV2,2025-09-01T00:00:00Z,,,2025-09-01T00:00:00Z\n",
        batch1: "C000001,PV1,2025-09-01T00:00:00Z,2025-09-10T00:00:00Z,replied,2025-09-10T00:00:00Z\n"
        "C000001,PV2,2025-09-01T00:00:00Z,2025-08-20T00:00:00Z,bounced,2025-08-20T00:00:00Z\n",
        batch2: "C000001,PV1,2025-09-01T00:00:00Z,,,2025-09-10T00:00:00Z\n"
        "C000001,PV3,2025-09-01T00:00:00Z,,,yesterday\n",
    }
    for batch, rows in files.items():
        (batch / "audience_memberships").mkdir(parents=True, exist_ok=True)
        (batch / "audience_memberships" / "versions.csv").write_text(header + rows)
    for batch, email in ((batch1, "new@mail.example"), (batch2, "old@mail.example")):
        (batch / "prospects").mkdir(parents=True, exist_ok=True)
        updated = "2026-01-01" if batch is batch1 else "2025-01-01"  # batch2's is older: it loses
        (batch / "prospects" / "versions.csv").write_text(
            f"prospect_id,email,first_name,last_name,updated_at\nP1,{email},A,B,{updated}T00:00:00Z\n"
        )


def heatmap_edge_files(batch0, batch1, batch2):
    """Changes that must take a campaign's heatmap cells away on an incremental build:
    an earlier open arriving late makes an email's counted first open no longer first (and
    the late one predates open tracking), and a campaign's new version ends it before
    tracking began (no heatmap at all)."""
    (batch0 / "email_sends" / "edge.csv").write_text(
        "email_id,campaign_id,message_id,prospect_id,sent_at\nEDGE-1,C000007,C000007-M1,P1,2025-09-01T09:00:00Z\n"
    )
    (batch0 / "email_events" / "edge.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "EDGE-EV-1,EDGE-1,opened,2025-09-03T03:07:00Z,2025-09-03T03:08:00Z\n"
    )
    (batch1 / "email_events" / "edge.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "EDGE-EV-0,EDGE-1,opened,2025-08-01T10:00:00Z,2025-09-10T00:00:00Z\n"
    )
    (batch2 / "campaigns").mkdir(parents=True, exist_ok=True)
    (batch2 / "campaigns" / "edge.csv").write_text(
        "campaign_id,name,owner_user_id,status,language,started_at,ended_at,created_at,updated_at\n"
        "C000004,Campaign C000004,U5,completed,en,2025-06-05T08:00:00Z,2025-08-01T00:00:00Z,"
        "2025-05-22T08:00:00Z,2026-11-01T00:00:00Z\n"
    )


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    dirs = generated_batches(tmp_path_factory.mktemp("batches"), count=3, events=40_000, seed=11)
    late_message_files(*dirs)
    dimension_version_files(*dirs)
    heatmap_edge_files(*dirs)
    return dirs


def test_incremental_batches_equal_one_full_build_and_recompute_only_touched_campaigns(batches, tmp_path):
    incremental = Settings(warehouse=tmp_path / "incremental" / "warehouse.duckdb")
    waiting_sql = "select waiting_rows from audit.raw_row_reconciliation where table_name = 'email_sends'"
    late_sql = "select emails_sent from marts.campaign_message_metrics where message_id = 'C000001-M9'"
    # C000007 is a draft: no generated audience, only the edge email.
    cell_sql = (
        "select count(*) from marts.campaign_open_heatmap where campaign_id = 'C000007' "
        "and viewer_timezone = 'UTC' and day_of_week = 3 and hour_of_day = 3"
    )
    for number, folder in enumerate(batches):
        outcome = build(incremental.with_(landing=folder))
        assert outcome.status == "success", outcome.problems
        if number == 0:  # the sends of the message that has not arrived wait; EDGE-1's first open counts
            assert query(incremental.warehouse, waiting_sql) == [(2,)]
            assert query(incremental.warehouse, cell_sql) == [(1,)]
        if number == 1:  # it arrived: they are counted
            assert query(incremental.warehouse, waiting_sql) == [(0,)]
            assert query(incremental.warehouse, late_sql) == [(2,)]
    # The message moved to another campaign: its sends (of the old campaign) wait again.
    assert query(incremental.warehouse, waiting_sql) == [(2,)]
    assert query(incremental.warehouse, late_sql) == [(0,)]
    # A late, earlier open: EDGE-1's counted first open is no longer first (and the late one
    # predates tracking); C000004 now ended before tracking began: no heatmap.
    assert query(incremental.warehouse, cell_sql) == [(0,)]
    assert query(
        incremental.warehouse, "select count(*) from marts.campaign_open_heatmap where campaign_id = 'C000004'"
    ) == [(0,)]

    # Only the campaigns touched were recomputed by the last build: the others kept the rows
    # of earlier builds.
    for table in ("int_message_heatmap_cells_counted", "int_message_emails_counted"):
        kept, recomputed = query(
            incremental.warehouse,
            f"""
            select count(distinct campaign_id) filter (where _built_at < newest),
                   count(distinct campaign_id) filter (where _built_at = newest)
            from intermediate.{table}, (select max(_built_at) as newest from intermediate.{table})
        """,
        )[0]
        assert kept > 0 and recomputed > 0, (table, kept, recomputed)
    touched = query(incremental.warehouse, "select count(*) from intermediate.int_campaigns_touched")[0][0]
    campaigns = query(incremental.warehouse, "select count(*) from intermediate.int_campaigns_current")[0][0]
    assert 0 < touched < campaigns
    # The scope, by reason, as the operator sees it (campaign-dw info, the asset in the UI).
    scope = info(incremental.paths)["last_build_scope"]
    by_reason = dict(
        query(incremental.warehouse, "select reason, count(*) from intermediate.int_campaigns_touched group by reason")
    )
    assert scope["campaigns_recomputed"] == touched and scope["by_reason"] == by_reason
    assert {"new send", "message changed"} <= set(by_reason), by_reason  # the moved message
    # The per-email models rewrote the campaigns recounted whole and the touched emails of the
    # others, no other email: a campaign touched by new sends or events alone kept the rows of
    # its other emails.
    whole, emails = query(
        incremental.warehouse,
        "select (select count(*) from intermediate.int_campaigns_touched where whole_campaign),"
        " (select count(*) from intermediate.int_emails_touched)",
    )[0]
    assert (scope["campaigns_recounted_whole"], scope["touched_emails_recounted"]) == (whole, emails)
    assert 0 < whole < touched and emails > 0
    rewritten_elsewhere, kept_beside_touched = query(
        incremental.warehouse,
        """
        with flags as (
            select f.*, f._built_at = (select max(_built_at) from intermediate.int_emails_flagged) as rewritten
            from intermediate.int_emails_flagged f
        ),
        whole as (select campaign_id from intermediate.int_campaigns_touched where whole_campaign)
        select
            count(*) filter (where rewritten and campaign_id not in (select campaign_id from whole)
                             and email_id not in (select email_id from intermediate.int_emails_touched)),
            count(*) filter (where not rewritten and campaign_id in (
                select campaign_id from intermediate.int_emails_touched))
        from flags
    """,
    )[0]
    assert rewritten_elsewhere == 0 and kept_beside_touched > 0
    # The heatmap cells of those campaigns were kept by difference: only the cells of touched
    # prospects rewritten, the others kept as they were.
    for grain in ("campaign", "message"):
        kept_cells, rewritten_cells = query(
            incremental.warehouse,
            f"""
            select count(*) filter (where _built_at < built), count(*) filter (where _built_at = built)
            from intermediate.int_{grain}_heatmap_cells_counted,
                (select max(_built_at) as built from intermediate.int_emails_flagged)
            where campaign_id in (select campaign_id from intermediate.int_emails_touched)
        """,
        )[0]
        assert kept_cells > 0 and rewritten_cells > 0, grain

    full = Settings(warehouse=tmp_path / "full" / "warehouse.duckdb")
    for folder in batches:
        load_directory(folder, full.paths)
    outcome = build(full)
    assert outcome.status == "success", outcome.problems
    expected, actual = snapshot(full), snapshot(incremental)
    for name in expected:
        assert actual[name] == expected[name], name
    assert query(full.warehouse, "select sum(emails_sent) from marts.campaign_metrics")[0][0] > 10_000

    # --full-refresh rebuilds everything from raw, to the same numbers.
    outcome = build(incremental, full_refresh=True)
    assert outcome.status == "success", outcome.problems
    assert snapshot(incremental) == expected
