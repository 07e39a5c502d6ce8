"""SPEC §8, metrics at any grain: the rollup, the semantic layer (MetricFlow) and
`campaign-dw metrics` give the ratio of the summed counts, never an average of rates."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import query

from campaign_dw.config import DBT_PROJECT_DIR
from campaign_dw.semantic import ROLLUP_GRAINS, SemanticLayer, SemanticLayerError

CLI = [str(Path(sys.executable).with_name("campaign-dw"))]


def cli(settings, *args) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--warehouse", str(settings.warehouse), *args], capture_output=True, text=True)


def test_english_and_overall_open_rates_from_the_rollup(sample_warehouse):
    # The reproduction of the issue: an average of the campaigns' rates gives 0.35 and 0.456.
    rows = dict(
        query(
            sample_warehouse.paths.serving_database,
            "select coalesce(language, grain), open_rate from marts.metrics_rollup "
            "where grain = 'overall' or (grain = 'language' and language = 'en')",
        )
    )
    assert rows == {"overall": pytest.approx(33 / 155), "en": pytest.approx(31 / 152)}


def test_every_grain_of_the_rollup_is_there(sample_warehouse):
    grains = {
        g for (g,) in query(sample_warehouse.paths.serving_database, "select distinct grain from marts.metrics_rollup")
    }
    assert grains == set(ROLLUP_GRAINS)


def test_the_semantic_layer_defines_every_rate_as_a_ratio_of_counts():
    layer = SemanticLayer(DBT_PROJECT_DIR / "target")
    ratios = {m.name: (m.numerator, m.denominator) for m in layer.metrics.values() if m.type == "ratio"}
    assert ratios["open_rate"] == ("emails_opened", "emails_delivered")
    assert ratios["click_through_rate"] == ("emails_clicked", "emails_opened")
    assert ratios["people_click_through_rate"] == ("emails_clicked_by_people", "emails_opened_by_people")
    assert len(ratios) == 11
    sql = layer.sql(["open_rate"], ["language"])
    assert "NULLIF(emails_delivered, 0)" in sql and "AVG(" not in sql.upper()
    # Relations are named without the dbt target's catalog: the SQL runs on the serving copy.
    assert "FROM marts.email_counts_daily" in sql


def test_an_unknown_metric_or_dimension_says_what_exists():
    layer = SemanticLayer(DBT_PROJECT_DIR / "target")
    with pytest.raises(SemanticLayerError, match="the metrics are: .*open_rate"):
        layer.sql(["open_ratez"])
    with pytest.raises(SemanticLayerError, match="campaign__language"):
        layer.sql(["open_rate"], ["colour"])


def test_metrics_command_by_language_month_and_filtered(sample_warehouse):
    result = cli(
        sample_warehouse, "metrics", "--metric", "open_rate,emails_opened", "--by", "language", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    by_language = {r["language"]: r for r in json.loads(result.stdout)}
    assert by_language["en"]["open_rate"] == pytest.approx(31 / 152)
    assert by_language["en"]["emails_opened"] == 31

    result = cli(sample_warehouse, "metrics", "--metric", "open_rate", "--format", "csv")
    assert result.stdout.splitlines() == ["open_rate", str(33 / 155)]

    result = cli(
        sample_warehouse,
        "metrics",
        "--metric",
        "open_rate",
        "--by",
        "language,month",
        "--where",
        "{{ Dimension('campaign__language') }} = 'en'",
        "--format",
        "json",
    )
    rows = json.loads(result.stdout)
    assert {(r["language"], r["month"]) for r in rows} == {
        ("en", "2025-06-01"),
        ("en", "2026-03-01"),
        ("en", "2026-04-01"),
    }

    table = cli(sample_warehouse, "metrics", "--metric", "open_rate", "--by", "language").stdout
    assert table.split() == ["language", "open_rate", "de", "0.6667", "en", "0.2039"]


def test_metrics_command_refuses_an_unknown_metric(sample_warehouse):
    result = cli(sample_warehouse, "metrics", "--metric", "open_ratez")
    assert result.returncode == 2
    assert "unknown metric open_ratez" in result.stderr


def test_metrics_command_without_a_serving_copy(tmp_path):
    from campaign_dw.config import Settings

    result = cli(Settings(warehouse=tmp_path / "none.duckdb"), "metrics", "--metric", "open_rate")
    assert result.returncode == 1
    assert "no serving copy" in result.stderr


def test_the_rollups_sql_is_asked_of_metricflow_once_per_definitions(sample_warehouse, tmp_path, monkeypatch):
    # The blocking check asks the same questions every build: their SQL is kept beside the
    # semantic manifest, and asked again when the definitions change.
    import duckdb

    from campaign_dw.semantic import SQL_CACHE

    manifest_path = tmp_path / "semantic_manifest.json"
    manifest_path.write_text((DBT_PROJECT_DIR / "target" / "semantic_manifest.json").read_text())
    with duckdb.connect(str(sample_warehouse.paths.serving_database), read_only=True) as con:

        def run(sql):
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

        def open_rates(layer):
            # Keyed by every column but the rate: a grain such as language_month has a row per month.
            rows = layer.rollup(run, ["open_rate"])
            return {tuple((k, str(v)) for k, v in sorted(r.items()) if k != "open_rate"): r["open_rate"] for r in rows}

        def overall(rates):
            (rate,) = [v for k, v in rates.items() if ("grain", "overall") in k]
            return rate

        first = open_rates(SemanticLayer(tmp_path))
        assert overall(first) == pytest.approx(33 / 155)
        assert len(json.loads((tmp_path / SQL_CACHE).read_text())["sql"]) == len(ROLLUP_GRAINS)

        asked = []
        sql = SemanticLayer.sql
        monkeypatch.setattr(SemanticLayer, "sql", lambda self, *a, **k: asked.append(a) or sql(self, *a, **k))
        assert open_rates(SemanticLayer(tmp_path)) == first
        assert asked == []  # the same definitions: MetricFlow not asked

        manifest = json.loads(manifest_path.read_text())
        (open_rate,) = [m for m in manifest["metrics"] if m["name"] == "open_rate"]
        open_rate["type_params"]["denominator"]["name"] = "emails_sent"  # a changed definition
        manifest_path.write_text(json.dumps(manifest))
        changed = open_rates(SemanticLayer(tmp_path))
        assert len(asked) == len(ROLLUP_GRAINS)
        assert overall(changed) != overall(first)
