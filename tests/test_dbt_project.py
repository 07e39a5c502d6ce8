"""The dbt project itself: documented, contracted, unit-tested, docs and freshness runnable."""

import json
import os
import subprocess

import duckdb
import pytest
from conftest import build, query

from campaign_dw.config import DBT_EXECUTABLE, DBT_PROJECT_DIR
from campaign_dw.serving import MART_TABLES


@pytest.fixture(scope="module")
def manifest():
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def models(manifest, schema):
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == schema}


def test_marts_are_the_spec_tables_with_contracts_and_documentation(manifest):
    marts = models(manifest, "marts")
    assert set(marts) == set(MART_TABLES)
    for name, node in marts.items():
        assert node["config"]["contract"]["enforced"], name
        assert node["description"].strip(), name
        for column, spec in node["columns"].items():
            assert spec["description"].strip(), (name, column)
            assert spec["data_type"], (name, column)


def test_each_definition_has_a_unit_test(manifest):
    unit_tests = {n["name"]: n["model"] for n in manifest["unit_tests"].values()}
    assert unit_tests == {
        # staging: typing and quarantine
        "bad_event_rows_are_rejected_with_a_reason": "stg_recruiting__email_events",
        "timestamps_must_be_iso_8601_on_every_engine": "stg_recruiting__email_events",
        "email_service_events_not_counted_or_without_email_id_say_so": "stg_recruiting__email_events",
        "dimension_rows_without_a_parsable_updated_at_are_rejected": "stg_recruiting__campaigns",
        "integers_that_do_not_parse_are_rejected": "stg_recruiting__campaign_messages",
        # versions and copies
        "dimension_rows_keep_their_latest_version": "int_campaigns_current",
        "unknown_or_missing_viewer_time_zones_fall_back_to_utc": "int_users_current",
        "events_delivered_twice_count_once": "int_email_events_deduplicated",
        "events_delivered_again_in_a_later_load_count_once": "int_email_events_deduplicated",
        "clicks_without_a_link_take_the_link_of_their_message_by_url": "int_email_events_joined_to_sends",
        # what a build recomputes
        "touched_campaigns_are_those_whose_inputs_changed": "int_campaigns_touched",
        "every_campaign_is_touched_when_the_viewer_zones_change": "int_campaigns_touched",
        "a_campaign_touched_for_several_reasons_is_listed_once_under_the_first": "int_campaigns_touched",
        "every_campaign_is_touched_on_the_first_build": "int_campaigns_touched",
        "a_new_campaign_version_recounts_its_emails_only_when_they_count_differently": "int_campaigns_touched",
        "a_new_event_touches_its_email_and_its_prospects_other_emails_of_the_message": "int_emails_touched",
        # SPEC §3, §4
        "email_flags_follow_spec_3": "int_emails_flagged",
        # SPEC §3b
        "machine_opens_by_provider_flag_or_apple_proxy_user_agent": "int_email_events_classified",
        "bot_clicks_by_user_agent_or_too_soon_after_sending": "int_email_events_classified",
        "bot_clicks_in_a_burst_on_three_links": "int_click_bursts",
        "email_flags_for_people": "int_emails_flagged",
        "an_incremental_build_recounts_whole_campaigns_and_touched_emails": "int_emails_flagged",
        "rates_for_people_are_over_delivered_and_opened_by_people": "campaign_message_metrics",
        "message_counts_count_the_email_flags": "int_message_emails_counted",
        "seed_example_open_rate_is_over_delivered_not_sent": "campaign_message_metrics",
        "campaign_rates_are_ratios_of_summed_counts": "campaign_metrics",
        "audiences_count_current_memberships": "int_audiences_counted",
        # SPEC §5
        "clicks_are_kept_per_prospect_link_and_url_of_counted_emails": "int_link_clicks_per_prospect",
        "link_clicks_total_vs_unique": "campaign_message_link_clicks",
        "campaign_link_clicks_add_up_messages_by_url": "campaign_link_clicks",
        "open_tracking_history_rule": "int_opens_tracked",
        "opens_are_localized_per_event_across_dst_and_odd_offsets": "int_quarter_hours_localized",
        "heatmap_counts_opens_and_unique_prospects_per_cell": "int_campaign_heatmap_cells_counted",
        "heatmap_cells_kept_by_difference": "int_campaign_heatmap_cells_counted",
        # SPEC §8
        "rollup_rates_are_ratios_of_sums_at_every_grain": "metrics_rollup",
        "rollup_of_no_emails_has_no_rows": "metrics_rollup",
        "daily_counts_add_campaign_attributes_and_keep_counts": "email_counts_daily",
    }


def test_exposures_cover_every_mart(manifest):
    exposures = manifest["exposures"].values()
    assert len(exposures) == 7
    used = {dep.split(".")[-1] for e in exposures for dep in e["depends_on"]["nodes"]}
    assert used == set(MART_TABLES)


def test_tracking_dates_are_vars_with_the_spec_defaults():
    project = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert 'first_opens_tracked_since: "2025-08-07"' in project
    assert 'all_opens_tracked_since: "2026-04-20"' in project


def dbt(*args, warehouse):
    """dbt run by hand, as an engineer would: the warehouse from the environment."""
    env = {**os.environ, "CAMPAIGN_DW_WAREHOUSE": str(warehouse)}
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            "target-tests",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=DBT_PROJECT_DIR,
        timeout=600,
    )


@pytest.mark.slow
def test_docs_generate_and_source_freshness_run(sample_copy):
    docs = dbt("docs", "generate", warehouse=sample_copy.warehouse)
    assert docs.returncode == 0, docs.stdout[-2000:]
    catalog = json.loads((DBT_PROJECT_DIR / "target-tests" / "catalog.json").read_text())
    assert {n.split(".")[-1] for n in catalog["nodes"]} >= set(MART_TABLES)
    freshness = dbt("source", "freshness", warehouse=sample_copy.warehouse)
    # Freshness is when rows arrived: the sample was just loaded. Only the feeds have a
    # threshold (sends, events); it warns, never fails.
    assert freshness.returncode == 0, freshness.stdout[-2000:]
    assert "PASS freshness of recruiting.email_events" in freshness.stdout
    assert "freshness of recruiting.campaigns" not in freshness.stdout


def test_unit_tests_pass(sample_copy, manifest):
    """Production builds leave the unit tests out (they test definitions, not data): here they
    all run, on the sample's tables (dbt reads the input column types from them)."""
    result = dbt("test", "--select", "test_type:unit", warehouse=sample_copy.warehouse)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((DBT_PROJECT_DIR / "target-tests" / "run_results.json").read_text())["results"]
    ran = {r["unique_id"] for r in results if r["status"] == "pass"}
    assert ran == set(manifest["unit_tests"]), set(manifest["unit_tests"]) - ran


def test_a_var_cannot_inject_sql(sample_copy):
    bad = dbt(
        "compile",
        "--select",
        "int_opens_tracked",
        "--vars",
        '{first_opens_tracked_since: "2025-01-01\' or 1=1 --"}',
        warehouse=sample_copy.warehouse,
    )
    assert bad.returncode != 0
    assert "must be a date YYYY-MM-DD" in bad.stdout


@pytest.mark.slow
def test_models_run_alone_read_the_state_as_it_is_now(sample_copy):
    """A run that does not build build_state (an asset materialized alone, `dbt run -s`) must
    not read the kept row of an earlier build: after a build that appended prospects and
    rejects, running those models alone twice appends nothing again."""

    def counts():
        with duckdb.connect(str(sample_copy.warehouse), read_only=True) as con:
            return con.execute(
                "select (select count(*) from staging.stg_recruiting__prospects), "
                "(select count(*) from audit.rejected_rows)"
            ).fetchone()

    before = counts()
    for _ in range(2):
        alone = dbt("run", "--select", "stg_recruiting__prospects", "rejected_rows", warehouse=sample_copy.warehouse)
        assert alone.returncode == 0, alone.stdout[-2000:]
    assert counts() == before


@pytest.mark.slow
def test_only_a_run_of_a_per_campaign_model_counts_as_unfinished(sample_copy):
    """A run of the marts alone (an asset page's Materialize) cannot leave the per-campaign
    tables half-done: it is not recorded as started, and the next build's state has no
    unfinished run (the heatmap cells are kept by difference). A run of a per-campaign model
    alone is recorded, and counts as one."""

    def unfinished_runs() -> int:
        state = dbt("run", "--select", "build_state", warehouse=sample_copy.warehouse)
        assert state.returncode == 0, state.stdout[-2000:]
        with duckdb.connect(str(sample_copy.warehouse), read_only=True) as con:
            return con.execute("select unfinished_runs from intermediate.build_state").fetchone()[0]

    assert unfinished_runs() == 0  # the sample's build completed
    marts = dbt("run", "--select", "campaign_metrics", "campaign_open_heatmap", warehouse=sample_copy.warehouse)
    assert marts.returncode == 0, marts.stdout[-2000:]
    assert unfinished_runs() == 0
    opens = dbt("run", "--select", "int_opens_tracked", warehouse=sample_copy.warehouse)
    assert opens.returncode == 0, opens.stdout[-2000:]
    assert unfinished_runs() == 1


@pytest.mark.slow
def test_key_tests_catch_a_latest_build_repeating_an_older_key(sample_copy):
    """unique_in_latest_build checks the rows of the table's latest build against all rows: a
    key the latest build wrote again fails it; the same test on the table as built passes; in
    a build that wrote no rows it checks nothing (an empty query, not a join of the table)."""
    select = ["--select", "int_email_events_deduplicated,test_name:unique_in_latest_build"]
    assert dbt("test", *select, warehouse=sample_copy.warehouse).returncode == 0
    nothing_new = dbt("build", *select, warehouse=sample_copy.warehouse)
    assert nothing_new.returncode == 0, nothing_new.stdout[-2000:]
    [compiled] = (DBT_PROJECT_DIR / "target-tests" / "compiled").rglob(
        "unique_in_latest_build_int_email_events_deduplicated_event_id*.sql"
    )
    assert compiled.read_text().strip().endswith("where false"), compiled.read_text()
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        # A later build appends a copy of an event staged long ago (what a broken
        # de-duplication would do).
        con.execute(
            "insert into intermediate.int_email_events_deduplicated select * replace "
            "(_built_at + interval 1 hour as _built_at) from intermediate.int_email_events_deduplicated "
            "order by _row_id limit 1"
        )
    failed = dbt("test", *select, warehouse=sample_copy.warehouse)
    assert failed.returncode != 0
    assert "FAIL 1 unique_in_latest_build_int_email_events_deduplicated_event_id" in failed.stdout, failed.stdout[
        -2000:
    ]

    # A later build that wrote new keys once each passes on its counts alone (nothing to
    # list: an empty query); one that wrote a new key twice fails.
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(
            "delete from intermediate.int_email_events_deduplicated where _built_at > (select min(_built_at) from intermediate.int_email_events_deduplicated)"
        )
        new_event = (
            "insert into intermediate.int_email_events_deduplicated select * replace ('{id}' as event_id, "
            "_built_at + interval 2 hour as _built_at) from intermediate.int_email_events_deduplicated "
            "order by _row_id limit 1"
        )
        con.execute(new_event.format(id="new-1"))
        con.execute(new_event.format(id="new-2"))
    assert dbt("test", *select, warehouse=sample_copy.warehouse).returncode == 0
    assert compiled.read_text().strip().endswith("where false"), compiled.read_text()
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(new_event.format(id="new-2"))
    failed = dbt("test", *select, warehouse=sample_copy.warehouse)
    assert "FAIL 1 unique_in_latest_build_int_email_events_deduplicated_event_id" in failed.stdout, failed.stdout[
        -2000:
    ]


@pytest.mark.slow
def test_the_heatmap_cells_tests_catch_a_latest_build_breaking_them(sample_copy):
    """The tests of the message heatmap cells on their whole key (five columns, filtered on
    the campaign first): a latest build that changed a cell's opens breaks adds_up_to; one
    that wrote an older cell's key again breaks unique_in_latest_build."""
    select = ["--select", "int_message_heatmap_cells_counted,test_type:data"]
    unique = "unique_in_latest_build_int_message_heatmap_cells_counted"
    adds_up = "int_message_heatmap_cells_add_up_to_the_campaign_cells"
    assert dbt("test", *select, warehouse=sample_copy.warehouse).returncode == 0
    cells = "intermediate.int_message_heatmap_cells_counted"
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        key = con.execute(
            f"select campaign_id, message_id, viewer_timezone, day_of_week, hour_of_day from {cells} "
            "order by all desc limit 1"
        ).fetchone()
        one_cell = "campaign_id = ? and message_id = ? and viewer_timezone = ? and day_of_week = ? and hour_of_day = ?"
        con.execute(
            f"update {cells} set opens = opens + 1, _built_at = _built_at + interval 1 hour where {one_cell}", key
        )
    failed = dbt("test", *select, warehouse=sample_copy.warehouse)
    assert f"FAIL 1 {adds_up}" in failed.stdout, failed.stdout[-2000:]
    assert f"PASS {unique}" in failed.stdout, failed.stdout[-2000:]

    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute(
            f"update {cells} set opens = opens - 1, _built_at = _built_at - interval 1 hour where {one_cell}", key
        )
        con.execute(
            f"insert into {cells} select * replace (0 as opens, 0 as opens_by_people, "
            f"_built_at + interval 1 hour as _built_at) from {cells} where {one_cell}",
            key,
        )
    failed = dbt("test", *select, warehouse=sample_copy.warehouse)
    assert f"FAIL 1 {unique}" in failed.stdout, failed.stdout[-2000:]
    assert f"PASS {adds_up}" in failed.stdout, failed.stdout[-2000:]


def test_a_parquet_files_typed_values_stage_as_their_text_does(tmp_path):
    """typed_timestamp / typed_boolean (macros/portable.sql): a Parquet file's own timestamps
    (with a time zone, or naive = UTC) and booleans are taken as they are, and stage to the
    same values as the same instants written as ISO text in a CSV file; a typed NULL is
    missing, not unparsed."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    from campaign_dw import config
    from campaign_dw.loader import load_directory

    landing = tmp_path / "in" / "email_events"
    landing.mkdir(parents=True)
    (landing / "a.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at,machine_open\n"
        "text,m1,opened,2026-03-04T11:00:00+02:00,2026-03-04T09:01:00Z,true\n"
        "text_no_time,m1,opened,,2026-03-04T09:01:00Z,\n"
    )
    pq.write_table(
        pa.table(
            {
                "event_id": ["typed", "typed_no_time"],
                "email_id": ["m1", "m1"],
                "event_type": ["opened", "opened"],
                "occurred_at": pa.array(
                    [dt.datetime(2026, 3, 4, 9, tzinfo=dt.UTC), None], pa.timestamp("us", tz="UTC")
                ),
                "received_at": pa.array(
                    [dt.datetime(2026, 3, 4, 9, 1), dt.datetime(2026, 3, 4, 9, 1)], pa.timestamp("us")
                ),
                "machine_open": pa.array([True, None], pa.bool_()),
            }
        ),
        landing / "b.parquet",
    )
    paths = config.paths(tmp_path / "wh" / "warehouse.duckdb")
    load_directory(tmp_path / "in", paths)
    run = subprocess.run(
        [
            DBT_EXECUTABLE,
            "run",
            "--select",
            "stg_recruiting__email_events",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "CAMPAIGN_DW_WAREHOUSE": str(paths.warehouse)},
        cwd=DBT_PROJECT_DIR,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        staged = {
            r[0]: r[1:]
            for r in con.execute(
                "select event_id, occurred_at, received_at, machine_open, rejection_reason "
                "from staging.stg_recruiting__email_events"
            ).fetchall()
        }
        raw = con.execute(
            "select occurred_at, occurred_at__typed from raw.email_events where event_id = 'typed'"
        ).fetchone()
    instant = (dt.datetime(2026, 3, 4, 9), dt.datetime(2026, 3, 4, 9, 1), True, None)
    assert staged["text"] == staged["typed"] == instant
    assert staged["text_no_time"][3] == staged["typed_no_time"][3] == "missing occurred_at"
    assert raw == (None, dt.datetime(2026, 3, 4, 9))  # the typed value is not printed as text


@pytest.mark.slow
def test_a_warehouse_of_the_earlier_event_layout_builds_on(sample_copy):
    """Upgrade without --full-refresh: a warehouse built when int_email_events_deduplicated
    kept received_at, int_emails_flagged each email's prospect_id and sent_at,
    int_opens_tracked each open's email_id and occurred_at,
    int_email_events_joined_to_sends was a table and opens and clicks were classed into
    int_email_engagements_classified builds on (the columns are dropped before dbt compares
    the schemas, the table is replaced by the view, the table no model builds is dropped),
    with the same marts."""

    marts = [f"select * from marts.{table} order by all" for table in MART_TABLES]
    before = [query(sample_copy.warehouse, sql) for sql in marts]
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        con.execute("alter table intermediate.int_email_events_deduplicated add column received_at timestamp")
        con.execute("alter table intermediate.int_emails_flagged add column prospect_id varchar")
        con.execute("alter table intermediate.int_emails_flagged add column sent_at timestamp")
        con.execute("alter table intermediate.int_opens_tracked add column email_id varchar")
        con.execute("alter table intermediate.int_opens_tracked add column occurred_at timestamp")
        for view in ("int_email_events_classified", "int_email_events_joined_to_sends"):
            con.execute(f"drop view intermediate.{view}")
        con.execute("drop table intermediate.int_click_bursts")
        con.execute("create table intermediate.int_email_events_joined_to_sends as select 1 as event_id")
        con.execute("create table intermediate.int_email_engagements_classified as select 1 as event_id")
        # no completed build on record: the upgrade's first build recounts every campaign
        # incrementally (int_click_bursts, new, is built whole beside it)
        con.execute("delete from intermediate.completed_builds")
    report = build(sample_copy)
    assert report.status == "success", report.problems
    for table, dropped, kept in (
        ("int_email_events_deduplicated", {"received_at"}, "event_id"),
        ("int_emails_flagged", {"prospect_id", "sent_at"}, "was_opened"),
        ("int_opens_tracked", {"email_id", "occurred_at"}, "opened_quarter_hour"),
    ):
        columns = {
            c
            for (c,) in query(
                sample_copy.warehouse,
                f"select column_name from information_schema.columns where table_name = '{table}'",
            )
        }
        assert not columns & dropped and kept in columns, table
    kind = query(
        sample_copy.warehouse,
        "select table_type from information_schema.tables where table_name = 'int_email_events_joined_to_sends'",
    )
    assert kind == [("VIEW",)]
    assert query(
        sample_copy.warehouse,
        "select count(*) from information_schema.tables where table_name = 'int_email_engagements_classified'",
    ) == [(0,)]
    assert [query(sample_copy.warehouse, sql) for sql in marts] == before


@pytest.mark.slow
def test_a_warehouse_without_send_dates_rebuilds_its_email_counts_once(sample_copy):
    """Upgrade to SPEC §8's layout: a warehouse whose email flags and message counts were kept
    without send_date builds on with nothing new loaded; those two tables are rebuilt for every
    campaign (not only the touched ones, of which there are none), and every mart is as before."""
    marts = [f"select * from marts.{table} order by all" for table in MART_TABLES]
    before = [query(sample_copy.warehouse, sql) for sql in marts]
    with duckdb.connect(str(sample_copy.warehouse)) as con:
        for table in ("int_emails_flagged", "int_message_emails_counted"):
            con.execute(f"alter table intermediate.{table} drop column send_date")
    report = build(sample_copy)
    assert report.status == "success", report.problems
    for table in ("int_emails_flagged", "int_message_emails_counted"):
        columns = {
            c
            for (c,) in query(
                sample_copy.warehouse,
                f"select column_name from information_schema.columns where table_name = '{table}'",
            )
        }
        assert "send_date" in columns, table
    assert query(sample_copy.warehouse, "select count(*) from intermediate.int_emails_flagged") == [(165,)]
    assert [query(sample_copy.warehouse, sql) for sql in marts] == before
