"""The serving copy as a BI tool gets it: readable by the DuckDB clients that BI drivers ship
(1.0 on), with the marts' definitions as comments; and the docs site for the people who read
them."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import query

from campaign_dw.serving import MART_TABLES

PROJECT = Path(__file__).resolve().parents[1]
DUCKDB_1 = PROJECT / ".venv-duckdb1" / "bin" / "python"  # made by `make` (DuckDB 1.0.0)

READ_WITH_AN_OLD_CLIENT = r"""
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
marts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in sys.argv[2:]}
comment = con.execute("select comment from duckdb_columns() where schema_name = 'marts' "
                      "and table_name = 'campaign_metrics' and column_name = 'open_rate'").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "rows": marts, "open_rate": comment}))
"""


def test_a_duckdb_1_0_client_reads_every_mart(sample_warehouse):
    """BI drivers (JDBC for Metabase/DBeaver/Tableau, ODBC, Node for Evidence) ship DuckDB 1.x,
    which cannot open a file in DuckDB 2's newest storage format: serving is written for 1.0."""
    if not DUCKDB_1.exists():
        pytest.skip(f"{DUCKDB_1} is missing: `make setup` makes it (DuckDB 1.0.0 in an environment of its own)")
    serving = sample_warehouse.paths.serving_database
    read = subprocess.run(
        [str(DUCKDB_1), "-c", READ_WITH_AN_OLD_CLIENT, str(serving), *MART_TABLES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr[-2000:]
    seen = json.loads(read.stdout)
    assert seen["version"] == "1.0.0"
    assert seen["rows"] == {t: query(serving, f"select count(*) from marts.{t}")[0][0] for t in MART_TABLES}
    assert seen["open_rate"].startswith("emails_opened / emails_delivered")


def test_the_definitions_travel_with_the_data(sample_warehouse):
    """A BI tool's data browser shows what a mart and a column mean: dbt's descriptions are the
    serving copy's table and column comments; and what the numbers were computed with is in
    meta.definitions."""
    serving = sample_warehouse.paths.serving_database
    tables = dict(query(serving, "select table_name, comment from duckdb_tables() where schema_name = 'marts'"))
    assert set(tables) == set(MART_TABLES) and all(tables.values())
    undocumented = query(
        serving,
        "select table_name, column_name from duckdb_columns() "
        "where schema_name = 'marts' and (comment is null or comment = '')",
    )
    assert undocumented == []
    definitions = dict(query(serving, "select name, value from meta.definitions"))
    assert definitions["first_opens_tracked_since"] == "2025-08-07"
    assert definitions["bot_click_within_seconds"] == "10"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_docs_site_is_built_from_the_warehouse_and_served_on_localhost(sample_copy):
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("campaign-dw")),
            "--warehouse",
            str(sample_copy.warehouse),
            "docs",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as page:
                    assert "dbt" in page.read().decode().lower()
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json", timeout=5) as catalog:
                    nodes = json.loads(catalog.read())["nodes"]
                assert {n.split(".")[-1] for n in nodes} >= set(MART_TABLES)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()[-3000:]
                assert time.monotonic() < deadline, "the docs site never answered"
                time.sleep(1)
    finally:
        # SIGTERM, as a process manager stops it: the CLI ends the docs server it started in a
        # session of its own (a SIGKILL to the CLI's group would leave that server running).
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
