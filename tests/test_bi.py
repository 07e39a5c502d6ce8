"""campaign_dw/bi.py: the metric definitions read from the dbt manifest, and the Superset
bundle written from them (no Superset here: tests/test_superset.py imports it into one)."""

from __future__ import annotations

import copy
import json
import uuid
import zipfile
from pathlib import Path

import duckdb
import pytest
import yaml

from campaign_dw import bi
from campaign_dw.config import DBT_PROJECT_DIR
from orchestration.cli import main

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
COUNTS = (
    "emails_sent",
    "emails_delivered",
    "emails_bounced",
    "emails_hard_bounced",
    "emails_soft_bounced",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
    "emails_unsubscribed",
    "emails_marked_spam",
    "emails_opened_by_people",
    "emails_clicked_by_people",
    "machine_opens",
    "bot_clicks",
)
# SPEC §4 and §3b, written here once more on purpose: the test's independent statement.
SPEC_RATES = {
    "delivery_rate": ("emails_delivered", "emails_sent"),
    "bounce_rate": ("emails_bounced", "emails_sent"),
    "unsubscribe_rate": ("emails_unsubscribed", "emails_delivered"),
    "spam_rate": ("emails_marked_spam", "emails_delivered"),
    "open_rate": ("emails_opened", "emails_delivered"),
    "response_rate": ("emails_replied", "emails_delivered"),
    "click_rate": ("emails_clicked", "emails_delivered"),
    "click_through_rate": ("emails_clicked", "emails_opened"),
    "people_open_rate": ("emails_opened_by_people", "emails_delivered"),
    "people_click_rate": ("emails_clicked_by_people", "emails_delivered"),
    "people_click_through_rate": ("emails_clicked_by_people", "emails_opened_by_people"),
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not MANIFEST.exists():
        pytest.fail(f"{MANIFEST} is missing: `make setup` prepares it")
    return json.loads(MANIFEST.read_text())


def write(tmp_path: Path, manifest: dict) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def as_pairs(definitions: bi.Definitions) -> dict[str, tuple[str, str]]:
    return {r.name: (r.numerator, r.denominator) for r in definitions.rates}


def test_the_semantic_layer_defines_the_spec_rates_over_the_counts(manifest):
    """(That the marts compute the same rates is the `rollup_equals_the_semantic_layer` check's.)"""
    semantic = bi.read_definitions(MANIFEST)
    assert "semantic layer" in semantic.source
    assert as_pairs(semantic) == SPEC_RATES
    assert [c.name for c in semantic.counts] == list(COUNTS)


def test_each_rate_is_a_ratio_of_sums_and_none_is_averaged(manifest):
    definitions = bi.read_definitions(MANIFEST)
    for rate in definitions.rates:
        assert rate.sql == f"SUM({rate.numerator}) / NULLIF(SUM({rate.denominator}), 0)"
        assert "avg" not in rate.sql.lower()
    assert len({r.name for r in definitions.rates}) == len(definitions.rates)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda m: m["metrics"]["metric.campaign_dw.open_rate"]["type_params"]["numerator"].update(
                filter={"where_filters": [{"where_sql_template": "x"}]}
            ),
            "filter",
        ),
        (
            lambda m: [s for s in m["semantic_models"].values() if s["measures"]][0]["measures"][0].update(
                agg="average"
            ),
            "not sum",
        ),
        (
            lambda m: m["metrics"]["metric.campaign_dw.open_rate"]["type_params"]["denominator"].update(name="nothing"),
            "not a metric",
        ),
    ],
)
def test_a_semantic_layer_a_bi_tool_cannot_hold_is_refused_with_the_reason(manifest, tmp_path, change, message):
    if not any(m.get("type") == "ratio" for m in manifest.get("metrics", {}).values()):
        pytest.skip("the manifest has no semantic layer yet")
    changed = copy.deepcopy(manifest)
    change(changed)
    with pytest.raises(bi.DefinitionError, match=message):
        bi.read_definitions(write(tmp_path, changed))


def test_a_missing_or_broken_manifest_says_what_to_do(tmp_path):
    with pytest.raises(bi.DefinitionError, match="campaign-dw parse"):
        bi.read_definitions(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(bi.DefinitionError, match="not JSON"):
        bi.read_definitions(tmp_path / "bad.json")
    with pytest.raises(bi.DefinitionError, match="defines no ratio metrics"):
        bi.read_definitions(write(tmp_path, {"metadata": {"project_name": "campaign_dw"}, "metrics": {}}))


# ---- the bundle, on a small serving copy made here -------------------------------------------


@pytest.fixture
def serving(tmp_path) -> Path:
    path = tmp_path / "w_serving.duckdb"
    counts = ", ".join(f"{c} bigint" for c in COUNTS)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            f"create table marts.email_counts_daily (campaign_id varchar, message_id varchar, "
            f"send_date date, language varchar, owner_user_id varchar, status varchar, "
            f"step_number integer, {counts})"
        )
        con.execute("comment on column marts.email_counts_daily.send_date is 'The UTC day it was sent.'")
        con.execute("comment on table marts.email_counts_daily is 'The additive fact.'")
        zeros = ", ".join("0" for _ in COUNTS[6:])  # the counts after emails_opened
        # en: 1/10 and 9/30 opened -> 10/40 = 0.25 (an average of the two rates: 0.2)
        for campaign, language, sent, delivered, opened in (
            ("A", "en", 10, 10, 1),
            ("B", "en", 30, 30, 9),
            ("C", "de", 100, 0, 0),
            ("D", None, 4, 4, 1),
        ):
            con.execute(
                f"insert into marts.email_counts_daily values ('{campaign}', 'M', date '2026-03-01', "
                f"{'NULL' if language is None else repr(language)}, 'U1', 'running', 1, "
                f"{sent}, {delivered}, {sent - delivered}, 0, {sent - delivered}, {opened}, {zeros})"
            )
        con.execute(
            "create table marts.metrics_rollup as select 'overall' as grain, 0.5 as open_rate, "
            "date '2026-03-01' as send_month"
        )
    return path


def bundle_documents(path: Path) -> dict[str, dict]:
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        assert len({n.split("/")[0] for n in names}) == 1  # one top folder
        return {n.split("/", 1)[1]: yaml.safe_load(bundle.read(n)) for n in names}


def test_the_superset_bundle_lists_every_column_and_the_ratio_metrics(serving, tmp_path):
    out = tmp_path / "out.zip"
    summary = bi.write_superset_bundle(out, serving, MANIFEST)
    docs = bundle_documents(out)
    assert docs["metadata.yaml"]["version"] == "1.0.0" and docs["metadata.yaml"]["type"] == "SqlaTable"
    database = docs["databases/campaign_dw.yaml"]
    assert database["sqlalchemy_uri"] == f"duckdb:///{serving.resolve()}"
    assert database["extra"]["engine_params"] == {"connect_args": {"read_only": True}}
    assert database["uuid"] == str(uuid.UUID(database["uuid"])) == database["uuid"].lower()
    fact = docs["datasets/campaign_dw/email_counts_daily.yaml"]
    assert fact["database_uuid"] == database["uuid"] and fact["uuid"] == fact["uuid"].lower()
    with duckdb.connect(str(serving), read_only=True) as con:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'email_counts_daily' order by ordinal_position"
            ).fetchall()
        ]
        metrics = {m["metric_name"]: m for m in fact["metrics"]}
        # Every saved metric, evaluated as Superset would, per language: ratios of sums.
        got = dict(
            con.execute(
                f"select language, {metrics['open_rate']['expression']} from marts.email_counts_daily group by language"
            ).fetchall()
        )
    assert [c["column_name"] for c in fact["columns"]] == columns
    dttm = {c["column_name"] for c in fact["columns"] if c["is_dttm"]}
    assert dttm == {"send_date"} and fact["main_dttm_col"] == "send_date"
    assert {c["column_name"]: c["description"] for c in fact["columns"]}["send_date"] == "The UTC day it was sent."
    assert got == {"en": 10 / 40, "de": None, None: 1 / 4}  # de: nothing delivered -> NULL, not 0
    assert set(metrics) == set(COUNTS) | set(SPEC_RATES)
    assert all(m["d3format"] == ".1%" for name, m in metrics.items() if name in SPEC_RATES)
    assert "emails_opened / emails_delivered" in metrics["open_rate"]["description"]
    assert not [m for m in metrics.values() if "avg" in m["expression"].lower() or "_rate" in m["expression"]]
    # The rollup: listed for its columns, no metric that would add its grains up.
    assert docs["datasets/campaign_dw/metrics_rollup.yaml"]["metrics"] == []
    assert summary["datasets"] == {"email_counts_daily": 25, "metrics_rollup": 0}
    # Stable ids: a newer export updates the same objects in Superset.
    again = tmp_path / "again.zip"
    bi.write_superset_bundle(again, serving, MANIFEST)
    assert bundle_documents(again)["datasets/campaign_dw/email_counts_daily.yaml"]["uuid"] == fact["uuid"]


def test_the_cli_export_and_its_errors(serving, tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"  # its serving copy is the fixture's file
    out = tmp_path / "bundle.zip"
    assert main(["--warehouse", str(warehouse), "bi", "export", "superset", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"]["email_counts_daily"] == 25
    before = out.read_bytes()
    # A broken manifest: a clear message, and the earlier bundle is left as it was.
    (tmp_path / "bad.json").write_text("{")
    assert (
        main(
            [
                "--warehouse",
                str(warehouse),
                "bi",
                "export",
                "superset",
                str(out),
                "--manifest",
                str(tmp_path / "bad.json"),
            ]
        )
        == 2
    )
    assert "not JSON" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["--warehouse", str(tmp_path / "none.duckdb"), "bi", "export", "superset", str(out)]) == 2
    assert "no serving database" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
