"""The dbt project as Dagster assets: one asset per model/seed, dbt tests as asset checks."""


import os
import shutil
from collections.abc import Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dbt.version import __version__ as dbt_version
from packaging import version

from campaign_dw.config import DBT_EXECUTABLE, DBT_PROJECT_DIR, paths
from campaign_dw.warehouse import writer_lock


@cache
def dbt_project() -> DbtProject:
    """Built once per process. The manifest is prepared by `make` (`campaign-dw parse`), not
    at import; only `dagster dev` re-parses on the fly so that edits show up in the UI."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {project.manifest_path} is missing: run `make setup` (or `campaign-dw parse`)"
        )
    return project


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys `<schema>/<name>` (raw/email_events, marts/campaign_metrics, ...) and one
    group per schema, so that lineage reads file -> raw -> staging -> intermediate -> marts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props["schema"]


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=WarehouseTranslator(),
    pool="warehouse_writer",
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig):
    # Unit tests check the definitions against fixed rows, not the data: they run in CI
    # (tests/test_dbt_project.py), not in every production build (dbt Labs' advice).
    args = ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if config.full_refresh else [])]
    with writer_lock(paths()):
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
    keep_parse_state(invocation.target_path)


def keep_parse_state(run_target: Path) -> None:
    """dagster-dbt gives each run its own target folder and seeds it with the project's
    partial-parse file. That file is only reusable when the profile matches (the warehouse
    path is part of it), so keep the one of this run: the next run against the same warehouse
    then skips dbt's full parse (about 3 s). Replaced atomically: runs may overlap."""
    state = run_target / "partial_parse.msgpack"
    if state.exists():
        kept = dbt_project().project_dir / dbt_project().target_path / "partial_parse.msgpack"
        staged = kept.with_name(f"{kept.name}.{run_target.name}")
        shutil.copyfile(state, staged)
        os.replace(staged, kept)


class WarehouseDbtResource(DbtCliResource):
    """dagster-dbt's resource without the 6 s it spends before each dbt run starts: it asks the
    executable for its version (`dbt --version`, a second dbt start-up) and builds an
    in-process dbt adapter, which only serves row counts and column metadata that this
    project does not fetch. The executable is the dbt-core of this environment (pinned), so
    its version is the package's. (Private hooks of dagster-dbt 0.29; tests/test_definitions.py
    checks that a run still starts no `dbt --version` and works.)"""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version)

    def _initialize_dbt_core_adapter(self, args):
        return None


defs = dg.Definitions(
    assets=[warehouse_dbt_models],
    resources={
        "dbt": WarehouseDbtResource(
            project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
        )
    },
)
