"""The Python asset checks: their rules, and that a wrong number fails the right check and
blocks publishing through the real job."""

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import build

from campaign_dw.config import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings
from campaign_dw.engine import Engine, engine_for
from campaign_dw.serving import publish
from orchestration.defs import checks
from orchestration.defs.checks import mismatches, rate_violations
from orchestration.defs.dbt import WarehouseDbtResource, dbt_project
from orchestration.defs.resources import WarehouseResource
from orchestration.status import info


def metric_row(**overrides):
    row = {
        "campaign_id": "c",
        "emails_sent": 110,
        "emails_delivered": 100,
        "emails_bounced": 10,
        "emails_hard_bounced": 7,
        "emails_soft_bounced": 3,
        "emails_opened": 20,
        "emails_clicked": 5,
        "emails_replied": 3,
        "emails_unsubscribed": 1,
        "emails_marked_spam": 1,
        "delivery_rate": 100 / 110,
        "bounce_rate": 10 / 110,
        "unsubscribe_rate": 0.01,
        "spam_rate": 0.01,
        "open_rate": 0.2,
        "response_rate": 0.03,
        "click_rate": 0.05,
        "click_through_rate": 0.25,
        "emails_opened_by_people": 14,
        "emails_clicked_by_people": 3,
        "machine_opens": 9,
        "bot_clicks": 4,
        "people_open_rate": 0.14,
        "people_click_rate": 0.03,
        "people_click_through_rate": 3 / 14,
    }
    return row | overrides


def test_rate_rule_accepts_the_definition():
    assert rate_violations([metric_row()]) == []
    empty = metric_row(**{k: 0 for k in metric_row() if k.startswith("emails_")}) | {
        k: None for k in metric_row() if k.endswith("_rate")
    }
    assert rate_violations([empty]) == []


@pytest.mark.parametrize(
    ("overrides", "rate"),
    [
        ({"open_rate": 20 / 110}, "open_rate"),  # over sent instead of delivered
        ({"click_through_rate": 0.05}, "click_through_rate"),  # over delivered instead of opened
        ({"delivery_rate": None}, "delivery_rate"),  # NULL although sent > 0
        (
            {"emails_opened": 0, "emails_clicked": 0, "click_through_rate": 0.0},
            "click_through_rate",
        ),  # 0 instead of NULL
        ({"people_click_through_rate": 3 / 20}, "people_click_through_rate"),  # over all opened, not by people
    ],
)
def test_rate_rule_catches_a_wrong_rate(overrides, rate):
    rows = [metric_row(**overrides)]
    if "emails_opened" in overrides:  # keep the other rates consistent with the new counts
        rows[0]["open_rate"] = 0.0
        rows[0]["click_rate"] = 0.0
    assert [v["rate"] for v in rate_violations(rows)] == [rate]


def test_mismatches_finds_differences_and_missing_rows():
    expected = {"a": {"n": 1}, "b": {"n": 2}}
    assert mismatches(expected, {"a": {"n": 1}, "b": {"n": 2}}, ["n"]) == []
    found = mismatches(expected, {"a": {"n": 9}, "c": {"n": 0}}, ["n"])
    assert [(f["key"], f["missing_from"]) for f in found] == [("a", None), ("b", "actual"), ("c", "expected")]


class FaultyDbt(WarehouseDbtResource):
    """The real dbt build, followed by a bug: one statement that breaks a mart."""

    corruption: str
    warehouse_file: str

    def cli(self, args, **kwargs):
        invocation = super().cli(args, **kwargs)
        corruption, warehouse = self.corruption, self.warehouse_file

        class Corrupted:
            target_path = invocation.target_path

            def stream(self):
                yield from invocation.stream()
                with duckdb.connect(warehouse) as con:
                    con.execute(corruption)

        return Corrupted()


def faulty_dbt(sql: str, settings) -> dict:
    return {
        "dbt": FaultyDbt(
            project_dir=dbt_project(),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
            corruption=sql,
            warehouse_file=str(settings.warehouse),
        )
    }


def blocking_failures(outcome) -> set[str]:
    """The blocking checks a build reports as failed, as `asset:check`."""
    return {
        p.removeprefix("blocking check failed: ").split(": ")[0] for p in outcome.problems if p.startswith("blocking")
    }


CORRUPTIONS = [
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
        {
            "marts/campaign_metrics:campaign_equals_sum_of_messages",
            "marts/campaign_metrics:counts_match_a_recount_from_staged_events",
        },
    ),
    (
        # A wrong count of people, with its rate made to agree with it.
        "update marts.campaign_message_metrics set emails_opened_by_people = emails_opened_by_people - 1, "
        "people_open_rate = (emails_opened_by_people - 1) / emails_delivered, "
        "people_click_through_rate = emails_clicked_by_people / (emails_opened_by_people - 1) where message_id = 'M11'",
        {
            "marts/campaign_metrics:campaign_equals_sum_of_messages",
            "marts/email_counts_daily:days_add_up_to_their_message",
        },
    ),
    (
        # An open lost in one viewer zone's cells (a wrong local time conversion, say).
        "update intermediate.int_campaign_heatmap_cells_counted set opens = opens + 1 where rowid = "
        "(select min(rowid) from intermediate.int_campaign_heatmap_cells_counted where viewer_timezone = 'UTC')",
        {"marts/campaign_open_heatmap:same_total_in_every_time_zone"},
    ),
    (
        # A footer link listed (placement read from the wrong version of the link, say).
        "insert into marts.campaign_message_link_clicks values ('C1', 'M11', 'L3', "
        "'https://acme.example/unsubscribe', 'unsubscribe', 1, 1, 1, 1)",
        {"marts/campaign_message_link_clicks:no_footer_link_listed"},
    ),
    (
        # A day's count lost between the message counts and the BI tools' fact.
        "update marts.email_counts_daily set emails_opened = emails_opened - 1 where rowid = "
        "(select min(rowid) from marts.email_counts_daily where emails_opened > 0)",
        {
            "marts/email_counts_daily:days_add_up_to_their_message",
            "marts/metrics_rollup:rollup_equals_the_semantic_layer",
        },
    ),
    (
        # The English open rate as an average of the campaigns' rates, with the count unchanged
        # (the rate and the semantic layer both disagree with it).
        "update marts.metrics_rollup set open_rate = (31 / 150 + 1 / 2) / 2 where grain = 'language' and language = 'en'",
        {"marts/metrics_rollup:rates_match_their_definition", "marts/metrics_rollup:rollup_equals_the_semantic_layer"},
    ),
    (
        # A rollup group gone (a grain computed from fewer rows).
        "delete from marts.metrics_rollup where grain = 'owner_month' and owner_user_id = 'U2'",
        {"marts/metrics_rollup:rollup_equals_the_semantic_layer"},
    ),
]


def failing_checks(settings) -> set[str]:
    """Every check of a build, evaluated on the warehouse as it is: those that fail."""
    from orchestration.defs.checks import BUILD_CHECKS
    from orchestration.defs.resources import WarehouseResource

    warehouse = WarehouseResource.from_settings(settings)
    failed = set()
    for check in BUILD_CHECKS:
        (spec,) = check.check_specs
        if not check(warehouse=warehouse).passed:
            failed.add(f"{spec.asset_key.to_user_string()}:{spec.name}")
    return failed


def test_the_sample_as_built_passes_every_check(sample_warehouse):
    assert failing_checks(sample_warehouse) == set()


@pytest.mark.parametrize(("corruption", "expected"), CORRUPTIONS)
def test_a_wrong_number_fails_the_check_that_guards_against_it(sample_copy, corruption, expected):
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(corruption)
    assert failing_checks(sample_copy) == expected


@pytest.mark.slow
def test_a_failing_check_blocks_publishing(sample_copy):
    """Through the real job: dbt builds, a bug breaks a rate, its check fails, serving keeps
    the last good numbers and the run's cause names the check."""
    corruption, expected = CORRUPTIONS[0]
    publish(sample_copy)  # the last good numbers
    published = sample_copy.paths.serving_database.stat().st_mtime_ns
    outcome = build(sample_copy, resources=faulty_dbt(corruption, sample_copy))
    assert outcome.status == "failure"
    assert blocking_failures(outcome) == expected
    assert outcome.cause.startswith("blocking check failed: marts/campaign_metrics:rates_match_their_definition")
    # Serving was not published by this run: BI keeps the last good numbers.
    assert sample_copy.paths.serving_database.stat().st_mtime_ns == published
    status = info(sample_copy.paths)
    assert status["last_run_status"] == "failure" and not status["serving_is_current"]
    assert status["last_run"]["cause"] == outcome.cause


def test_the_recount_in_buckets_adds_up_to_the_marts(sample_copy, monkeypatch):
    """A large warehouse is recounted bucket by bucket of emails: the buckets' counts add up
    to every message's and campaign's, and a wrong count is still found."""
    warehouse = WarehouseResource.from_settings(sample_copy)
    assert checks.email_buckets(warehouse) == 1
    _, checked_at_once = checks.recount_mismatches(warehouse, None)

    monkeypatch.setattr(checks, "EMAILS_PER_RECOUNT_QUERY", 7)
    assert checks.email_buckets(warehouse) > 10
    assert checks.recount_mismatches(warehouse, None) == ([], checked_at_once)

    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(
            "update marts.campaign_message_metrics set emails_clicked = emails_clicked + 1 where message_id = 'M11'"
        )
    bad, _ = checks.recount_mismatches(warehouse, None)
    assert [(row["key"], list(row["differences"])) for row in bad] == [("('C1', 'M11')", ["emails_clicked"])]

    # After a full build (every campaign recomputed) the recount reads every campaign;
    # otherwise it reads the scope the build recomputed, int_campaigns_touched, looked up once.
    assert checks.changed_campaigns(warehouse) is None
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute("delete from intermediate.int_campaigns_touched where campaign_id in ('C2', 'C4')")
    assert checks.changed_campaigns(warehouse) == ["C1", "C3"]

    # A scope of some campaigns recounts theirs only, messages and campaigns (C1 is the wrong
    # one); none, nothing.
    def rows_of(campaigns: str) -> int:
        with duckdb.connect(str(sample_copy.warehouse), read_only=True) as con:
            return con.execute(
                "select count(*) + count(distinct campaign_id) from marts.campaign_message_metrics "
                f"where emails_sent > 0 and campaign_id in ({campaigns})"
            ).fetchone()[0]

    bad, checked = checks.recount_mismatches(warehouse, ["C1"])
    assert [row["key"] for row in bad] == ["('C1', 'M11')"] and checked == rows_of("'C1'")
    assert checks.recount_mismatches(warehouse, ["C2", "C4"]) == ([], rows_of("'C2', 'C4'"))
    assert rows_of("'C2', 'C4'") < rows_of("'C1', 'C2', 'C4'")
    assert checks.recount_mismatches(warehouse, []) == ([], 0)


def execute(settings: Settings, statement: str, *parameters) -> None:
    """One statement on a test's private copy of a warehouse (a state the test stands in)."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(statement, list(parameters))


def test_after_an_incremental_build_the_recount_reads_what_may_have_changed(sample_copy):
    """Of a campaign the latest build did not recount whole, the emails whose flags a passing
    recount already read and that have no send or event since the last completed build are
    counted from their flags; every other email is recounted from its events (new flags, a
    new event, a campaign recounted whole). Together they must equal the marts. Only a
    passing recount moves the mark up to which flags are trusted."""
    warehouse = WarehouseResource.from_settings(sample_copy)
    mark = sample_copy.paths.recount_mark

    def recounted_through() -> datetime:
        return datetime.fromisoformat(json.loads(mark.read_text())["flags_recounted_through"])

    assert not mark.exists()  # a copy: what was recounted is not known, every email is read
    # The sample's full build recounted every email: a passing recount of every campaign sets the mark.
    checks.advance_recount_mark(warehouse, None)
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        (newest,) = con.execute("select max(_built_at) from intermediate.int_emails_flagged").fetchone()
        # The state the next build starts from: a completed build through the rows loaded so far;
        # C1 touched, not recounted whole.
        con.execute(
            "update intermediate.build_state set last_completed_build = (select json_object("
            "'sends_through', (select max(_row_id) from intermediate.int_email_sends_deduplicated), "
            "'events_through', (select max(_row_id) from intermediate.int_email_events_deduplicated)))"
        )
        con.execute("delete from intermediate.int_campaigns_touched where campaign_id <> 'C1'")
        con.execute("update intermediate.int_campaigns_touched set whole_campaign = false")
        opened = [
            row[0]
            for row in con.execute(
                "select email_id from intermediate.int_emails_flagged "
                "where campaign_id = 'C1' and was_opened and not was_clicked order by email_id limit 3"
            ).fetchall()
        ]
    assert recounted_through() == newest
    assert checks.changed_campaigns(warehouse) == ["C1"]
    bad, checked = checks.recount_mismatches(warehouse, ["C1"])
    assert bad == [] and checked > 1

    def opens_not_recounted() -> int:
        """C1's opened emails in the marts that the recount does not find."""
        rows = [row for row in checks.recount_mismatches(warehouse, ["C1"])[0] if row["key"] == "C1"]
        opened = rows[0]["differences"].get("emails_opened") if rows else None
        return opened["actual"] - opened["expected"] if opened else 0

    # A kept email's events are not read again: its recounted flags stand for them ...
    execute(sample_copy, "delete from intermediate.int_email_events_deduplicated where email_id = ?", opened[0])
    assert opens_not_recounted() == 0
    # ... flags written after the mark are recounted (without its events: no open) ...
    execute(
        sample_copy,
        "update intermediate.int_emails_flagged set _built_at = _built_at + interval 1 hour where email_id = ?",
        opened[0],
    )
    assert opens_not_recounted() == 1
    # ... so is an email with a new event since the last completed build, from all its events ...
    execute(
        sample_copy,
        "insert into intermediate.int_email_events_deduplicated select * replace (event_id || '-late' as event_id, "
        "'replied' as event_type, _row_id + 1000000 as _row_id) from intermediate.int_email_events_deduplicated "
        "where email_id = ? limit 1",
        opened[1],
    )
    execute(
        sample_copy,
        "delete from intermediate.int_email_events_deduplicated where email_id = ? and event_type = 'opened'",
        opened[1],
    )
    assert opens_not_recounted() == 2
    # ... an email the models left without flags still counts as sent (the marts do not) ...
    unflagged = (
        "intermediate.int_email_sends_deduplicated select * replace (email_id || '-unflagged' as email_id, "
        "-1 as _row_id) from intermediate.int_email_sends_deduplicated where email_id = ?"
    )
    execute(sample_copy, f"insert into {unflagged}", opened[0])
    (campaign,) = [row for row in checks.recount_mismatches(warehouse, ["C1"])[0] if row["key"] == "C1"]
    assert campaign["differences"]["emails_sent"]["expected"] == campaign["differences"]["emails_sent"]["actual"] + 1
    execute(sample_copy, "delete from intermediate.int_email_sends_deduplicated where _row_id = -1")
    # ... and every email of a campaign recounted whole.
    execute(sample_copy, "delete from intermediate.int_email_events_deduplicated where email_id = ?", opened[2])
    assert opens_not_recounted() == 2
    execute(sample_copy, "update intermediate.int_campaigns_touched set whole_campaign = true")
    assert opens_not_recounted() == 3

    # A failing recount leaves the mark as it was: the next one reads those flags again.
    result = checks.counts_match_recount(warehouse)
    assert not result.passed and recounted_through() == newest
    # A passing one moves it, unless flags newer than the mark lie outside what it read.
    execute(
        sample_copy,
        "update intermediate.int_emails_flagged set _built_at = _built_at + interval 1 hour where campaign_id = 'C2'",
    )
    checks.advance_recount_mark(warehouse, ["C1"])
    assert recounted_through() == newest
    checks.advance_recount_mark(warehouse, ["C1", "C2"])
    assert recounted_through() > newest


def test_the_recount_mark_is_trusted_only_beside_the_warehouse_it_was_written_for(sample_copy):
    """The mark names the newest completed build when it was written. Later builds keep it
    trusted; beside an older DuckDB file restored without that build, or as an earlier
    version wrote it, it is not (every email of the campaigns is recounted)."""
    warehouse = WarehouseResource.from_settings(sample_copy)
    mark = sample_copy.paths.recount_mark
    checks.advance_recount_mark(warehouse, None)
    named = json.loads(mark.read_text())["completed_build"]
    assert named == checks.newest_completed_build(warehouse) and checks.flags_recounted_through(warehouse)

    execute(
        sample_copy,
        "insert into intermediate.completed_builds select * replace (built_at + interval 1 hour as built_at) "
        "from intermediate.completed_builds order by built_at desc limit 1",
    )
    assert checks.flags_recounted_through(warehouse) is not None  # a later build
    execute(sample_copy, f"delete from intermediate.completed_builds where cast(built_at as varchar) = '{named}'")
    assert checks.flags_recounted_through(warehouse) is None  # a file without the mark's build
    assert checks.recounted_emails(warehouse, ["C1"]) is None
    # As an earlier version wrote it (no build named), beside the warehouse it was written for.
    execute(
        sample_copy,
        "insert into intermediate.completed_builds select * replace (cast('" + named + "' as timestamp) as built_at) "
        "from intermediate.completed_builds limit 1",
    )
    assert checks.flags_recounted_through(warehouse) is not None
    mark.write_text(json.dumps({"flags_recounted_through": json.loads(mark.read_text())["flags_recounted_through"]}))
    assert checks.flags_recounted_through(warehouse) is None  # an earlier version's mark


def engine(target: str) -> Engine:
    """The engine of a target, for its SQL literals (nothing is queried)."""
    return engine_for(Settings(warehouse=Path("unused.duckdb"), target=target))


class CampaignsFound:
    """A warehouse where the latest build left a campaign untouched and changed `campaigns`."""

    def __init__(self, target: str, campaigns: list[str]):
        self.engine, self.campaigns = engine(target), campaigns

    def query(self, sql: str) -> list[dict]:
        if "int_campaigns_current" in sql:
            return [{"campaigns": 1}]
        return [{"campaign_id": c} for c in self.campaigns]


def test_the_recount_names_changed_campaigns_only_when_that_is_safe(monkeypatch):
    """Named as literals when plain, or on DuckDB (which has one quoting rule); otherwise, and
    beyond MAX_NAMED_CAMPAIGNS, every campaign is recounted (a superset: the same verdict)."""
    assert checks.changed_campaigns(CampaignsFound("duckdb", ["C2", "it's", "C1"])) == ["C1", "C2", "it's"]
    assert checks.changed_campaigns(CampaignsFound("spark", ["C2", "camp-1/x.y"])) == ["C2", "camp-1/x.y"]
    assert checks.changed_campaigns(CampaignsFound("spark", ["C2", "it's"])) is None
    assert checks.changed_campaigns(CampaignsFound("spark", ["${env:HOME}"])) is None
    monkeypatch.setattr(checks, "MAX_NAMED_CAMPAIGNS", 2)
    assert checks.changed_campaigns(CampaignsFound("duckdb", ["C1", "C2", "C3"])) is None


def test_the_checks_name_the_warehouse_relations_through_the_engine(monkeypatch):
    """On Spark one metastore may hold several warehouses: each one's schemas carry its prefix,
    the warehouse file's name or CAMPAIGN_DW_SPARK_SCHEMA_PREFIX, and every query of the
    checks names its tables through the engine. On DuckDB the names stay as they are."""
    monkeypatch.delenv("CAMPAIGN_DW_SPARK_SCHEMA_PREFIX", raising=False)
    on_duckdb = engine("duckdb")
    on_spark = engine_for(Settings(warehouse=Path("/data/Acme Prod.duckdb"), target="spark"))
    assert on_duckdb.relation("marts.campaign_metrics") == "marts.campaign_metrics" and on_duckdb.dbt_vars() == {}
    assert on_spark.relation("marts.campaign_metrics") == "acme_prod_marts.campaign_metrics"
    assert on_spark.dbt_vars()["spark_schema_prefix"] == "acme_prod"
    assert checks.recount_sql("true", relation=on_duckdb.relation) == checks.recount_sql("true")
    # Spark rewrites whole partitions of campaigns: its recount reads every email of them.
    assert on_duckdb.counts_recounted_flags and not on_spark.counts_recounted_flags
    spark_sql = checks.recount_sql("true", relation=on_spark.relation)
    assert "acme_prod_intermediate.int_email_sends_deduplicated" in spark_sql
    assert " intermediate." not in spark_sql
    monkeypatch.setenv("CAMPAIGN_DW_SPARK_SCHEMA_PREFIX", "team_b")
    assert on_spark.relation("audit.raw_row_reconciliation") == "team_b_audit.raw_row_reconciliation"
    monkeypatch.setenv("CAMPAIGN_DW_SPARK_SCHEMA_PREFIX", "Team-B")
    with pytest.raises(RuntimeError, match="CAMPAIGN_DW_SPARK_SCHEMA_PREFIX='Team-B': use lower-case letters"):
        on_spark.relation("marts.campaign_metrics")


def test_campaigns_are_quoted_for_the_engine():
    """The recount names its campaigns as literals: an id with a quote stays one id."""
    assert checks.in_campaigns(None, engine("duckdb")) == "true"
    assert checks.in_campaigns([], engine("spark")) == "false"
    assert checks.in_campaigns(["C1", "it's"], engine("duckdb")) == "campaign_id in ('C1', 'it''s')"
    assert (
        checks.in_campaigns(["it's", "a\\b"], engine("spark"), "s.campaign_id")
        == "s.campaign_id in ('it\\'s', 'a\\\\b')"
    )
    in_scope = checks.in_campaigns(["C1", "it's"], engine("duckdb"))
    matched = duckdb.sql(
        f"select campaign_id from (values ('it''s'), ('its'), ('C1')) as t(campaign_id) where {in_scope} order by 1"
    ).fetchall()
    assert matched == [("C1",), ("it's",)]


@pytest.mark.slow
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
    settings = sample_copy.with_(landing=landing.parent)
    outcome = build(settings, resources=faulty_dbt(wrong, settings))
    # (the message's days, left as they were, no longer add up to it either)
    assert blocking_failures(outcome) == {
        "marts/campaign_metrics:counts_match_a_recount_from_staged_events",
        "marts/email_counts_daily:days_add_up_to_their_message",
    }


@pytest.mark.slow
def test_the_drift_alarm_finds_a_wrong_count_that_no_build_looks_at_again(sample_copy, tmp_path):
    """A campaign's kept counts gone wrong (what an incremental bug would leave behind), in a
    campaign no later build touches: the marts agree with them and with each other, the
    builds' recount does not read the campaign, the weekly drift job recounts every campaign
    and fails, naming it."""
    from orchestration.build import run_job

    clean, _ = run_job(sample_copy, "drift_job")
    assert clean.status == "success", clean.problems
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(
            "update intermediate.int_message_emails_counted set emails_opened = emails_opened + 1 "
            "where message_id = 'M41'"
        )
    # A late event of C1 arrives: C4 is not touched, not recounted; the marts are rebuilt
    # from the kept counts.
    landing = tmp_path / "landing" / "email_events"
    landing.mkdir(parents=True)
    (landing / "late.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "LATE-REPLY,E11-060,replied,2026-03-20T10:00:00Z,2026-03-20T10:05:00Z\n"
    )
    assert build(sample_copy.with_(landing=landing.parent)).status == "success"
    drift, _ = run_job(sample_copy, "drift_job")
    assert drift.status == "failure"
    assert drift.cause.startswith("step recount_every_campaign failed: drift: 2 of ")
    assert "repairs the marts" in drift.cause


def test_rollup_rule_finds_a_wrong_rate_a_wrong_count_and_a_missing_group():
    from orchestration.defs.checks import rollup_mismatches

    def row(grain, language, sent, delivered, opened):
        return {
            "grain": grain,
            "campaign_id": None,
            "language": language,
            "owner_user_id": None,
            "send_month": None,
            "emails_sent": sent,
            "emails_delivered": delivered,
            "emails_opened": opened,
            "open_rate": opened / delivered if delivered else None,
        }

    semantic = [
        row("language", "en", 162, 152, 31),
        row("language", None, 5, 0, 0),
        # MetricFlow's overall row of an empty fact: NULL sums, no group
        {**row("overall", None, 0, 0, 0), "emails_sent": None},
    ]
    counts, rates = ("emails_sent", "emails_delivered", "emails_opened"), ("open_rate",)
    assert rollup_mismatches(semantic[:2], semantic, counts, rates) == []
    averaged = [{**semantic[0], "open_rate": 0.35}, semantic[1]]
    assert [b["rate"] for b in rollup_mismatches(averaged, semantic, counts, rates)] == ["open_rate"]
    zero_not_null = [semantic[0], {**semantic[1], "open_rate": 0.0}]
    assert len(rollup_mismatches(zero_not_null, semantic, counts, rates)) == 1
    assert rollup_mismatches([semantic[0]], semantic, counts, rates)[0]["missing_from"] == "actual"
    recounted = [{**semantic[0], "emails_opened": 30}, semantic[1]]
    assert "emails_opened" in rollup_mismatches(recounted, semantic, counts, rates)[0]["differences"]


def test_clicks_without_a_link_count_by_their_url_in_the_models_and_the_recount(sample_copy, tmp_path):
    """SPEC §2: an email service's click carries a url, no link_id. On M11's footer url
    (L3, unsubscribe) it is not a click and no open; on a body url (L5) it is, and it is listed
    under that link. The build's recount, which resolves the url independently, agrees."""
    landing = tmp_path / "landing" / "email_events"
    landing.mkdir(parents=True)
    (landing / "provider_clicks.csv").write_text(
        "event_id,email_id,event_type,occurred_at,link_id,url,received_at\n"
        "URL-FOOTER,E11-011,clicked,2026-03-20T10:00:00Z,,https://acme.example/unsubscribe,2026-03-20T10:05:00Z\n"
        "URL-BODY,E11-012,clicked,2026-03-20T10:00:00Z,,https://acme.example/apply,2026-03-20T10:05:00Z\n"
    )

    def m11() -> tuple:
        with duckdb.connect(str(sample_copy.warehouse), read_only=True) as con:
            counts = con.execute(
                "select emails_clicked, emails_opened from marts.campaign_message_metrics where message_id = 'M11'"
            ).fetchone()
            links = dict(
                con.execute(
                    "select link_id, total_clicks from marts.campaign_message_link_clicks where message_id = 'M11'"
                ).fetchall()
            )
        return counts, links

    (clicked, opened), links = m11()
    outcome = build(sample_copy.with_(landing=landing.parent))
    assert outcome.status == "success", outcome.problems
    (clicked_after, opened_after), links_after = m11()
    assert (clicked_after, opened_after) == (clicked + 1, opened)
    assert links_after == {**links, "L5": links["L5"] + 1} and "L3" not in links_after
