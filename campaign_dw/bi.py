"""Metric definitions for BI tools, exported from the one place they are written (SPEC §8).

A rate is the ratio of the summed counts of the rows in a group, NULL when the denominator is
0: never an average of rates. A BI tool gets that right at any grain only when it holds the
definition (SUM(numerator) / SUM(denominator)) rather than a rate column it would average. So
the export writes each rate as a saved metric over the additive fact `email_counts_daily` (and
over the metric marts, whose counts add up across campaigns and messages too).

Where the definitions come from (nothing here writes a rate): the dbt manifest's semantic layer
(ratio metrics -> simple metrics -> sum measures and their `expr`), which the build's
`rollup_equals_the_semantic_layer` check holds equal to the marts' rate columns.

`superset_bundle` writes a Superset import bundle (`superset import-datasources -p OUT.zip`):
the serving database (read-only) and one dataset per mart with every column of the serving
copy, described by the dbt docs the serving copy carries as comments.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

# The fact every rate is defined over, and the marts whose counts add up the same way.
FACT_TABLE = "email_counts_daily"
METRIC_TABLES = (FACT_TABLE, "campaign_metrics", "campaign_message_metrics")
# Rows of several grains at once: a sum over it counts each email once per grain, so it gets
# no saved metric (its rate columns are right row by row; filter on one grain).
ROLLUP_TABLE = "metrics_rollup"
DATASET_TABLES = (*METRIC_TABLES, ROLLUP_TABLE)
SCHEMA = "marts"
RATE_FORMAT = ".1%"
COUNT_FORMAT = ",d"
# Stable ids: importing a newer bundle updates the same database and datasets (and the charts
# built on them) instead of adding copies. Superset skips upper-case uuids: str() is lower.
NAMESPACE = uuid.UUID("6f1d2f4e-3c9a-5b7e-9d2a-8e4b1c0a7f35")
SUPERSET_VERSION = "1.0.0"  # the import bundle's format version, not Superset's
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DefinitionError(ValueError):
    """The manifest does not define the metrics in a form a BI tool can hold."""


@dataclass(frozen=True)
class Count:
    name: str
    expr: str  # a column of the fact (a measure's expr)
    label: str
    description: str = ""

    @property
    def sql(self) -> str:
        return f"SUM({self.expr})"


@dataclass(frozen=True)
class Rate:
    name: str
    numerator: str  # expressions over the fact's columns
    denominator: str
    label: str
    description: str = ""

    @property
    def sql(self) -> str:
        return f"SUM({self.numerator}) / NULLIF(SUM({self.denominator}), 0)"

    @property
    def definition(self) -> str:
        return f"{self.numerator} / {self.denominator}"

    @property
    def inputs(self) -> set[str]:
        return {self.numerator, self.denominator}


@dataclass(frozen=True)
class Definitions:
    counts: tuple[Count, ...]
    rates: tuple[Rate, ...]
    source: str  # where they were read


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def read_definitions(manifest_path: Path) -> Definitions:
    """The counts and rates of the dbt manifest's semantic layer (its measures and ratio
    metrics), refused with the reason where a BI tool's saved SUM metrics cannot hold them."""
    manifest_path = Path(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise DefinitionError(
            f"no dbt manifest at {manifest_path}: prepare it with `campaign-dw parse` (or `make setup`)"
        ) from None
    except ValueError as error:
        raise DefinitionError(f"the dbt manifest {manifest_path} is not JSON: {error}") from None
    ratios = [m for m in (manifest.get("metrics") or {}).values() if m.get("type") == "ratio"]
    if not ratios:
        raise DefinitionError(
            f"the dbt manifest {manifest_path} defines no ratio metrics "
            "(dbt_project/models/semantic/semantic_layer.yml): prepare it with `campaign-dw parse`"
        )
    return _from_semantic_layer(manifest, ratios)


def _from_semantic_layer(manifest: dict, ratios: list[dict]) -> Definitions:
    measures: dict[str, dict] = {}
    for model in (manifest.get("semantic_models") or {}).values():
        for measure in model.get("measures") or ():
            measures[measure["name"]] = measure
    metrics = {m["name"]: m for m in (manifest.get("metrics") or {}).values()}

    def measure_expr(measure_name: str, where: str) -> str:
        measure = measures.get(measure_name)
        if measure is None:
            raise DefinitionError(f"{where}: measure {measure_name!r} is in no semantic model")
        if (measure.get("agg") or "").lower() != "sum":
            raise DefinitionError(
                f"{where}: measure {measure_name!r} aggregates with {measure.get('agg')!r}, "
                "not sum: a ratio of sums needs additive counts"
            )
        expr = str(measure.get("expr") or measure_name).strip()
        if not _IDENTIFIER.fullmatch(expr):
            raise DefinitionError(f"{where}: measure {measure_name!r} has expr {expr!r}; expected a column name")
        return expr

    def side(ratio: dict, which: str) -> str:
        where = f"ratio metric {ratio['name']!r}"
        ref = (ratio.get("type_params") or {}).get(which) or {}
        if ref.get("filter") or ref.get("offset_window") or ref.get("offset_to_grain"):
            raise DefinitionError(
                f"{where}: its {which} has a filter or an offset, which a saved SUM metric cannot hold"
            )
        metric = metrics.get(ref.get("name"))
        if metric is None:
            raise DefinitionError(f"{where}: its {which} {ref.get('name')!r} is not a metric")
        params = metric.get("type_params") or {}
        if metric.get("type") != "simple" or not params.get("measure") or metric.get("filter"):
            raise DefinitionError(
                f"{where}: its {which} {metric['name']!r} is not a simple, unfiltered metric over one measure"
            )
        return measure_expr(params["measure"]["name"], where)

    rates = tuple(
        Rate(
            name=r["name"],
            numerator=side(r, "numerator"),
            denominator=side(r, "denominator"),
            label=r.get("label") or _label(r["name"]),
            description=(r.get("description") or "").strip(),
        )
        for r in ratios
    )
    counts = tuple(
        Count(
            name=name,
            expr=measure_expr(name, f"measure {name!r}"),
            label=m.get("label") or _label(name),
            description=(m.get("description") or "").strip(),
        )
        for name, m in measures.items()
        if (m.get("agg") or "").lower() == "sum"
    )
    return Definitions(counts, rates, "the dbt semantic layer (ratio metrics)")


# ---- the serving copy ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str

    @property
    def is_dttm(self) -> bool:
        return self.type.upper().startswith(("DATE", "TIMESTAMP"))


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> set[str]:
        return {c.name for c in self.columns}


def read_tables(serving: Path, tables: tuple[str, ...] = DATASET_TABLES) -> dict[str, Table]:
    """The marts' columns, types and descriptions (dbt's docs, published as comments), from the
    serving copy opened read-only (a fresh connection, closed after: a publish can replace it)."""
    serving = Path(serving)
    if not serving.is_file():
        raise FileNotFoundError(f"no serving database at {serving}: run a build first (`campaign-dw build`)")
    con = duckdb.connect(config={"threads": "1"})
    try:
        con.execute("ATTACH ? AS serving (READ_ONLY)", [str(serving)])
        found = {}
        for table in tables:
            rows = con.execute(
                "select column_name, data_type, comment from duckdb_columns() "
                "where database_name = 'serving' and schema_name = ? and table_name = ? order by column_index",
                [SCHEMA, table],
            ).fetchall()
            if not rows:
                continue
            comment = con.execute(
                "select comment from duckdb_tables() where database_name = 'serving' and schema_name = ? "
                "and table_name = ?",
                [SCHEMA, table],
            ).fetchone()
            found[table] = Table(
                table, (comment[0] or "") if comment else "", tuple(Column(n, t, c or "") for n, t, c in rows)
            )
    finally:
        con.close()
    if FACT_TABLE not in found:
        raise DefinitionError(
            f"the serving database {serving} has no {SCHEMA}.{FACT_TABLE}: it was published by "
            "an older version; build again"
        )
    return found


# ---- Superset -------------------------------------------------------------------------------


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def saved_metrics(table: Table, definitions: Definitions) -> list[dict]:
    """Superset metrics of a table: each count as SUM(col), each rate as the ratio of sums.
    A metric whose inputs are not all columns of the table is left out."""
    columns = table.column_names
    described = {c.name: c.description for c in table.columns}
    metrics = []
    for count in definitions.counts:
        if count.expr in columns:
            metrics.append(
                {
                    "metric_name": count.name,
                    "verbose_name": count.label,
                    "metric_type": "sum",
                    "expression": count.sql,
                    "description": count.description or described.get(count.expr) or None,
                    "d3format": COUNT_FORMAT,
                    "currency": None,
                    "extra": {},
                    "warning_text": None,
                }
            )
    for rate in definitions.rates:
        if rate.inputs <= columns:
            text = (
                f"{rate.definition}: the ratio of the sums over the rows of each group, empty when "
                f"{rate.denominator} sums to 0 (never an average of rates)."
            )
            metrics.append(
                {
                    "metric_name": rate.name,
                    "verbose_name": rate.label,
                    "metric_type": None,
                    "expression": rate.sql,
                    "description": f"{rate.description} {text}".strip(),
                    "d3format": RATE_FORMAT,
                    "currency": None,
                    "extra": {},
                    "warning_text": None,
                }
            )
    return metrics


def superset_files(
    serving: Path,
    definitions: Definitions,
    database_name: str,
    tables: dict[str, Table] | None = None,
    now: datetime | None = None,
) -> dict[str, dict]:
    """{path inside the bundle: YAML document} for Superset's dataset import."""
    serving = Path(serving).resolve()
    tables = tables if tables is not None else read_tables(serving)
    missing = set().union(*(r.inputs for r in definitions.rates)) - tables[FACT_TABLE].column_names
    if missing:
        raise DefinitionError(f"{SCHEMA}.{FACT_TABLE} lacks {', '.join(sorted(missing))}, which the rates need")
    database_uuid = _uuid("database", database_name)
    files: dict[str, dict] = {
        "metadata.yaml": {
            "version": SUPERSET_VERSION,
            "type": "SqlaTable",
            "timestamp": (now or datetime.now(UTC)).isoformat(),
        },
        f"databases/{database_name}.yaml": {
            "database_name": database_name,
            "sqlalchemy_uri": f"duckdb:///{serving}",
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_file_upload": False,
            # A mapping here: Superset's import schema nests it (it stores it as JSON itself).
            # Read-only: Superset never takes DuckDB's write lock on the serving file.
            "extra": {
                "engine_params": {"connect_args": {"read_only": True}},
                "metadata_params": {},
                "schemas_allowed_for_file_upload": [],
                "allows_virtual_table_explore": True,
            },
            "impersonate_user": False,
            "uuid": database_uuid,
            "version": SUPERSET_VERSION,
        },
    }
    for name, table in tables.items():
        dttm = [c.name for c in table.columns if c.is_dttm]
        metrics = saved_metrics(table, definitions) if name in METRIC_TABLES else []
        description = table.description
        if name == ROLLUP_TABLE:
            description = (
                f"{description} Its rows hold several grains: filter on one `grain`; its rate "
                f"columns are right row by row; for other groupings use {FACT_TABLE}'s saved metrics."
            ).strip()
        files[f"datasets/{database_name}/{name}.yaml"] = {
            "table_name": name,
            "main_dttm_col": dttm[0] if dttm else None,
            "description": description or None,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "schema": SCHEMA,
            "sql": None,
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "uuid": _uuid("dataset", database_uuid, SCHEMA, name),
            "metrics": metrics,
            "columns": [
                {
                    "column_name": c.name,
                    "verbose_name": None,
                    "is_dttm": c.is_dttm,
                    "is_active": True,
                    "type": c.type,
                    "advanced_data_type": None,
                    "groupby": True,
                    "filterable": True,
                    "expression": None,
                    "description": c.description or None,
                    "python_date_format": None,
                    "extra": {},
                }
                for c in table.columns
            ],
            "version": SUPERSET_VERSION,
            "database_uuid": database_uuid,
        }
    return files


def write_superset_bundle(out: Path, serving: Path, manifest: Path, database_name: str = "campaign_dw") -> dict:
    """Write the ZIP (one top folder, as Superset's own exports have) atomically: a failed
    export leaves an existing OUT as it was. Returns what it holds."""
    if not _IDENTIFIER.fullmatch(database_name):
        raise DefinitionError(f"database name {database_name!r}: use letters, digits and _")
    definitions = read_definitions(manifest)
    files = superset_files(serving, definitions, database_name)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    root = f"{database_name}_superset"
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path, document in files.items():
                bundle.writestr(f"{root}/{path}", yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    datasets = {
        p.rsplit("/", 1)[1].removesuffix(".yaml"): len(d["metrics"])
        for p, d in files.items()
        if p.startswith("datasets/")
    }
    return {
        "bundle": str(out),
        "database": database_name,
        "serving_database": str(Path(serving).resolve()),
        "definitions": definitions.source,
        "datasets": datasets,
    }
