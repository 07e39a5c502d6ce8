"""The Dagster code location: an accidental change to the asset graph, the schedule, the
sensors or the checks is caught here."""

import dagster as dg
import pytest

from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.serving import MART_TABLES
from orchestration.definitions import defs


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def keys(graph):
    return {k.to_user_string() for k in graph.get_all_asset_keys()}


def test_asset_keys_and_groups(graph):
    all_keys = keys(graph)
    assert {f"raw/{t}" for t in RAW_TABLES} <= all_keys
    assert {f"marts/{t}" for t in MART_TABLES} <= all_keys
    assert {"landing/raw_files", "serving/marts", "audit/raw_row_reconciliation", "audit/rejected_rows",
            "intermediate/int_emails_flagged", "staging/stg_recruiting__email_events"} <= all_keys
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    for key, group in groups.items():
        assert group == key.split("/")[0] or (key == "landing/raw_files" and group == "raw"), key


def test_lineage_runs_from_files_to_serving(graph):
    def parents(key):
        return {p.to_user_string() for p in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert parents("raw/email_events") == {"landing/raw_files"}
    assert parents("staging/base_recruiting__email_events") == {"raw/email_events"}
    assert parents("staging/stg_recruiting__email_events") == {"staging/base_recruiting__email_events"}
    assert parents("marts/campaign_metrics") == {
        "intermediate/int_message_emails_counted", "staging/stg_recruiting__campaigns"}
    assert "intermediate/int_emails_flagged" in parents("intermediate/int_message_emails_counted")
    assert {f"marts/{t}" for t in MART_TABLES} <= parents("serving/marts")


def test_python_checks_are_blocking_and_on_the_right_assets(graph):
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    python_checks = {
        ("marts/campaign_metrics", "rates_match_their_definition"),
        ("marts/campaign_metrics", "counts_are_consistent"),
        ("marts/campaign_message_metrics", "rates_match_their_definition"),
        ("marts/campaign_message_metrics", "counts_are_consistent"),
        ("marts/campaign_metrics", "campaign_equals_sum_of_messages"),
        ("marts/campaign_metrics", "counts_match_a_recount_from_staged_events"),
        ("marts/campaign_open_heatmap", "same_total_in_every_time_zone"),
        ("marts/campaign_message_open_heatmap", "same_total_in_every_time_zone"),
        ("audit/raw_row_reconciliation", "every_raw_row_accounted_for"),
        ("marts/campaign_link_clicks", "clicks_are_consistent"),
        ("marts/campaign_message_link_clicks", "clicks_are_consistent"),
    }
    assert python_checks <= checks
    for asset, name in python_checks:
        spec = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), name))
        assert spec.blocking, (asset, name)
    # dbt tests are asset checks too, and every raw table warns about refused files.
    assert ("marts/campaign_metrics", "unique_campaign_metrics_campaign_id") in checks
    assert {(f"raw/{t}", "no_refused_files") for t in RAW_TABLES} <= checks
    for table in RAW_TABLES:  # freshness warns, never blocks
        spec = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey(["raw", table]), "fresh"))
        assert not spec.blocking


def test_job_schedule_and_sensors():
    job = defs.resolve_job_def("warehouse_job")
    assert job.executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("warehouse_schedule")
    assert schedule.cron_schedule == "0 * * * *" and schedule.job_name == "warehouse_job"
    sensors = {s.name for s in defs.sensors}
    assert {"new_landing_files", "record_run_success", "record_run_failure"} <= sensors


def test_landing_sensor_requests_a_run_only_when_files_change(tmp_path, monkeypatch):
    from orchestration.defs.automation import new_landing_files

    monkeypatch.setenv("CAMPAIGN_DW_LANDING", str(tmp_path))
    context = dg.build_sensor_context()
    assert isinstance(new_landing_files(context), dg.SkipReason)
    (tmp_path / "email_events.csv").write_text("event_id\n")
    request = new_landing_files(context)
    assert isinstance(request, dg.RunRequest)
    context = dg.build_sensor_context(cursor=request.run_key)
    assert isinstance(new_landing_files(context), dg.SkipReason)


def test_a_run_keeps_its_dbt_parse_state_for_the_next_one(tmp_path):
    """The next run against the same warehouse skips dbt's full parse: a run's partial-parse
    file replaces the project's (which dagster-dbt copies into each run's target folder)."""
    from orchestration.defs.dbt import dbt_project, keep_parse_state

    kept = dbt_project().project_dir / dbt_project().target_path / "partial_parse.msgpack"
    original = kept.read_bytes() if kept.exists() else None
    run_target = tmp_path / "warehouse_dbt_models-run"
    run_target.mkdir()
    (run_target / "partial_parse.msgpack").write_bytes(b"state of this run")
    try:
        keep_parse_state(run_target)
        assert kept.read_bytes() == b"state of this run"
        assert not list(kept.parent.glob("partial_parse.msgpack.*"))  # no staged copy left behind
    finally:
        if original is None:
            kept.unlink(missing_ok=True)
        else:
            kept.write_bytes(original)


def test_the_dbt_resource_starts_dbt_once_per_run(monkeypatch, tmp_path):
    """The resource skips dagster-dbt's `dbt --version` subprocess and in-process adapter (6 s
    of every build): the version it assumes is the one the project's dbt executable reports,
    and starting an invocation runs no other dbt process than the build itself."""
    import subprocess

    from packaging import version

    from campaign_dw.config import DBT_EXECUTABLE
    from orchestration.defs.dbt import WarehouseDbtResource, dbt_project

    resource = defs.resources["dbt"]
    assert isinstance(resource, WarehouseDbtResource)
    reported = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {resource._cli_version}" in reported
    assert resource._cli_version >= version.parse("1.11") and resource._initialize_dbt_core_adapter([]) is None

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt started an extra process: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    fresh = WarehouseDbtResource(project_dir=dbt_project(), profiles_dir=str(dbt_project().profiles_dir),
                                 dbt_executable=DBT_EXECUTABLE)
    invocation = fresh.cli(["parse", "--target-path", str(tmp_path)], raise_on_error=True)
    assert invocation.is_successful()
