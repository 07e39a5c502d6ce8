"""The project's layout, as README's architecture paragraph describes it: the library knows
nothing of Dagster, imports run one way (cli -> orchestration -> campaign_dw), and the engine
dbt builds on is behind one boundary (campaign_dw/engine.py, docs/spark.md)."""

import ast
from pathlib import Path

from campaign_dw.config import TARGETS

PROJECT = Path(__file__).resolve().parents[1]
PACKAGES = ("campaign_dw", "orchestration", "dashboard")
SPARK_PACKAGE = "campaign_dw/spark/"
# Where an engine is chosen by its target's name: the engine selection, and the settings that
# check the name.
ENGINE_SELECTION = {"campaign_dw/engine.py", "campaign_dw/config.py"}


def modules(package: str) -> dict[str, ast.Module]:
    """{module file: its syntax tree}."""
    return {
        str(path.relative_to(PROJECT)): ast.parse(path.read_text())
        for path in sorted((PROJECT / package).rglob("*.py"))
    }


def imported_modules(tree: ast.Module) -> set[str]:
    """The dotted names a module imports, anywhere in it (`from a import b` gives a and a.b)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def imported(package: str) -> dict[str, set[str]]:
    """{module file: top-level packages it imports}."""
    return {
        module: {name.split(".")[0] for name in imported_modules(tree)} for module, tree in modules(package).items()
    }


def test_the_library_knows_nothing_of_dagster_nor_of_what_runs_it():
    for module, names in imported("campaign_dw").items():
        assert not names & {"dagster", "dagster_dbt", "orchestration", "dashboard"}, module


def test_the_dashboard_reads_the_serving_copy_through_the_library_only():
    for module, names in imported("dashboard").items():
        assert not names & {"dagster", "dagster_dbt", "orchestration"}, module


def test_only_the_spark_package_imports_spark():
    """pyspark and PyHive are imported in campaign_dw/spark/ only, and the rest reaches that
    package through the engine selection (campaign_dw.engine), except the command line, which
    starts and stops a local Spark cluster (`campaign-dw spark-cluster`)."""
    for package in PACKAGES:
        for module, tree in modules(package).items():
            if module.startswith(SPARK_PACKAGE):
                continue
            names = imported_modules(tree)
            assert not {n.split(".")[0] for n in names} & {"pyspark", "pyhive"}, module
            if module not in ENGINE_SELECTION | {"orchestration/cli.py"}:
                assert not [n for n in names if n.startswith("campaign_dw.spark")], module


def target_branches(tree: ast.Module) -> list[int]:
    """Lines that compare with a target's name ("duckdb", "spark") or with a `target`."""

    def names_a_target(operand: ast.expr) -> bool:
        if isinstance(operand, (ast.Tuple, ast.List, ast.Set)):
            return any(names_a_target(o) for o in operand.elts)
        if isinstance(operand, ast.Constant):
            return operand.value in TARGETS
        return getattr(operand, "attr", getattr(operand, "id", None)) == "target"

    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare) and any(names_a_target(o) for o in [node.left, *node.comparators])
    ]


def test_nothing_outside_the_engine_selection_branches_on_the_target():
    """The checks, serving, ingest and dbt assets call the engine; they never ask its name."""
    branching = {
        module: lines
        for package in PACKAGES
        for module, tree in modules(package).items()
        if not module.startswith(SPARK_PACKAGE) and module not in ENGINE_SELECTION
        if (lines := target_branches(tree))
    }
    assert branching == {}


def test_the_check_of_target_branches_finds_them():
    for source in ('if settings.target == "spark": pass', 'x = 1 if target != "duckdb" else 2', 'ok = t in ("spark",)'):
        assert target_branches(ast.parse(source)) == [1], source
    assert target_branches(ast.parse('kinds = {"duckdb"}; name = engine.name')) == []
