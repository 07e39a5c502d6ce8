"""The command line as a user runs it (subprocesses, real files, the defaults an operator gets)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_warehouse, query

from campaign_dw.generate import generate

CLI = [str(Path(sys.executable).with_name("campaign-dw"))]
# An operator's environment: no warehouse, no landing folder named.
OPERATOR_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN_DW_", "DAGSTER_HOME"))}


def run(*args, env=None):
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env={**OPERATOR_ENV, **(env or {})}, timeout=600
    )


def marts(database):
    return {
        t: query(database, f"select * from marts.{t} order by all")
        for t in (
            "campaign_metrics",
            "campaign_message_metrics",
            "campaign_open_heatmap",
            "campaign_message_link_clicks",
        )
    }


@pytest.mark.slow
def test_the_real_data_recipe_never_brings_the_sample(tmp_path):
    """README's recipe, literally, on a fresh warehouse: `load` a folder, then `build` with no
    landing folder named. Only the loaded data reaches the marts: no sample campaign (C1-C4),
    and the build says once that it loaded nothing itself."""
    data = tmp_path / "landing" / "2026-11-27"
    generate(data, events=3_000, seed=7)
    warehouse = str(tmp_path / "wh" / "campaign_dw.duckdb")
    loaded = run("--warehouse", warehouse, "load", str(data))
    assert loaded.returncode == 0, loaded.stderr
    built = run("--warehouse", warehouse, "build")
    assert built.returncode == 0, built.stderr[-3000:]
    assert built.stderr.count("no landing folder named") == 1
    campaigns = {
        c
        for (c,) in query(
            tmp_path / "wh" / "campaign_dw_serving.duckdb", "select campaign_id from marts.campaign_overview"
        )
    }
    assert campaigns and not campaigns & {"C1", "C2", "C3", "C4"}
    assert all(c.startswith("C0") for c in campaigns)


@pytest.mark.slow
def test_build_again_with_nothing_new_changes_nothing(sample_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    copy_warehouse(sample_warehouse.warehouse, warehouse)
    before = marts(warehouse)
    loaded = run("load", "seeds", env={"CAMPAIGN_DW_WAREHOUSE": str(warehouse)})
    assert loaded.returncode == 0 and "0 files loaded (0 rows), 8 skipped" in loaded.stdout

    built = run("--warehouse", str(warehouse), "build")
    assert built.returncode == 0, built.stderr
    # The sample was just loaded: its feeds are fresh, nothing warns, nothing blocks.
    assert "checks passed, 0 warnings, 0 problems" in built.stdout
    assert (
        "C1         Backend engineers Q1         running         160        150      20.0%       4.7%" in built.stdout
    )
    assert marts(warehouse) == before
    assert marts(tmp_path / "warehouse_serving.duckdb") == before

    info = json.loads(run("--warehouse", str(warehouse), "info").stdout)
    assert info["warehouse"] == str(warehouse)
    assert info["serving_database"] == str(tmp_path / "warehouse_serving.duckdb")
    assert info["parquet_dir"] == str(tmp_path / "marts_parquet")
    assert info["last_run_status"] == "success" and info["last_run_time"] and info["serving_is_current"]
    assert info["last_publish"]["run_id"] == info["last_run"]["run_id"]
    assert info["last_publish"]["rows"]["campaign_metrics"] == 4
    # Nothing new: the build recomputed no campaign, and says so.
    assert info["last_build_scope"]["campaigns_recomputed"] == 0 and info["last_build_scope"]["by_reason"] == {}

    # That build completed: the next one, with nothing new since, ends at once, runs nothing
    # and leaves serving as it is; a new file makes the next build run again.
    again = run("--warehouse", str(warehouse), "build")
    assert again.returncode == 0, again.stderr
    assert f"nothing new since build {info['last_run']['run_id']}" in again.stdout
    assert "C1         Backend engineers Q1" in again.stdout
    assert json.loads(run("--warehouse", str(warehouse), "info").stdout)["last_run"] == info["last_run"]
    assert marts(tmp_path / "warehouse_serving.duckdb") == before
    late = tmp_path / "late" / "email_events"
    late.mkdir(parents=True)
    (late / "late.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "LATE,E11-060,replied,2026-03-20T10:00:00Z,2026-03-20T10:05:00Z\n"
    )
    assert run("load", str(late.parent), env={"CAMPAIGN_DW_WAREHOUSE": str(warehouse)}).returncode == 0
    built = run("--warehouse", str(warehouse), "build")
    assert built.returncode == 0 and "checks passed" in built.stdout, built.stderr


def test_a_landing_folder_that_does_not_exist_is_a_clear_error(tmp_path):
    built = run("--warehouse", str(tmp_path / "w.duckdb"), "build", "--landing", str(tmp_path / "missing"))
    assert built.returncode == 2
    assert f"the landing folder {tmp_path / 'missing'} is not a directory" in built.stderr
    assert "Traceback" not in built.stderr


def test_info_before_any_run(tmp_path):
    info = json.loads(run("info", env={"CAMPAIGN_DW_WAREHOUSE": str(tmp_path / "w.duckdb")}).stdout)
    assert info["last_run_status"] == "never run" and info["serving_database"].endswith("w_serving.duckdb")
    assert not (tmp_path / "w_dagster").exists()  # asking creates nothing


def test_default_warehouse_is_under_the_project():
    out = subprocess.run([*CLI, "info"], capture_output=True, text=True, env=OPERATOR_ENV, check=True).stdout
    assert json.loads(out)["warehouse"] == str(Path(__file__).resolve().parents[1] / "warehouse" / "campaign_dw.duckdb")
