"""Shared fixtures. The sample is built once per session through the real Dagster job."""

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from campaign_dw import config
from campaign_dw.loader import load_directory


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory):
    """Runs of the test session go to a throw-away Dagster instance, not the project's."""
    home = tmp_path_factory.mktemp("dagster_home")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home


def query(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, parameters or []).fetchall()


def generated_batches(root: Path, count: int, events: int, seed: int) -> list[Path]:
    """`count` batches of generated data, each in its own landing folder, as a feed delivers
    them (batch 0 first, each later one with new emails, late and repeated events)."""
    from campaign_dw.generate import generate

    folders = []
    for batch in range(count):
        generate(root / "all", events=events, seed=seed, increment=batch)
        folder = root / f"batch{batch}"
        for table_dir in (root / "all").iterdir():
            for part in table_dir.glob(f"batch-{batch:04d}*"):
                (folder / table_dir.name).mkdir(parents=True, exist_ok=True)
                shutil.copy(part, folder / table_dir.name / part.name)
        folders.append(folder)
    return folders


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> config.Paths:
    """The sample in seeds/ loaded and built by `campaign-dw build`'s job (read-only for tests)."""
    from orchestration.build import run_build

    paths = config.paths(tmp_path_factory.mktemp("sample") / "warehouse.duckdb")
    load_directory(config.SAMPLE_DIR, paths)
    outcome = run_build(paths)
    assert outcome.success, outcome.problems
    return paths


@pytest.fixture
def sample_copy(sample_warehouse, tmp_path) -> config.Paths:
    """A private copy of the built sample warehouse that a test may change."""
    paths = config.paths(tmp_path / "warehouse.duckdb")
    shutil.copy(sample_warehouse.warehouse, paths.warehouse)
    return paths
