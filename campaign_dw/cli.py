"""The `campaign-dw` command line (SPEC §6)."""

from __future__ import annotations

import argparse
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from campaign_dw import config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="campaign-dw", description=__doc__)
    parser.add_argument(
        "--warehouse",
        help="the DuckDB warehouse file (default: $CAMPAIGN_DW_WAREHOUSE or <project>/warehouse/campaign_dw.duckdb)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="ingest raw files (SPEC §2) from DIR, each file exactly once")
    load.add_argument("directory", type=Path)

    build = commands.add_parser("build", help="run the whole pipeline once: the Dagster job the schedule runs")
    build.add_argument("--full-refresh", action="store_true", help="rebuild every incremental model from raw")
    build.add_argument("--landing", type=Path, help="also load new files from this folder first")
    build.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's step logs")
    build.add_argument("--target", choices=config.TARGETS, help="the engine dbt builds on (default: $CAMPAIGN_DW_TARGET or duckdb)")

    generate = commands.add_parser("generate", help="write deterministic synthetic raw data (Parquet)")
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--events", type=int, default=100_000, help="about how many events (default 100000)")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument(
        "--increment", type=int, default=0,
        help="write later batch N (new emails, late and duplicate events of earlier ones); 0 = the first batch",
    )

    ui = commands.add_parser("ui", help="start the Dagster UI (dagster dev) on localhost")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--target", choices=config.TARGETS, help="the engine the UI's runs build on (default: $CAMPAIGN_DW_TARGET or duckdb)")

    commands.add_parser("info", help="print warehouse, serving database, Parquet folder and last run as JSON")
    commands.add_parser("parse", help="prepare the dbt manifest (done by `make`; needed after a dbt change)")

    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (OSError, duckdb.IOException, duckdb.PermissionException) as error:
        # Disk full, permissions, a path that is not a directory: say which file and why.
        print(f"campaign-dw {args.command}: {_describe_io_error(error)}", file=sys.stderr)
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


def _run(args: argparse.Namespace) -> int:
    paths = config.paths(args.warehouse)
    # Children (dbt, Dagster, the UI) read the same warehouse and resource settings.
    os.environ["CAMPAIGN_DW_WAREHOUSE"] = str(paths.warehouse)
    os.environ.setdefault("CAMPAIGN_DW_DUCKDB_THREADS", str(os.cpu_count() or 1))
    if getattr(args, "target", None):
        os.environ["CAMPAIGN_DW_TARGET"] = args.target
    try:
        engine = config.target()
    except ValueError as error:
        print(f"campaign-dw {args.command}: {error}", file=sys.stderr)
        return 2
    if engine == "spark":
        from campaign_dw import spark

        try:
            spark.prepare(paths)  # where Spark keeps its tables, for dbt and the checks alike
        except RuntimeError as error:
            print(f"campaign-dw {args.command}: {error}", file=sys.stderr)
            return 2

    if args.command == "load":
        return _load(args.directory, paths)
    if args.command == "build":
        return _build(paths, full_refresh=args.full_refresh, landing=args.landing, verbose=args.verbose)
    if args.command == "generate":
        from campaign_dw.generate import generate as write_synthetic

        summary = write_synthetic(args.out, events=args.events, seed=args.seed, increment=args.increment)
        print(json.dumps(summary, indent=2))
        return 0
    if args.command == "ui":
        return _ui(args.port)
    if args.command == "info":
        from campaign_dw.serving import info

        print(json.dumps(info(paths), indent=2))
        return 0
    if args.command == "parse":
        return _dbt(["parse"])
    raise AssertionError(args.command)


def _load(directory: Path, paths: config.Paths) -> int:
    from campaign_dw.loader import load_directory

    try:
        report = load_directory(directory, paths)
    except FileNotFoundError as error:
        print(f"campaign-dw load: {error}", file=sys.stderr)
        return 2
    for outcome in report.outcomes:
        stream = sys.stderr if outcome.status == "refused" else sys.stdout
        print(outcome.line(), file=stream)
    print(report.summary())
    # Refused files are reported, not fatal: the others loaded. Exit 1 tells a scheduler.
    return 1 if report.count("refused") else 0


def _build(paths: config.Paths, full_refresh: bool, landing: Path | None, verbose: bool) -> int:
    from campaign_dw.serving import print_summary
    from orchestration.build import run_build

    outcome = run_build(paths, full_refresh=full_refresh, landing=landing, verbose=verbose)
    for line in outcome.warnings + outcome.problems:
        print(line, file=sys.stderr)
    print(f"run {outcome.run_id}: {outcome.checks_passed} checks passed, {len(outcome.warnings)} warnings, "
          f"{len(outcome.problems)} problems")
    if outcome.success:
        print_summary(paths)
        return 0
    if outcome.log_file:
        print(f"dbt's output: {outcome.log_file}", file=sys.stderr)
    print("build failed: the serving database keeps the last good marts", file=sys.stderr)
    return 1


def _dbt(args: list[str]) -> int:
    command = [config.DBT_EXECUTABLE, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR)]
    return subprocess.call(command, cwd=config.DBT_PROJECT_DIR)


def _ui(port: int) -> int:
    from orchestration.instance import prepare_dagster_home

    home = prepare_dagster_home()
    bin_dir = Path(sys.executable).parent
    # The venv's bin first on PATH: `dagster dev` re-parses the dbt project with `dbt`.
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    dagster = bin_dir / "dagster"
    print(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={home}); Ctrl-C stops it")
    command = [str(dagster), "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)]
    try:
        return subprocess.call(command, env=env, cwd=config.PROJECT_DIR)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
