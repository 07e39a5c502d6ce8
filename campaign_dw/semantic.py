"""dbt's semantic layer, asked through MetricFlow's Python API (SPEC §8).

The metrics are defined once, in dbt (`dbt_project/models/semantic/semantic_layer.yml`): the
counts of `marts.email_counts_daily` as simple metrics, every rate as a ratio metric.
MetricFlow turns a question (metrics, grouped by dimensions, filtered) into SQL; this module
runs that SQL on whatever holds the marts: the warehouse (the blocking check that compares
`marts.metrics_rollup` with it) or the read-only serving copy (`campaign-dw metrics`).

Every MetricFlow call of the project is in this module: its engine API is marked unstable.
MetricFlow is only asked for SQL (`explain`), never given a connection; the `mf` command line,
which contacts the package index on every run, is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

# The grains of marts.metrics_rollup, as MetricFlow group-bys (the campaign's attributes come
# from the campaign dimension, the month from the send date).
ROLLUP_GRAINS: dict[str, tuple[str, ...]] = {
    "overall": (),
    "language": ("campaign__language",),
    "owner": ("campaign__owner_user_id",),
    "month": ("metric_time__month",),
    "language_month": ("campaign__language", "metric_time__month"),
    "owner_month": ("campaign__owner_user_id", "metric_time__month"),
    "campaign_month": ("campaign", "metric_time__month"),
}
# The rollup's column for each MetricFlow group-by.
ROLLUP_COLUMNS = {
    "campaign__language": "language",
    "campaign__owner_user_id": "owner_user_id",
    "metric_time__month": "send_month",
    "campaign": "campaign_id",
}
# Beside the semantic manifest: the SQL MetricFlow wrote for the rollup's grains (SemanticLayer).
SQL_CACHE = "semantic_rollup_sql.json"
# Friendly names for `campaign-dw metrics --by`.
DIMENSION_ALIASES = {
    "language": "campaign__language",
    "owner": "campaign__owner_user_id",
    "owner_user_id": "campaign__owner_user_id",
    "status": "campaign__status",
    "campaign": "campaign",
    "campaign_id": "campaign",
    "campaign_name": "campaign__campaign_name",
    "message": "message",
    "message_id": "message",
    "step": "email_counts_day__step_number",
    "step_number": "email_counts_day__step_number",
    "day": "metric_time__day",
    "week": "metric_time__week",
    "month": "metric_time__month",
    "quarter": "metric_time__quarter",
    "year": "metric_time__year",
}


class SemanticLayerError(ValueError):
    """A question the semantic layer cannot answer (an unknown metric or dimension), or no
    semantic manifest to ask: the message says which and what exists."""


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    type: str  # "simple" or "ratio"
    numerator: str | None = None  # the measures' expressions of a ratio
    denominator: str | None = None
    expr: str | None = None  # a simple metric's measure expression


def _without_catalog(raw: dict, relation_name: Callable[[str], str] = str) -> dict:
    """The semantic manifest with every relation named by schema and table only: dbt writes the
    catalog of its target (the warehouse file's name) into it, and the same SQL must run on
    the serving copy, another file with the same schemas. `relation_name` names each on the
    engine the SQL runs on (campaign_dw.engine.Engine.relation: on Spark, the warehouse's
    prefixed schemas)."""

    def visit(value):
        if isinstance(value, dict):
            relation = value.get("node_relation")
            if isinstance(relation, dict):
                relation["database"] = None
                relation["relation_name"] = relation_name(f"{relation['schema_name']}.{relation['alias']}")
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(raw)
    return raw


def read_manifest(target_dir: Path, relation_name: Callable[[str], str] = str) -> dict:
    path = Path(target_dir) / "semantic_manifest.json"
    if not path.exists():
        raise SemanticLayerError(f"no semantic manifest at {path}: run `campaign-dw parse` (or `make`) first")
    return _without_catalog(json.loads(path.read_text()), relation_name)


def metrics(manifest: dict) -> dict[str, Metric]:
    """The metrics the semantic layer defines, each with what it sums (for BI tools' saved
    metrics: a ratio is SUM(numerator) / SUM(denominator))."""
    measures = {m["name"]: m for model in manifest["semantic_models"] for m in model["measures"]}

    def measure_expr(metric_name: str) -> str:
        metric = by_name[metric_name]
        measure = measures[metric["type_params"]["measure"]["name"]]
        return measure.get("expr") or measure["name"]

    by_name = {m["name"]: m for m in manifest["metrics"]}
    found = {}
    for name, m in by_name.items():
        params = m["type_params"]
        if m["type"] == "ratio":
            found[name] = Metric(
                name,
                m.get("label") or name,
                m.get("description") or "",
                "ratio",
                numerator=measure_expr(params["numerator"]["name"]),
                denominator=measure_expr(params["denominator"]["name"]),
            )
        else:
            found[name] = Metric(
                name, m.get("label") or name, m.get("description") or "", m["type"], expr=measure_expr(name)
            )
    return found


class _SqlOnly:
    """A SqlClient for MetricFlow that only renders SQL: the caller runs it, on its own
    connection (read-only on the serving copy, or the warehouse resource's in a check)."""

    def __init__(self, engine: str):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.databricks import DatabricksSqlPlanRenderer
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        # Spark SQL is the dialect of Databricks' renderer.
        self.sql_engine_type, self.sql_plan_renderer = {
            "duckdb": (SqlEngine.DUCKDB, DuckDbSqlPlanRenderer()),
            "spark": (SqlEngine.DATABRICKS, DatabricksSqlPlanRenderer()),
        }[engine]

    def query(self, *args, **kwargs):
        raise NotImplementedError("the semantic layer only renders SQL here")

    execute = dry_run = query

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


class SemanticLayer:
    """The dbt project's semantic layer, from the semantic manifest dbt wrote when it parsed.
    `relation`: how the engine the SQL runs on names a relation `schema.table` (the serving
    copy and DuckDB: as it is; Spark: Engine.relation)."""

    def __init__(self, target_dir: Path, engine: str = "duckdb", relation: Callable[[str], str] = str):
        self.manifest = read_manifest(target_dir, relation)
        self.metrics = metrics(self.manifest)
        self._engine_name = engine
        self._sql_cache = target_dir / SQL_CACHE

    @cached_property
    def _engine(self):
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        semantic_manifest = parse_manifest_from_dbt_generated_manifest(json.dumps(self.manifest))
        return MetricFlowEngine(SemanticManifestLookup(semantic_manifest), _SqlOnly(self._engine_name))

    @cached_property
    def _definitions_key(self) -> str:
        """What MetricFlow's SQL depends on: the semantic manifest as this engine names its
        relations, the engine, MetricFlow's version."""
        from importlib.metadata import version

        text = json.dumps([self.manifest, self._engine_name, version("metricflow")], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def _rollup_sql(self, metric_names: Sequence[str]) -> dict[str, str]:
        """{grain: SQL} of the rollup, as MetricFlow wrote it for these definitions. Every
        build's check asks the same questions of the same definitions: their SQL is kept
        beside the semantic manifest (SQL_CACHE), read once, and written again (once) when the
        definitions, the engine or MetricFlow changed. Only the rollup's questions are kept,
        so the file stays as small as ROLLUP_GRAINS."""
        try:
            cached = json.loads(self._sql_cache.read_text())
        except (OSError, ValueError):
            cached = {}
        if not isinstance(cached, dict) or cached.get("definitions") != self._definitions_key:
            cached = {"definitions": self._definitions_key, "sql": {}}
        questions = {
            grain: json.dumps([list(metric_names), list(group_by)]) for grain, group_by in ROLLUP_GRAINS.items()
        }
        missing = {grain: q for grain, q in questions.items() if q not in cached["sql"]}
        for grain, question in missing.items():
            cached["sql"][question] = self.sql(metric_names, ROLLUP_GRAINS[grain])
        if missing:
            # Written whole, then renamed: a concurrent reader sees the old file or the new one.
            partial = self._sql_cache.with_name(f".{self._sql_cache.name}.{os.getpid()}")
            try:
                partial.write_text(json.dumps(cached, indent=1))
                partial.replace(self._sql_cache)
            except OSError:
                pass  # a read-only target folder: MetricFlow is asked again next time
        return {grain: cached["sql"][question] for grain, question in questions.items()}

    @staticmethod
    def group_by_name(name: str) -> str:
        """MetricFlow's name of a group-by given as an alias (`language`) or as its own name."""
        return DIMENSION_ALIASES.get(name, name)

    def sql(
        self,
        metric_names: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
    ) -> str:
        """The SQL that answers the question; group-bys are MetricFlow names or aliases
        (`language`, `month`, ...), filters MetricFlow's where syntax
        (`{{ Dimension('campaign__language') }} = 'en'`)."""
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        unknown = [m for m in metric_names if m not in self.metrics]
        if unknown:
            raise SemanticLayerError(
                f"unknown metric {', '.join(unknown)}; the metrics are: {', '.join(sorted(self.metrics))}"
            )
        request = MetricFlowQueryRequest.create(
            metric_names=list(metric_names),
            group_by_names=[self.group_by_name(g) for g in group_by],
            where_constraints=list(where) or None,
            order_by_names=[self.group_by_name(o) for o in order_by] or None,
        )
        try:
            return self._engine.explain(request).sql_statement.sql
        except Exception as error:  # MetricFlow's own errors name the unknown dimension and the choices
            lines = [line for line in str(error).splitlines() if line.strip()] or [repr(error)]
            raise SemanticLayerError("\n".join(lines[:25])) from error

    def query(
        self,
        run: Callable[[str], list[dict]],
        metric_names: Sequence[str],
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
    ) -> list[dict]:
        """The answer, as rows (run: executes SQL, returns dict rows)."""
        return run(self.sql(metric_names, group_by, where, order_by))

    def rollup(self, run: Callable[[str], list[dict]], metric_names: Sequence[str]) -> list[dict]:
        """Every grain of marts.metrics_rollup, asked of the semantic layer: rows keyed like the
        rollup's (grain, campaign_id, language, owner_user_id, send_month)."""
        rows = []
        for grain, sql in self._rollup_sql(metric_names).items():
            for row in run(sql):
                keyed = {"grain": grain} | {column: None for column in ROLLUP_COLUMNS.values()}
                for name, value in row.items():
                    if name in ROLLUP_COLUMNS:
                        keyed[ROLLUP_COLUMNS[name]] = value.date() if hasattr(value, "date") else value
                    else:
                        keyed[name] = value
                rows.append(keyed)
        return rows
