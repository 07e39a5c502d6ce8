"""Nothing new, nothing done (campaign_dw/build_record.py): what makes a build find something
to do, and what the hourly schedule runs when it finds nothing."""

import os
import shutil

import dagster as dg
import pytest

from campaign_dw import build_record
from campaign_dw.config import SAMPLE_DIR, Settings
from campaign_dw.loader import load_directory
from campaign_dw.warehouse import connect


@pytest.fixture
def completed(tmp_path):
    """A warehouse that loaded the sample from a landing folder, and a completed build's
    record of it (what `serving` writes at the end of warehouse_job)."""
    landing = tmp_path / "landing"
    shutil.copytree(SAMPLE_DIR, landing)
    settings = Settings(warehouse=tmp_path / "w.duckdb", landing=landing)
    load_directory(landing, settings.paths)
    build_record.begin(settings, "run-1")
    with connect(settings.warehouse, read_only=True) as con:
        reconciled = build_record.newest_raw_rows(con)
    build_record.complete(settings, "run-1", reconciled)
    settings.paths.serving_database.touch()  # (what the run published)
    return settings


def test_a_completed_build_with_nothing_since_finds_nothing_to_do(completed):
    record = build_record.nothing_new(completed)
    assert record is not None and record["run_id"] == "run-1" and record["completed_at"]
    assert not build_record.pending_path(completed.paths).exists()


def test_a_new_file_in_the_landing_folder_is_something_to_do(completed):
    (completed.landing / "email_events" / "late.csv").parent.mkdir(exist_ok=True)
    (completed.landing / "email_events" / "late.csv").write_text("event_id,email_id\n")
    assert build_record.nothing_new(completed) is None


def test_a_file_loaded_by_hand_meanwhile_is_something_to_do(completed, tmp_path):
    other = tmp_path / "other" / "email_events"
    other.mkdir(parents=True)
    (other / "late.csv").write_text(
        "event_id,email_id,event_type,occurred_at,received_at\n"
        "LATE,E11-060,replied,2026-03-20T10:00:00Z,2026-03-20T10:05:00Z\n"
    )
    load_directory(other.parent, completed.paths)
    assert build_record.nothing_new(completed) is None


def test_a_changed_definition_or_setting_is_something_to_do(completed, tmp_path, monkeypatch):
    assert build_record.nothing_new(completed.with_(dbt_threads=completed.dbt_threads + 1)) is None
    assert build_record.nothing_new(completed.with_(landing=None)) is None
    model = tmp_path / "models" / "a_model.sql"
    model.parent.mkdir()
    model.write_text("select 1")
    monkeypatch.setattr(build_record, "DEFINITION_SOURCES", (*build_record.DEFINITION_SOURCES, model.parent))
    assert build_record.nothing_new(completed) is None


def test_a_run_that_starts_drops_the_record_until_it_completes(completed):
    build_record.begin(completed, "run-2")
    assert build_record.nothing_new(completed) is None  # a failed or killed run-2 leaves none
    build_record.complete(completed, "run-other", {})  # another run's publish: not this record
    assert build_record.nothing_new(completed) is None
    assert not build_record.record_path(completed.paths).exists()


def test_a_warehouse_that_cannot_be_read_is_not_judged(completed):
    """(A writer holding the DuckDB file, say): the build goes ahead, and waits for it."""
    unreadable = completed.with_(warehouse=completed.warehouse.with_name("busy.duckdb"))
    shutil.copy(build_record.record_path(completed.paths), build_record.record_path(unreadable.paths))
    unreadable.warehouse.write_bytes(b"not a database")
    assert build_record.nothing_new(unreadable) is None


def test_the_schedule_runs_only_the_freshness_checks_when_nothing_is_new(completed, monkeypatch):
    from orchestration.defs.automation import FRESHNESS_CHECKS, warehouse_schedule
    from orchestration.defs.resources import WarehouseResource

    monkeypatch.setenv("CAMPAIGN_DW_WAREHOUSE", str(completed.warehouse))
    resource = WarehouseResource.from_settings(completed)
    with dg.build_schedule_context(resources={"warehouse": resource}) as context:
        quiet = warehouse_schedule.evaluate_tick(context).run_requests
    assert len(quiet) == 1 and quiet[0].asset_selection == [] and quiet[0].asset_check_keys == FRESHNESS_CHECKS
    os.utime(completed.landing / "email_events.csv")  # touched: looked at again
    with dg.build_schedule_context(resources={"warehouse": resource}) as context:
        busy = warehouse_schedule.evaluate_tick(context).run_requests
    assert len(busy) == 1 and busy[0].asset_selection is None and not busy[0].asset_check_keys


def test_a_removed_serving_copy_is_something_to_do(completed):
    completed.paths.serving_database.unlink()
    assert build_record.nothing_new(completed) is None


def test_a_writer_at_work_is_not_disturbed(completed):
    """A load or a dbt run holds the writer lock: the check does not open the DuckDB file
    (its read would make their read-write open fail), and the build goes ahead and waits."""
    from campaign_dw.warehouse import writer_lock

    with writer_lock(completed.paths):
        assert build_record.nothing_new(completed) is None
    assert build_record.nothing_new(completed) is not None
