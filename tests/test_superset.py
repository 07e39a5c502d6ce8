"""`campaign-dw bi export superset` imported into a real Apache Superset 6.1.0 (its own venv,
`make test` installs it: .venv-superset), then asked for a chart's data through its REST API:
the saved metric open_rate grouped by language must be the ratio of the summed counts that
the serving copy gives, not an average of rates."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import duckdb
import pytest
import requests

from campaign_dw import bi
from campaign_dw.config import DBT_PROJECT_DIR, PROJECT_DIR

SUPERSET = PROJECT_DIR / ".venv-superset" / "bin" / "superset"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PASSWORD = "test-only-password"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def superset_env(tmp_path_factory) -> dict[str, str]:
    if not SUPERSET.exists():
        pytest.fail(f"{SUPERSET} is missing: `make test` installs it (the Makefile's .venv-superset target)")
    home = tmp_path_factory.mktemp("superset")
    config = home / "superset_config.py"
    config.write_text(
        f"SECRET_KEY = 'test-only-{os.getpid()}-secret-key-of-some-length'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
        "WTF_CSRF_ENABLED = False\n"
        "FEATURE_FLAGS = {}\n"
        "CACHE_CONFIG = {'CACHE_TYPE': 'NullCache'}\n"
        "DATA_CACHE_CONFIG = {'CACHE_TYPE': 'NullCache'}\n"
        "RATELIMIT_ENABLED = False\n"
        "TALISMAN_ENABLED = False\n"
    )
    return {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(config),
        "SUPERSET_HOME": str(home),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONWARNINGS": "ignore",
    }


def superset(env: dict, *args: str, timeout: float = 600) -> str:
    done = subprocess.run([str(SUPERSET), *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"superset {' '.join(args)}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_superset_imports_the_bundle_and_answers_ratios_of_sums(sample_warehouse, superset_env, tmp_path):
    serving = sample_warehouse.paths.serving_database
    bundle = tmp_path / "campaign_dw.zip"
    summary = bi.write_superset_bundle(bundle, serving, MANIFEST)
    assert summary["datasets"]["email_counts_daily"] >= 25  # 14 counts + 11 rates

    env = superset_env
    superset(env, "db", "upgrade")
    superset(
        env,
        "fab",
        "create-admin",
        "--username",
        "admin",
        "--firstname",
        "A",
        "--lastname",
        "D",
        "--email",
        "admin@localhost",
        "--password",
        PASSWORD,
    )
    superset(env, "init")
    superset(env, "import-datasources", "-p", str(bundle), "-u", "admin")

    port = _free_port()
    log = (tmp_path / "superset.log").open("w")
    server = subprocess.Popen(
        [str(SUPERSET), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{base}/health", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (tmp_path / "superset.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Superset did not start in 180 s"
            time.sleep(1)
        session = requests.Session()
        login = session.post(
            f"{base}/api/v1/security/login",
            timeout=30,
            json={"username": "admin", "password": PASSWORD, "provider": "db", "refresh": False},
        )
        assert login.ok, login.text
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        found = session.get(
            f"{base}/api/v1/dataset/",
            timeout=30,
            params={"q": "(filters:!((col:table_name,opr:eq,value:email_counts_daily)))"},
        ).json()
        (dataset,) = found["result"]
        detail = session.get(f"{base}/api/v1/dataset/{dataset['id']}", timeout=30).json()["result"]
        saved = {m["metric_name"]: m for m in detail["metrics"]}
        assert saved["open_rate"]["expression"] == "SUM(emails_opened) / NULLIF(SUM(emails_delivered), 0)"
        assert saved["open_rate"]["d3format"] == ".1%"
        assert not [m for m in saved.values() if "avg" in m["expression"].lower()]
        with duckdb.connect(str(serving), read_only=True) as con:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = 'email_counts_daily'"
                ).fetchall()
            ]
            expected = dict(
                con.execute(
                    "select coalesce(language, '<NULL>'), sum(emails_opened) / nullif(sum(emails_delivered), 0) "
                    "from marts.email_counts_daily group by all"
                ).fetchall()
            )
            overall = con.execute(
                "select sum(emails_opened) / nullif(sum(emails_delivered), 0) from marts.email_counts_daily"
            ).fetchone()[0]
        assert {c["column_name"] for c in detail["columns"]} == set(columns)

        def chart_data(groupby: list[str]) -> list[dict]:
            response = session.post(
                f"{base}/api/v1/chart/data",
                timeout=60,
                json={
                    "datasource": {"id": dataset["id"], "type": "table"},
                    "force": True,
                    "queries": [{"columns": groupby, "metrics": ["open_rate"], "row_limit": 100}],
                    "result_format": "json",
                    "result_type": "full",
                },
            )
            assert response.ok, response.text
            return response.json()["result"][0]["data"]

        by_language = {
            r["language"] if r["language"] is not None else "<NULL>": r["open_rate"] for r in chart_data(["language"])
        }
        print("Superset open_rate by language:", by_language)
        assert by_language.keys() == expected.keys()
        for language, rate in expected.items():
            assert by_language[language] == pytest.approx(rate), language
        assert by_language["en"] == pytest.approx(31 / 152)  # the sample's documented figure
        (everything,) = chart_data([])
        print("Superset open_rate, all campaigns:", everything["open_rate"])
        assert everything["open_rate"] == pytest.approx(overall)
        assert round(everything["open_rate"], 3) == 0.213
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        log.close()
