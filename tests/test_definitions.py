"""The Dagster code location: the asset graph, what starts runs, and how runs are executed."""

import subprocess

import dagster as dg
import pytest

from campaign_dw.config import DBT_EXECUTABLE, Settings
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.serving import MART_TABLES
from orchestration.definitions import defs
from orchestration.defs.resources import WarehouseResource


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def keys(graph):
    return {k.to_user_string() for k in graph.get_all_asset_keys()}


def test_asset_keys_and_groups(graph):
    all_keys = keys(graph)
    assert {f"raw/{t}" for t in RAW_TABLES} <= all_keys
    assert {f"marts/{t}" for t in MART_TABLES} <= all_keys
    assert {
        "landing/raw_files",
        "serving/marts",
        "audit/raw_row_reconciliation",
        "audit/rejected_rows",
        "intermediate/int_emails_flagged",
        "staging/stg_recruiting__email_events",
    } <= all_keys
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    for key, group in groups.items():
        assert group == key.split("/")[0] or (key == "landing/raw_files" and group == "raw"), key


def test_lineage_reads_raw_staging_intermediate_marts_serving(graph):
    def parents(key):
        return {p.to_user_string() for p in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert parents("raw/email_events") == {"landing/raw_files"}
    assert parents("staging/stg_recruiting__email_events") == {"raw/email_events"}
    # (and the state the build started from: its watermark)
    assert parents("intermediate/int_email_events_deduplicated") == {
        "staging/stg_recruiting__email_events",
        "intermediate/build_state",
    }
    assert parents("marts/campaign_metrics") == {
        "intermediate/int_message_emails_counted",
        "intermediate/int_campaigns_current",
    }
    # Every per-campaign model waits for the list of touched campaigns.
    for model in ("int_emails_flagged", "int_opens_tracked", "int_audiences_counted"):
        assert "intermediate/int_campaigns_touched" in parents(f"intermediate/{model}")
    assert {f"marts/{t}" for t in MART_TABLES} <= parents("serving/marts")


def test_the_python_checks_block_publishing(graph):
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    python_checks = {
        ("marts/campaign_metrics", "rates_match_their_definition"),
        ("marts/campaign_message_metrics", "rates_match_their_definition"),
        ("marts/campaign_metrics", "campaign_equals_sum_of_messages"),
        ("marts/campaign_metrics", "counts_match_a_recount_from_staged_events"),
        ("marts/campaign_open_heatmap", "same_total_in_every_time_zone"),
        ("marts/campaign_message_open_heatmap", "same_total_in_every_time_zone"),
        ("marts/campaign_link_clicks", "no_footer_link_listed"),
        ("marts/campaign_message_link_clicks", "no_footer_link_listed"),
    }
    assert python_checks <= checks
    for asset, name in python_checks:
        spec = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey.from_user_string(asset), name))
        assert spec.blocking, (asset, name)
        assert spec.description and len(spec.description) > 40, (asset, name)
    # dbt tests are asset checks too, and every raw table warns about refused files.
    assert ("marts/campaign_metrics", "primary_key_campaign_metrics_campaign_id") in checks
    assert ("marts/campaign_metrics", "campaign_metrics_counts_and_rates_hold_together") in checks
    assert {(f"raw/{t}", "no_refused_files") for t in RAW_TABLES} <= checks
    for table in ("email_sends", "email_events"):  # freshness of the feeds warns, never blocks
        spec = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey(["raw", table]), "fresh"))
        assert not spec.blocking


def test_every_run_executes_in_one_process():
    """The run holds the warehouse from start to end (the resource's set-up and tear-down),
    which needs every step in one process: the jobs and the implicit asset job the UI's asset
    pages launch."""
    for job in (
        defs.resolve_job_def("warehouse_job"),
        defs.resolve_job_def("drift_job"),
        defs.resolve_implicit_global_asset_job_def(),
    ):
        assert job.executor_def.name == "in_process", job.name


def test_the_drift_job_is_not_part_of_a_build():
    build_ops = {node.name for node in defs.resolve_job_def("warehouse_job").graph.node_defs}
    assert "recount_every_campaign" not in build_ops
    assert defs.resolve_schedule_def("drift_schedule").job_name == "drift_job"


def test_the_landing_sensor_loads_only_from_a_named_folder(tmp_path):
    """No landing folder named: the sensor skips and says why (the sample never leaks into a
    warehouse). Named: a run when files appear or change, not again for the same files."""
    from orchestration.defs.automation import new_landing_files

    def evaluate(settings, cursor=None):
        resources = {"warehouse": WarehouseResource.from_settings(settings)}
        with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
            return new_landing_files(context)

    settings = Settings(warehouse=tmp_path / "w.duckdb")
    unnamed = evaluate(settings)
    assert isinstance(unnamed, dg.SkipReason) and "no landing folder named" in unnamed.skip_message

    settings = settings.with_(landing=tmp_path / "landing")
    (tmp_path / "landing").mkdir()
    assert isinstance(evaluate(settings), dg.SkipReason)
    (tmp_path / "landing" / "email_events.csv").write_text("event_id\n")
    request = evaluate(settings)
    assert isinstance(request, dg.RunRequest)
    assert isinstance(evaluate(settings, cursor=request.run_key), dg.SkipReason)
    assert not settings.paths.lock_file.exists()  # evaluating a sensor takes no lock


def test_the_dbt_resource_starts_dbt_once_per_run():
    """The resource skips dagster-dbt's `dbt --version` subprocess and in-process adapter (6 s
    of every build) by overriding two private members of dagster-dbt: this fails loudly when
    an upgrade changes them. The version it assumes is the one the project's dbt reports."""
    import dagster_dbt
    from dagster_dbt import DbtCliResource
    from packaging import version

    from orchestration.defs.dbt import WarehouseDbtResource

    assert dagster_dbt.__version__ == "0.29.27", (
        "dagster-dbt changed: check that WarehouseDbtResource's overrides (_cli_version, "
        "_initialize_dbt_core_adapter) still exist and are still called by DbtCliResource.cli"
    )
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(DbtCliResource))

    resource = defs.resources["dbt"]
    assert isinstance(resource, WarehouseDbtResource)
    reported = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"installed: {resource._cli_version}" in reported
    assert resource._cli_version >= version.parse("1.11") and resource._initialize_dbt_core_adapter([]) is None


@pytest.mark.slow
def test_starting_a_dbt_command_starts_no_other_dbt_process(monkeypatch, tmp_path):
    """With the resource's overrides, an invocation runs no other dbt process than the
    command itself, and works."""
    from orchestration.defs.dbt import WarehouseDbtResource, dbt_project

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt started an extra process: {args}")

    monkeypatch.setattr("dagster_dbt.core.resource.check_output", no_subprocess)
    fresh = WarehouseDbtResource(
        project_dir=dbt_project(), profiles_dir=str(dbt_project().profiles_dir), dbt_executable=DBT_EXECUTABLE
    )
    invocation = fresh.cli(["parse"], target_path=tmp_path, raise_on_error=True)
    assert invocation.is_successful()
