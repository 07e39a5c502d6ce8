"""The command line as a user runs it (subprocesses, real files)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import query

CLI = [str(Path(sys.executable).with_name("campaign-dw"))]


def run(*args, env=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def marts(database):
    return {
        t: query(database, f"select * from marts.{t} order by all")
        for t in ("campaign_metrics", "campaign_message_metrics", "campaign_open_heatmap", "campaign_message_link_clicks")
    }


def test_build_again_with_nothing_new_changes_nothing(sample_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse.warehouse, warehouse)
    before = marts(warehouse)
    loaded = run("load", "seeds", env={"CAMPAIGN_DW_WAREHOUSE": str(warehouse)})
    assert loaded.returncode == 0 and "0 files loaded (0 rows), 8 skipped" in loaded.stdout

    built = run("--warehouse", str(warehouse), "build")
    assert built.returncode == 0, built.stderr
    # The sample is months old: each raw table's freshness check warns, nothing blocks.
    assert "checks passed, 8 warnings, 0 problems" in built.stdout
    assert "warning: raw/email_events:fresh" in built.stderr
    assert "C1         Backend engineers Q1         running         160        150      20.0%       4.7%" in built.stdout
    assert marts(warehouse) == before
    assert marts(tmp_path / "warehouse_serving.duckdb") == before

    info = json.loads(run("--warehouse", str(warehouse), "info").stdout)
    assert info["warehouse"] == str(warehouse)
    assert info["serving_database"] == str(tmp_path / "warehouse_serving.duckdb")
    assert info["parquet_dir"] == str(tmp_path / "marts_parquet")
    assert info["last_run_status"] == "success" and info["last_run_time"]


def test_info_before_any_run(tmp_path):
    info = json.loads(run("info", env={"CAMPAIGN_DW_WAREHOUSE": str(tmp_path / "w.duckdb")}).stdout)
    assert info["last_run_status"] == "never run" and info["serving_database"].endswith("w_serving.duckdb")


def test_default_warehouse_is_under_the_project():
    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_DW_WAREHOUSE"}
    out = subprocess.run([*CLI, "info"], capture_output=True, text=True, env=env, check=True).stdout
    assert json.loads(out)["warehouse"] == str(Path(__file__).resolve().parents[1] / "warehouse" / "campaign_dw.duckdb")
