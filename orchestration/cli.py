"""The `campaign-dw` command line (SPEC §6).

It sits above both packages: it drives the library (`campaign_dw`: load, generate, serving)
and runs Dagster (`orchestration`). Its flags and the environment become one `Settings`
value, passed down as the warehouse resource's config; nothing below reads the environment.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from campaign_dw import config
from campaign_dw.config import Settings
from campaign_dw.providers import PROVIDERS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="campaign-dw", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        help="the DuckDB warehouse file (default: $CAMPAIGN_DW_WAREHOUSE or <project>/warehouse/campaign_dw.duckdb)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="ingest raw files (SPEC §2) from DIR, each file exactly once")
    load.add_argument("directory", type=Path)

    build = commands.add_parser("build", help="run the whole pipeline once: the Dagster job the schedule runs")
    build.add_argument(
        "--landing",
        type=Path,
        help="load new files from this folder first (default: $CAMPAIGN_DW_LANDING; none: load nothing)",
    )
    build.add_argument("--full-refresh", action="store_true", help="rebuild every incremental model from raw")
    build.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's step logs")
    build.add_argument(
        "--target", choices=config.TARGETS, help="the engine dbt builds on (default: $CAMPAIGN_DW_TARGET or duckdb)"
    )

    generate = commands.add_parser(
        "generate", help="write deterministic synthetic raw data (Parquet; the events optionally as an email service's)"
    )
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--events", type=int, default=100_000, help="about how many events (default 100000)")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument(
        "--increment",
        type=int,
        default=0,
        help="write later batch N (new emails, late and duplicate events of earlier ones); 0 = the first batch",
    )
    generate.add_argument(
        "--format",
        choices=("native", *PROVIDERS),
        default="native",
        help="the events as SPEC §2 Parquet (native) or as an email service sends them, in DIR/<service>/ "
        "(the email_id in its metadata under $CAMPAIGN_DW_EMAIL_ID_KEY or email_id; SPEC §2c)",
    )

    ui = commands.add_parser("ui", help="start the Dagster UI on localhost, with this warehouse's Dagster instance")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument(
        "--landing", type=Path, help="the folder the UI's runs and the sensor load from (default: $CAMPAIGN_DW_LANDING)"
    )
    ui.add_argument(
        "--target",
        choices=config.TARGETS,
        help="the engine the UI's runs build on (default: $CAMPAIGN_DW_TARGET or duckdb)",
    )

    dashboard = commands.add_parser(
        "dashboard", help="serve the campaign dashboard (reads the serving copy) on localhost"
    )
    dashboard.add_argument("--port", type=int, default=8501)

    docs = commands.add_parser(
        "docs", help="build and serve dbt's docs site (models, columns, tests, lineage) on localhost"
    )
    docs.add_argument("--port", type=int, default=8080)

    cluster = commands.add_parser(
        "spark-cluster",
        help="start, stop or show a local Spark standalone cluster with a Thrift server (for --target spark)",
    )
    cluster.add_argument("action", choices=("start", "stop", "status"))
    cluster.add_argument(
        "--thrift-port", type=int, default=10000, help="the Thrift server's port on 127.0.0.1 (default 10000)"
    )
    cluster.add_argument("--worker-memory", default="4g", help="the worker's memory for executors (default 4g)")

    bi = commands.add_parser("bi", help="export the metric definitions to a BI tool (SPEC §8)")
    bi_commands = bi.add_subparsers(dest="bi_command", required=True)
    bi_export = bi_commands.add_parser(
        "export",
        help="write an import bundle: `bi export superset OUT.zip` for `superset import-datasources -p OUT.zip`",
    )
    bi_export.add_argument("tool", choices=("superset",))
    bi_export.add_argument("out", type=Path)
    bi_export.add_argument("--manifest", type=Path, help="the dbt manifest (default: dbt_project/target/manifest.json)")
    bi_export.add_argument("--database-name", default="campaign_dw", help="the database's name in the BI tool")
    metrics = commands.add_parser(
        "metrics", help="ask the semantic layer: rates and counts at any grain, from the serving copy (SPEC §8)"
    )
    metrics.add_argument(
        "--metric",
        required=True,
        help="one or more metrics, comma-separated (open_rate,emails_sent); `--metric list` lists them",
    )
    metrics.add_argument(
        "--by",
        default="",
        help="group by, comma-separated: language, owner, status, campaign, message, step, "
        "day, week, month, quarter, year (or a MetricFlow name such as campaign__language)",
    )
    metrics.add_argument(
        "--where",
        action="append",
        default=[],
        help="a filter in MetricFlow's syntax, e.g. \"{{ Dimension('campaign__language') }} = 'en'\"",
    )
    metrics.add_argument("--format", choices=("table", "csv", "json"), default="table")
    commands.add_parser("info", help="print warehouse, serving database, Parquet folder and last run as JSON")
    commands.add_parser("parse", help="prepare the dbt manifest (done by `make`; needed after a dbt change)")

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(args.warehouse, getattr(args, "target", None), getattr(args, "landing", None))
    except ValueError as error:
        print(f"campaign-dw {args.command}: {error}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args, settings)
    except (OSError, duckdb.IOException, duckdb.PermissionException) as error:
        # Disk full, permissions, a path that is not a directory: say which file and why.
        print(f"campaign-dw {args.command}: {_describe_io_error(error)}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # a missing prerequisite (Java for Spark, say)
        print(f"campaign-dw {args.command}: {error}", file=sys.stderr)
        return 2


def _describe_io_error(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        text = f"{error.strerror}: {error.filename}"
    else:
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    hint = ""
    full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
    if full or "No space left" in text or "File too large" in text:
        hint = " (the disk or a file size limit is full: free space, or point --warehouse elsewhere)"
    elif isinstance(error, PermissionError) or "Permission denied" in text:
        hint = " (no permission: check the owner and mode of the warehouse folder)"
    return text + hint


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw.loader import load_directory

    try:
        report = load_directory(args.directory, settings.paths, settings.duckdb_config, settings.email_id_key)
    except FileNotFoundError as error:
        print(f"campaign-dw load: {error}", file=sys.stderr)
        return 2
    for outcome in report.outcomes:
        stream = sys.stderr if outcome.status == "refused" else sys.stdout
        print(outcome.line(), file=stream)
    print(report.summary())
    # Refused files are reported, not fatal: the others loaded. Exit 1 tells a scheduler.
    return 1 if report.count("refused") else 0


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw.build_record import nothing_new
    from campaign_dw.engine import engine_for
    from campaign_dw.serving import print_summary
    from orchestration.build import run_build
    from orchestration.defs.ingest import NO_LANDING

    # Whatever the engine lacks (Spark: Java, pyspark) is said before anything is written.
    engine_for(settings).prepare()
    if settings.landing is None:
        print(NO_LANDING, file=sys.stderr)
    elif not settings.landing.is_dir():
        print(f"campaign-dw build: the landing folder {settings.landing} is not a directory", file=sys.stderr)
        return 2
    if not args.full_refresh and (last := nothing_new(settings)):
        print(
            f"nothing new since build {last['run_id']} (completed {last['completed_at']}): no new files or raw "
            "rows, no definition or setting changed; serving left as it is (--full-refresh rebuilds anyway)"
        )
        print_summary(settings.paths)
        return 0
    outcome, log_file = run_build(settings, full_refresh=args.full_refresh, verbose=args.verbose)
    for line in outcome.warnings + outcome.problems:
        print(line, file=sys.stderr)
    print(
        f"run {outcome.run_id}: {outcome.checks_passed} checks passed, {len(outcome.warnings)} warnings, "
        f"{len(outcome.problems)} problems"
    )
    if outcome.status == "success":
        print_summary(settings.paths)
        return 0
    if log_file:
        print(f"dbt's output: {log_file}", file=sys.stderr)
    print("build failed: the serving database keeps the last good marts", file=sys.stderr)
    return 1


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw.generate import generate as write_synthetic

    summary = write_synthetic(
        args.out,
        events=args.events,
        seed=args.seed,
        increment=args.increment,
        fmt=args.format,
        email_id_key=settings.email_id_key,
    )
    print(json.dumps(summary, indent=2))
    return 0


def _bi(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw import bi

    manifest = args.manifest or config.DBT_PROJECT_DIR / "target" / "manifest.json"
    try:
        summary = bi.write_superset_bundle(args.out, settings.paths.serving_database, manifest, args.database_name)
    except bi.DefinitionError as error:
        print(f"campaign-dw bi: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


def _metrics(args: argparse.Namespace, settings: Settings) -> int:
    import csv
    from datetime import datetime, time

    from campaign_dw.semantic import SemanticLayer, SemanticLayerError

    try:
        layer = SemanticLayer(config.DBT_PROJECT_DIR / "target")
        if args.metric == "list":
            for metric in layer.metrics.values():
                print(f"{metric.name:28} {metric.description}")
            return 0
        by = [b.strip() for b in args.by.split(",") if b.strip()]
        sql = layer.sql([m.strip() for m in args.metric.split(",") if m.strip()], by, args.where, by)
    except SemanticLayerError as error:
        print(f"campaign-dw metrics: {error}", file=sys.stderr)
        return 2
    serving = settings.paths.serving_database
    if not serving.exists():
        print(f"campaign-dw metrics: no serving copy at {serving} yet: run `campaign-dw build` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(serving), read_only=True) as con:
        cursor = con.execute(sql)
        # MetricFlow names a group-by by its entity path (campaign__language): say it as asked.
        asked = {SemanticLayer.group_by_name(b): b for b in by}
        columns = [asked.get(d[0], d[0]) for d in cursor.description]
        # A month or a day is a date, whatever type MetricFlow's truncation gives it.
        rows = [
            tuple(v.date() if isinstance(v, datetime) and v.time() == time() else v for v in row)
            for row in cursor.fetchall()
        ]
    if args.format == "json":
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2, default=str))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:

        def cell(value) -> str:
            return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)

        table = [columns] + [[cell(v) for v in row] for row in rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
        for line in table:
            print("  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)))
    return 0


def _info(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.status import info

    print(json.dumps(info(settings.paths), indent=2))
    return 0


def _parse(args: argparse.Namespace, settings: Settings) -> int:
    command = [
        config.DBT_EXECUTABLE,
        "parse",
        "--project-dir",
        str(config.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(config.DBT_PROJECT_DIR),
    ]
    return subprocess.call(command, cwd=config.DBT_PROJECT_DIR)


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw.engine import engine_for
    from orchestration.instance import prepare_dagster_home

    engine_for(settings).prepare()
    home = prepare_dagster_home(settings.paths)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        # The code location builds its warehouse resource from these (orchestration/defs/resources.py).
        "CAMPAIGN_DW_WAREHOUSE": str(settings.warehouse),
        "CAMPAIGN_DW_TARGET": settings.target,
        "CAMPAIGN_DW_DUCKDB_THREADS": str(settings.duckdb_threads),
        "CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "CAMPAIGN_DW_DBT_THREADS": str(settings.dbt_threads),
        "DAGSTER_HOME": str(home),
        # `dg dev` runs the code location in this environment (the project's), whose bin has
        # `dbt` (the UI re-parses the dbt project with it).
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if settings.landing:
        env["CAMPAIGN_DW_LANDING"] = str(settings.landing)
    print(f"Dagster UI on http://127.0.0.1:{args.port} for {settings.warehouse} (DAGSTER_HOME={home}); Ctrl-C stops it")
    command = [str(bin_dir / "dg"), "dev", "--use-active-venv", "-h", "127.0.0.1", "-p", str(args.port)]
    if not Path(command[0]).exists():
        print(
            f"error: {command[0]} is missing: install the project with `make setup` (dagster-dg-cli)", file=sys.stderr
        )
        return 2
    return _serve(command, env=env, cwd=config.PROJECT_DIR)


def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    app = config.PROJECT_DIR / "dashboard" / "app.py"
    env = {**os.environ, "CAMPAIGN_DW_WAREHOUSE": str(settings.warehouse)}
    print(
        f"Campaign dashboard on http://127.0.0.1:{args.port} (reads {settings.paths.serving_database}); Ctrl-C stops it"
    )
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        str(app),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(args.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    return _serve(command, env=env, cwd=config.PROJECT_DIR)


def _docs(args: argparse.Namespace, settings: Settings) -> int:
    """dbt's docs site for this warehouse: the catalog is read from the warehouse (waiting for a
    run in progress), then the static site is served from the warehouse's docs folder."""
    from campaign_dw.engine import engine_for
    from campaign_dw.warehouse import writer_lock

    target = settings.paths.root / f"{settings.warehouse.stem}_dbt_docs"
    common = [
        "--project-dir",
        str(config.DBT_PROJECT_DIR),
        "--profiles-dir",
        str(config.DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--vars",
        json.dumps({**settings.dbt_vars(), **engine_for(settings).dbt_vars()}),
    ]
    with writer_lock(settings.paths):
        built = subprocess.call([config.DBT_EXECUTABLE, "docs", "generate", *common], cwd=config.DBT_PROJECT_DIR)
    if built != 0:
        return built
    print(f"dbt docs on http://127.0.0.1:{args.port}; Ctrl-C stops it")
    return _serve(
        [
            config.DBT_EXECUTABLE,
            "docs",
            "serve",
            *common,
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
            "--no-browser",
        ],
        cwd=config.DBT_PROJECT_DIR,
    )


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
GRACE_SECONDS = 30  # dg dev gives its webserver and daemon 10 s each before it kills them


def _serve(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> int:
    """Run a server until it ends or the CLI is told to stop (Ctrl-C, `kill PID`, a process
    manager's SIGTERM or a closed terminal): the stop goes to the server's whole process group
    (dg dev's webserver, daemon and code server too), and the CLI returns once they are gone,
    so that nothing is left holding the port. The server gets a session of its own: signals
    reach it through the CLI only, once."""
    stopping: list[int] = []
    server: subprocess.Popen | None = None

    def forward(signum: int, frame) -> None:
        stopping.append(signum)
        if server is not None:
            _signal_group(server.pid, signum)

    previous = {signum: signal.signal(signum, forward) for signum in STOP_SIGNALS}
    try:
        server = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)
        if stopping:  # told to stop while it was starting
            _signal_group(server.pid, stopping[0])
        returncode = server.wait()
    finally:
        if server is not None:
            _end_group(server.pid)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stopping else returncode


def _signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
        return True
    except ProcessLookupError:
        return False  # the group is gone already


def _end_group(pgid: int) -> None:
    """The processes the server left behind (a grandchild whose parent died first): asked to
    stop, then killed after the grace period."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        if not _signal_group(pgid, 0):
            return
        time.sleep(0.2)
    _signal_group(pgid, signal.SIGKILL)


def _spark_cluster(args: argparse.Namespace, settings: Settings) -> int:
    from campaign_dw.spark import cluster as spark_cluster
    from campaign_dw.spark.conf import require_spark

    if args.action == "start":
        require_spark()
        print(
            f"starting a Spark master, a worker and the Thrift server (logs in {spark_cluster.cluster_dir(settings.paths)}/logs) ...",
            file=sys.stderr,
        )
        state = spark_cluster.start(settings.paths, thrift_port=args.thrift_port, worker_memory=args.worker_memory)
        print(json.dumps(state, indent=2))
        print(
            "build on it with: "
            + " ".join(f"{k}={v}" for k, v in state["environment"].items())
            + " campaign-dw build ...",
            file=sys.stderr,
        )
        return 0
    if args.action == "stop":
        ended = spark_cluster.stop(settings.paths)
        print(json.dumps({"stopped": ended}))
        return 0
    state = spark_cluster.status(settings.paths)
    print(json.dumps(state, indent=2))
    return 0 if state["running"] else 1


COMMANDS = {
    "bi": _bi,
    "metrics": _metrics,
    "spark-cluster": _spark_cluster,
    "dashboard": _dashboard,
    "docs": _docs,
    "load": _load,
    "build": _build,
    "generate": _generate,
    "ui": _ui,
    "info": _info,
    "parse": _parse,
}


if __name__ == "__main__":
    sys.exit(main())
