"""Loading in batches with incremental builds gives the marts of one full build over all
batches: late events, duplicates across loads, orphans whose send arrives later, sends
whose message arrives later, and dimension updates included."""

import pytest
from conftest import generated_batches, query

from campaign_dw import config
from campaign_dw.loader import load_directory
from campaign_dw.serving import MART_TABLES
from orchestration.build import run_build


def snapshot(paths):
    tables = {f"marts.{t}": f"select * from marts.{t} order by all" for t in MART_TABLES}
    tables["audit.raw_row_reconciliation"] = "select * from audit.raw_row_reconciliation order by all"
    tables["audit.rejected_rows"] = (
        "select table_name, record_key, rejection_reason, source_file, source_row from audit.rejected_rows order by all"
    )
    return {name: query(paths.warehouse, sql) for name, sql in tables.items()}


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


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    dirs = generated_batches(tmp_path_factory.mktemp("batches"), count=3, events=40_000, seed=11)
    late_message_files(*dirs)
    return dirs


def test_incremental_batches_equal_one_full_build(batches, tmp_path):
    incremental = config.paths(tmp_path / "incremental" / "warehouse.duckdb")
    waiting_sql = "select waiting_rows from audit.raw_row_reconciliation where table_name = 'email_sends'"
    late_sql = "select emails_sent from marts.campaign_message_metrics where message_id = 'C000001-M9'"
    for number, folder in enumerate(batches):
        outcome = run_build(incremental, landing=folder)
        assert outcome.success, outcome.problems
        if number == 0:  # the sends of the message that has not arrived wait
            assert query(incremental.warehouse, waiting_sql) == [(2,)]
        if number == 1:  # it arrived: they are counted
            assert query(incremental.warehouse, waiting_sql) == [(0,)]
            assert query(incremental.warehouse, late_sql) == [(2,)]
    # The message moved to another campaign: its sends (of the old campaign) wait again.
    assert query(incremental.warehouse, waiting_sql) == [(2,)]
    assert query(incremental.warehouse, late_sql) == [(0,)]

    full = config.paths(tmp_path / "full" / "warehouse.duckdb")
    for folder in batches:
        load_directory(folder, full)
    outcome = run_build(full, landing=batches[-1])
    assert outcome.success, outcome.problems

    expected = snapshot(full)
    actual = snapshot(incremental)
    for name in expected:
        assert actual[name] == expected[name], name
    assert query(full.warehouse, "select sum(emails_sent) from marts.campaign_metrics")[0][0] > 10_000

    # --full-refresh rebuilds everything from raw, to the same numbers.
    outcome = run_build(incremental, landing=batches[-1], full_refresh=True)
    assert outcome.success, outcome.problems
    assert snapshot(incremental)["marts.campaign_metrics"] == expected["marts.campaign_metrics"]
