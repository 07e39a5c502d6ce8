"""The project's layout, as README's architecture paragraph describes it: the library knows
nothing of Dagster, imports run one way (cli -> orchestration -> campaign_dw)."""

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def imported(package: str) -> dict[str, set[str]]:
    """{module file: top-level packages it imports}."""
    found = {}
    for path in (PROJECT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(PROJECT))] = names
    return found


def test_the_library_knows_nothing_of_dagster_nor_of_what_runs_it():
    for module, names in imported("campaign_dw").items():
        assert not names & {"dagster", "dagster_dbt", "orchestration", "dashboard"}, module


def test_the_dashboard_reads_the_serving_copy_through_the_library_only():
    for module, names in imported("dashboard").items():
        assert not names & {"dagster", "dagster_dbt", "orchestration"}, module
