"""The Python asset checks: their rules, and that a wrong number fails the right check and
blocks publishing through the real job."""

from contextlib import contextmanager

import duckdb
import pytest

from campaign_dw.config import DBT_EXECUTABLE, DBT_PROJECT_DIR, paths
from campaign_dw.serving import info, publish
from orchestration.build import run_build
from orchestration.defs.checks import count_violations, mismatches, rate_violations
from orchestration.defs.dbt import WarehouseDbtResource, dbt_project


def metric_row(**overrides):
    row = {
        "campaign_id": "c", "emails_sent": 110, "emails_delivered": 100, "emails_bounced": 10,
        "emails_hard_bounced": 7, "emails_soft_bounced": 3, "emails_opened": 20, "emails_clicked": 5,
        "emails_replied": 3, "emails_unsubscribed": 1, "emails_marked_spam": 1,
        "delivery_rate": 100 / 110, "bounce_rate": 10 / 110, "unsubscribe_rate": 0.01, "spam_rate": 0.01,
        "open_rate": 0.2, "response_rate": 0.03, "click_rate": 0.05, "click_through_rate": 0.25,
    }
    return row | overrides


def test_rate_rule_accepts_the_definition():
    assert rate_violations([metric_row()]) == []
    empty = metric_row(**{k: 0 for k in metric_row() if k.startswith("emails_")}) | {
        k: None for k in metric_row() if k.endswith("_rate")}
    assert rate_violations([empty]) == []


@pytest.mark.parametrize(
    ("overrides", "rate"),
    [
        ({"open_rate": 20 / 110}, "open_rate"),  # over sent instead of delivered
        ({"click_through_rate": 0.05}, "click_through_rate"),  # over delivered instead of opened
        ({"delivery_rate": None}, "delivery_rate"),  # NULL although sent > 0
        ({"emails_opened": 0, "emails_clicked": 0, "click_through_rate": 0.0}, "click_through_rate"),  # 0 instead of NULL
    ],
)
def test_rate_rule_catches_a_wrong_rate(overrides, rate):
    rows = [metric_row(**overrides)]
    if "emails_opened" in overrides:  # keep the other rates consistent with the new counts
        rows[0]["open_rate"] = 0.0
        rows[0]["click_rate"] = 0.0
    assert [v["rate"] for v in rate_violations(rows)] == [rate]


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"open_rate": 1.2}, "rate outside [0, 1]"),
        ({"emails_delivered": 105}, "delivered + bounced > sent"),
        ({"emails_opened": 101}, "opened > delivered"),
        ({"emails_clicked": 21}, "clicked > opened"),
        ({"emails_soft_bounced": 2}, "hard + soft != bounced"),
    ],
)
def test_count_rules(overrides, rule):
    assert count_violations([metric_row()]) == []
    assert [v["broken_rule"] for v in count_violations([metric_row(**overrides)])] == [rule]


def test_mismatches_finds_differences_and_missing_rows():
    expected = {"a": {"n": 1}, "b": {"n": 2}}
    assert mismatches(expected, {"a": {"n": 1}, "b": {"n": 2}}, ["n"]) == []
    found = mismatches(expected, {"a": {"n": 9}, "c": {"n": 0}}, ["n"])
    assert [(f["key"], f["missing_from"]) for f in found] == [("a", None), ("b", "actual"), ("c", "expected")]


class FaultyDbt(WarehouseDbtResource):
    """The real dbt build, followed by a bug: one statement that breaks a mart."""

    corruption: str

    def cli(self, args, **kwargs):
        invocation = super().cli(args, **kwargs)
        corruption = self.corruption

        class Corrupted:
            target_path = invocation.target_path

            def stream(self):
                yield from invocation.stream()
                with duckdb.connect(str(paths().warehouse)) as con:
                    con.execute(corruption)

        return Corrupted()


@contextmanager
def faulty_dbt(sql):
    yield {
        "dbt": FaultyDbt(
            project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE, corruption=sql
        )
    }


def blocking_failures(outcome) -> set[str]:
    """The blocking checks a build reports as failed, as `asset:check`."""
    return {p.removeprefix("blocking check failed: ").split(" ")[0] for p in outcome.problems if p.startswith("blocking")}


@pytest.mark.parametrize(
    ("corruption", "failing_checks"),
    [
        (
            # A wrong rate: open rate over sent instead of delivered.
            "update marts.campaign_metrics set open_rate = emails_opened / emails_sent where campaign_id = 'C1'",
            {"marts/campaign_metrics:rates_match_their_definition"},
        ),
        (
            # A wrong count: one opened email too many, with the rates made to agree with it.
            "update marts.campaign_metrics set emails_opened = emails_opened + 1, "
            "open_rate = (emails_opened + 1) / emails_delivered, "
            "click_through_rate = emails_clicked / (emails_opened + 1) where campaign_id = 'C1'",
            {"marts/campaign_metrics:campaign_equals_sum_of_messages",
             "marts/campaign_metrics:counts_match_a_recount_from_staged_events"},
        ),
        (
            # An open lost in one viewer zone's cells (a wrong local time conversion, say).
            "update intermediate.int_campaign_heatmap_cells_counted set opens = opens + 1 where rowid = "
            "(select min(rowid) from intermediate.int_campaign_heatmap_cells_counted where viewer_timezone = 'UTC')",
            {"marts/campaign_open_heatmap:same_total_in_every_time_zone"},
        ),
        (
            # A raw row counted in no bucket.
            "update audit.raw_row_reconciliation set duplicate_rows = duplicate_rows - 1 "
            "where table_name = 'email_events'",
            {"audit/raw_row_reconciliation:every_raw_row_accounted_for"},
        ),
    ],
)
def test_a_wrong_number_fails_its_check_and_blocks_publishing(sample_copy, corruption, failing_checks):
    publish(sample_copy)  # the last good numbers
    published = sample_copy.serving_database.stat().st_mtime_ns
    with faulty_dbt(corruption) as resources:
        outcome = run_build(sample_copy, resources=resources)
    assert not outcome.success
    failed = blocking_failures(outcome)
    assert failed == failing_checks
    # Serving was not published by this run: BI keeps the last good numbers.
    assert sample_copy.serving_database.stat().st_mtime_ns == published
    assert info(sample_copy)["last_run_status"] == "failure"


def test_rows_loaded_while_the_checks_run_belong_to_the_next_build(sample_copy):
    """A load may take the writer lock between dbt and the checks: its rows are not this
    build's, and the reconciliation check must not count them (it did: a spurious failure)."""
    landed = (
        "insert into raw.email_events (event_id, email_id, event_type, occurred_at, received_at, _row_id) "
        "select 'ARRIVED-LATER', 'E11-012', 'opened', '2026-03-20T10:00:00Z', '2026-03-20T10:00:00Z', "
        "max(_row_id) + 1 from raw.email_events"
    )
    with faulty_dbt(landed) as resources:
        outcome = run_build(sample_copy, resources=resources)
    assert outcome.success, outcome.problems


def test_the_recount_covers_the_campaigns_of_newly_staged_events(sample_copy, tmp_path):
    """After the first build, the recount reads the campaigns the latest build could have
    changed. An event arrives for C2: a C2 count that the models got wrong (the mart and its
    message agreeing with each other) fails the recount."""
    landing = tmp_path / "landing" / "email_events"
    landing.mkdir(parents=True)
    (landing / "late.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "LATE-OPEN,E21-112,opened,2026-03-20T10:00:00Z,2026-03-20T10:05:00Z\n"
    )
    wrong = (
        "update marts.campaign_metrics set emails_replied = emails_replied + 1, "
        "response_rate = (emails_replied + 1) / emails_delivered where campaign_id = 'C2'; "
        "update marts.campaign_message_metrics set emails_replied = emails_replied + 1, "
        "response_rate = (emails_replied + 1) / emails_delivered where message_id = 'M21'"
    )
    with faulty_dbt(wrong) as resources:
        outcome = run_build(sample_copy, landing=landing.parent, resources=resources)
    failed = blocking_failures(outcome)
    assert failed == {"marts/campaign_metrics:counts_match_a_recount_from_staged_events"}
