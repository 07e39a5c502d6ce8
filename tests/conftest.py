"""Shared fixtures. The sample is built once per session through the real Dagster job."""

import shutil
from pathlib import Path

import duckdb
import pytest

from campaign_dw import config
from campaign_dw.config import Settings


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


def build(settings: Settings, **kwargs):
    """Run warehouse_job (as `campaign-dw build` does) and return its report."""
    from orchestration.build import run_build

    report, _ = run_build(settings, **kwargs)
    return report


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory) -> Settings:
    """The sample in seeds/ loaded and built by `campaign-dw build`'s job (read-only for tests)."""
    settings = Settings(warehouse=tmp_path_factory.mktemp("sample") / "warehouse.duckdb", landing=config.SAMPLE_DIR)
    report = build(settings)
    assert report.status == "success", report.problems
    return settings.with_(landing=None)


@pytest.fixture
def sample_copy(sample_warehouse, tmp_path) -> Settings:
    """A private copy of the built sample warehouse that a test may change."""
    settings = sample_warehouse.with_(warehouse=tmp_path / "warehouse.duckdb")
    copy_warehouse(sample_warehouse.warehouse, settings.warehouse)
    return settings


def copy_warehouse(source: Path, target: Path) -> None:
    """A warehouse is its DuckDB file and its landing store (the raw files): copy both."""
    shutil.copy(source, target)
    shutil.copytree(config.paths(source).landed_dir, config.paths(target).landed_dir)


@pytest.fixture(scope="session")
def spark_batches(tmp_path_factory) -> list[Path]:
    """Generated data in two landing folders for the Spark tests: the second brings new
    emails, late events and copies of events already delivered."""
    return generated_batches(tmp_path_factory.mktemp("spark_batches"), count=2, events=6_000, seed=5)


# The longest tests first: with two workers (make test), a long test that starts last runs
# alone at the end. (Stable sort: within a file, the order stays.)
LONGEST_FIRST = (
    "test_spark_cluster.py",
    "test_spark.py",
    "test_reliability.py",
    "test_ui.py",
    "test_incremental.py",
    "test_hostile_input.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)
