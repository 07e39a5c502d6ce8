"""`make bench`: how fast the warehouse is, against a hand-written floor.

For each size: generate raw Parquet (`campaign-dw generate`), then as a user would, in fresh
processes: `campaign-dw load` and `campaign-dw build` on an empty warehouse (full), a build
with nothing new (the fixed cost of dbt, Dagster, the checks and publishing), +1% new events
(`generate --increment 1`, load, build: incremental), and +1% late events spread over every
campaign. The floor (benchmarks/floor.py) builds the same marts from the same files in one
DuckDB process; its marts must equal ours.

    python benchmarks/bench.py                 # 1M and 10M events
    python benchmarks/bench.py --sizes 1M      # one size
    python benchmarks/bench.py --with-100m     # adds 100M (long; bounded by a memory_limit)
    python benchmarks/bench.py --sizes 100M --floor-up-to 10M   # 100M without its floor
    python benchmarks/bench.py --sizes 100M --floor-up-to 10M --reuse-data   # again, same files
    python benchmarks/bench.py --sizes 1M --target spark   # the same on a local Spark
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from campaign_dw import config

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("campaign-dw"))
MARTS = (
    "campaign_overview",
    "campaign_messages",
    "campaign_metrics",
    "campaign_message_metrics",
    "campaign_link_clicks",
    "campaign_message_link_clicks",
    "campaign_open_heatmap",
    "campaign_message_open_heatmap",
)


def progress(message: str) -> None:
    """Each phase as it ends: a long (100M) run shows where it is, and what it did if a later
    phase fails."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: list[str], env: dict) -> tuple[float, float]:
    """Run a command; (seconds, peak RSS in MiB of it and its children)."""
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{process.stderr.read()[-3000:]}")
    progress(
        f"{' '.join(Path(a).name if '/' in a else a for a in args[1:])}: {seconds:.1f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:,.0f} MiB"
    )
    return seconds, usage.ru_maxrss / 1024


def dbt_results(started: float, warehouse: Path) -> list[dict]:
    """The node results of the dbt build that ran since `started` (its run_results.json, in the
    warehouse's dbt target folder)."""
    results = warehouse.with_name(f"{warehouse.stem}_dbt_target") / "run_results.json"
    return json.loads(results.read_text())["results"] if results.exists() and results.stat().st_mtime >= started else []


def slowest_steps(results: list[dict], top: int = 8) -> list[tuple[str, float]]:
    """The dbt nodes of the build that just ended, slowest first, printed so that a figure
    comes with where the time went."""
    if not results:
        return []
    steps = sorted(
        ((r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in results), key=lambda step: -step[1]
    )
    progress(
        "  slowest dbt nodes: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps[:top])
        + f"; all {len(steps)} nodes {sum(s for _, s in steps):.1f} s"
    )
    return steps[:top]


def phases(dagster_home: Path, started: float, seconds: float, results: list[dict]) -> dict[str, float]:
    """Where a build's wall time went, from its Dagster run's step events and dbt's node
    timings: the start-up overhead of Python, Dagster and dbt apart from the work."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        latest = instance.get_run_records(limit=1)[0]
        if latest.create_timestamp.timestamp() < started:
            return {}  # no run: the build found nothing new and ended at once
        run_id = latest.dagster_run.run_id
        marks, steps = {}, {}
        for record in instance.all_logs(run_id):
            kind = record.dagster_event_type
            if kind in (DagsterEventType.RUN_START, DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
                marks[kind] = record.timestamp
            elif kind == DagsterEventType.STEP_START:
                steps[record.step_key] = [record.timestamp, record.timestamp]
            elif kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                steps[record.step_key][1] = record.timestamp
    run_start = marks[DagsterEventType.RUN_START]
    run_end = marks.get(DagsterEventType.RUN_SUCCESS, marks.get(DagsterEventType.RUN_FAILURE))
    dbt_start, dbt_end = steps.pop("warehouse_dbt_models")
    times = [
        datetime.fromisoformat(t[key]).timestamp()
        for r in results
        for t in r["timing"]
        for key in ("started_at", "completed_at")
    ]
    first_node, last_node = (min(times), max(times)) if times else (dbt_start, dbt_end)

    def span(names: set[str]) -> float:
        return sum(end - start for name, (start, end) in steps.items() if name in names)

    return {
        "python_and_dagster_startup": (run_start - started) + (started + seconds - run_end),
        "landing_and_freshness": span({"raw_tables", "raw_freshness"}),
        "dbt_startup": (first_node - dbt_start) + (dbt_end - last_node),
        "dbt_nodes": last_node - first_node,
        "python_checks": span(set(steps) - {"raw_tables", "raw_freshness", "serving__marts"}),
        "serving": span({"serving__marts"}),
    }


def build(landing: Path, env: dict) -> tuple[float, float, list[tuple[str, float]], dict[str, float]]:
    """`campaign-dw build` of a landing folder; (seconds, peak RSS, slowest dbt nodes, phases)."""
    started = time.time()
    seconds, rss = run([CLI, "build", "--landing", str(landing)], env)
    results = dbt_results(started, Path(env["CAMPAIGN_DW_WAREHOUSE"]))
    warehouse = Path(env["CAMPAIGN_DW_WAREHOUSE"])
    split = phases(warehouse.with_name(f"{warehouse.stem}_dagster"), started, seconds, results)
    progress("  phases: " + (", ".join(f"{name} {value:.1f} s" for name, value in split.items()) or "no run"))
    return seconds, rss, slowest_steps(results), split


def size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * factor)


def compare(ours: Path, theirs: Path) -> list[str]:
    """Marts that differ between the project's serving copy and the floor's database."""
    differ = []
    with duckdb.connect() as con:
        con.execute(f"attach '{ours}' as ours (read_only)")
        con.execute(f"attach '{theirs}' as floor (read_only)")
        for mart in MARTS:
            # The floor computes the seed's figures; the people figures (SPEC §3b) are ours only.
            theirs = {r[0] for r in con.execute(f"describe floor.marts.{mart}").fetchall()}
            columns = [r[0] for r in con.execute(f"describe ours.marts.{mart}").fetchall() if r[0] in theirs]
            cols = ", ".join(columns)
            missing = con.execute(
                f"select count(*) from (select {cols} from ours.marts.{mart} except all select {cols} from floor.marts.{mart})"
            ).fetchone()[0]
            extra = con.execute(
                f"select count(*) from (select {cols} from floor.marts.{mart} except all select {cols} from ours.marts.{mart})"
            ).fetchone()[0]
            if missing or extra:
                differ.append(f"{mart}: {missing} rows only in ours, {extra} only in the floor")
    return differ


def run_floor(raw: Path, floor_db: Path, memory_limit: str | None) -> tuple[float | None, str]:
    """The floor's seconds, or None and why it failed: a floor that cannot finish (at the
    largest size its one big query can spill more than the disk holds) is a figure too, and
    must not cost the +1% measurement that comes after it. In a process of its own: a process
    forked later would start with the floor's memory and report it as its own peak RSS."""
    args = [
        sys.executable,
        str(Path(__file__).with_name("floor.py")),
        str(raw),
        str(floor_db),
        *(["--memory-limit", memory_limit] if memory_limit else []),
    ]
    try:
        process = subprocess.run(args, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(floor_db.with_name(floor_db.name + ".tmp"), ignore_errors=True)  # its spill files
    if process.returncode != 0:
        # the exception's line of the traceback (DuckDB's messages go on over more lines)
        raised = [line for line in process.stderr.splitlines() if re.match(r"[\w.]+(Error|Exception): ", line)]
        problem = raised[-1] if raised else process.stderr.strip()[-300:]
        progress(f"floor failed: {problem}")
        return None, problem
    seconds = float(process.stdout.split()[-1])
    progress(f"floor: {seconds:.1f} s")
    return seconds, ""


def bench(
    events: int,
    work: Path,
    memory_limit: str | None,
    target: str = "duckdb",
    with_floor: bool = True,
    reuse_data: bool = False,
) -> dict:
    raw = work / f"raw-{events}"
    increment = work / f"raw-{events}-increment"
    warehouse = work / f"wh-{target}-{events}" / "warehouse.duckdb"
    # The generator is deterministic: --reuse-data keeps the first batch an earlier run
    # generated (its +1% batch was moved out of it, and is generated again below).
    reuse = reuse_data and (raw / "email_events").is_dir()
    for path in (increment, warehouse.parent) if reuse else (raw, increment, warehouse.parent):
        shutil.rmtree(path, ignore_errors=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CAMPAIGN_DW_LANDING")},
        "CAMPAIGN_DW_WAREHOUSE": str(warehouse),
        "CAMPAIGN_DW_TARGET": target,
    }
    if memory_limit:
        env["CAMPAIGN_DW_DUCKDB_MEMORY_LIMIT"] = memory_limit

    generate_s = None if reuse else run([CLI, "generate", "--out", str(raw), "--events", str(events)], env)[0]
    raw_events = duckdb.execute(f"select count(*) from read_parquet('{raw}/email_events/*.parquet')").fetchone()[0]
    load_s, load_rss = run([CLI, "load", str(raw)], env)
    build_s, build_rss, build_steps, build_phases = build(raw, env)
    noop_s, _, noop_steps, noop_phases = build(raw, env)

    floor_db = work / f"floor-{events}.duckdb"
    floor_db.unlink(missing_ok=True)
    floor_s, floor_error = run_floor(raw, floor_db, memory_limit) if with_floor else (None, "not run (--floor-up-to)")
    differences = compare(warehouse.with_name("warehouse_serving.duckdb"), floor_db) if floor_s else []
    floor_db.unlink(missing_ok=True)  # as large as the marts of the size: not kept

    # +1%: batch 1 of the same data set, in its own landing folder.
    run([CLI, "generate", "--out", str(raw), "--events", str(events), "--increment", "1"], env)
    for table_dir in raw.iterdir():
        for part in table_dir.glob("batch-0001*"):
            (increment / table_dir.name).mkdir(parents=True, exist_ok=True)
            shutil.move(part, increment / table_dir.name / part.name)
    new_events = duckdb.execute(f"select count(*) from read_parquet('{increment}/email_events/*.parquet')").fetchone()[
        0
    ]
    inc_load_s, _ = run([CLI, "load", str(increment)], env)
    inc_build_s, inc_rss, inc_steps, inc_phases = build(increment, env)

    # +1% that touches every running campaign: late events of emails spread over all of them.
    spread = work / f"raw-{events}-spread"
    shutil.rmtree(spread, ignore_errors=True)
    spread_events = write_spread_batch(raw, spread, new_events)
    spread_load_s, _ = run([CLI, "load", str(spread)], env)
    spread_build_s, spread_rss, spread_steps, spread_phases = build(spread, env)
    touched = duckdb.connect(str(warehouse), read_only=True)
    try:
        spread_campaigns = touched.execute("select count(*) from intermediate.int_campaigns_touched").fetchone()[0]
    finally:
        touched.close()

    # Sizes on disk after the +1% builds: the warehouse (its DuckDB file, the WAL checkpointed
    # when dbt closed it, and its landing store of the raw files), and the serving copy apart,
    # against the raw Parquet of both batches.
    raw_bytes = sum(f.stat().st_size for d in (raw, increment, spread) for f in d.rglob("*.parquet"))
    landed_bytes = sum(f.stat().st_size for f in config.paths(warehouse).landed_dir.rglob("*") if f.is_file())
    warehouse_bytes = warehouse.stat().st_size + landed_bytes
    serving_bytes = warehouse.with_name("warehouse_serving.duckdb").stat().st_size
    progress(
        f"sizes: raw Parquet {raw_bytes / 2**20:,.0f} MiB, warehouse {warehouse_bytes / 2**20:,.0f} MiB "
        f"({warehouse_bytes / raw_bytes:.1f}x; landing store {landed_bytes / 2**20:,.0f} MiB), "
        f"serving copy {serving_bytes / 2**20:,.0f} MiB"
    )

    return {
        "target": target,
        "raw_bytes": raw_bytes,
        "warehouse_bytes": warehouse_bytes,
        "landed_bytes": landed_bytes,
        "warehouse_to_raw": warehouse_bytes / raw_bytes,
        "serving_bytes": serving_bytes,
        "events": raw_events,
        "generate_s": generate_s,
        "load_s": load_s,
        "build_s": build_s,
        "full_s": load_s + build_s,
        "events_per_s": raw_events / (load_s + build_s),
        "peak_rss_mib": max(load_rss, build_rss, inc_rss, spread_rss),
        "noop_build_s": noop_s,
        "floor_s": floor_s,
        "floor_error": floor_error,
        "ratio_to_floor": (load_s + build_s) / floor_s if floor_s else None,
        "floor_equal": not differences if floor_s else None,
        "differences": differences,
        "increment_events": new_events,
        "increment_load_s": inc_load_s,
        "increment_build_s": inc_build_s,
        "increment_share_of_full": (inc_load_s + inc_build_s) / (load_s + build_s),
        "spread_events": spread_events,
        "spread_campaigns": spread_campaigns,
        "spread_load_s": spread_load_s,
        "spread_build_s": spread_build_s,
        "spread_share_of_full": (spread_load_s + spread_build_s) / (load_s + build_s),
        "slowest_dbt_nodes": {
            "full": build_steps,
            "nothing_new": noop_steps,
            "increment": inc_steps,
            "every_campaign": spread_steps,
        },
        "phases": {
            "full": build_phases,
            "nothing_new": noop_phases,
            "increment": inc_phases,
            "every_campaign": spread_phases,
        },
    }


def write_spread_batch(raw: Path, out: Path, count: int) -> int:
    """About `count` late events (one per email) of emails sampled evenly from every campaign
    of the first batch, written as the generator writes events: the +1% batch that touches every
    running campaign (issue 31), where `generate --increment` touches a tenth of them. Opens (a
    few days after sending, so every heatmap changes), replies and deliveries; no dimension row
    changes. Returns how many events it wrote."""
    con = duckdb.connect()
    try:
        source = f"read_parquet('{raw}/email_events/*.parquet')"
        columns = con.execute(f"describe select * from {source}").fetchall()
        emails = con.execute(f"select count(*) from read_parquet('{raw}/email_sends/*.parquet')").fetchone()[0]
        per_mille = max(1, min(1000, round(1000 * count / max(emails, 1))))
        values = {
            "event_id": "'SPREAD-' || email_id",
            "email_id": "email_id",
            "event_type": "['opened', 'opened', 'opened', 'replied', 'delivered'][1 + cast(hash(email_id) % 5 as bigint)]",
            "occurred_at": "strftime(timezone('UTC', sent_at) + interval 3 day + to_seconds(cast(hash(email_id) % 86400 as bigint)), "
            "'%Y-%m-%dT%H:%M:%SZ')",
            "received_at": "strftime(timezone('UTC', sent_at) + interval 4 day, '%Y-%m-%dT%H:%M:%SZ')",
        }
        select = ", ".join(f"cast({values.get(name, 'null')} as {kind}) as {name}" for name, kind, *_ in columns)
        (out / "email_events").mkdir(parents=True, exist_ok=True)
        target = out / "email_events" / "batch-spread.parquet"
        con.execute(
            f"""copy (select {select} from read_parquet('{raw}/email_sends/*.parquet')
                      where hash(email_id) % 1000 < {per_mille}) to '{target}' (format parquet)"""
        )
        return con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--with-100m", action="store_true")
    parser.add_argument("--memory-limit", default="8GB", help="DuckDB memory_limit for the runs (default 8GB)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--target", choices=("duckdb", "spark"), default="duckdb", help="the engine dbt builds on")
    parser.add_argument(
        "--floor-up-to",
        type=size,
        default=None,
        metavar="SIZE",
        help="time the floor only for sizes up to this (default: every size)",
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="use the raw files an earlier run generated for a size, when there are any",
    )
    args = parser.parse_args()
    sizes = [size(s) for s in args.sizes.split(",")] + ([100_000_000] if args.with_100m else [])
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for events in sizes:
        print(f"benchmarking {events:,} events ...", flush=True)
        with_floor = args.floor_up_to is None or events <= args.floor_up_to
        results.append(bench(events, args.workdir, args.memory_limit, args.target, with_floor, args.reuse_data))
        (args.workdir / "results.json").write_text(json.dumps(results, indent=2))
    report = summary(results, args.memory_limit, args.target)
    print("\n" + "\n".join(report))
    written = write_results(report, results, sizes)
    print(f"\nwritten to {written.relative_to(ROOT)}")


def summary(results: list[dict], memory_limit: str, target: str) -> list[str]:
    """The lines `make bench` prints at the end: the machine, then one row per size."""
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, memory_limit {memory_limit}, target {target}"
    ]
    header = (
        "events",
        "load+build s",
        "events/s",
        "peak RSS MiB",
        "floor s",
        "x floor",
        "equal",
        "no-op build s",
        "+1% events",
        "+1% load+build s",
        "% of full",
        "+1% every campaign: events, campaigns",
        "load+build s",
        "% of full",
        "warehouse / raw",
    )
    lines.append(" | ".join(header))
    lines.append(" | ".join("---" for _ in header))
    for r in results:
        lines.append(
            " | ".join(
                [
                    f"{r['events']:,}",
                    f"{r['full_s']:.1f} ({r['load_s']:.1f}+{r['build_s']:.1f})",
                    f"{r['events_per_s']:,.0f}",
                    f"{r['peak_rss_mib']:,.0f}",
                    f"{r['floor_s']:.1f}" if r["floor_s"] else "-",
                    f"{r['ratio_to_floor']:.1f}" if r["floor_s"] else "-",
                    {True: "yes", False: "NO", None: "-"}[r["floor_equal"]],
                    f"{r['noop_build_s']:.1f}",
                    f"{r['increment_events']:,}",
                    f"{r['increment_load_s'] + r['increment_build_s']:.1f}",
                    f"{100 * r['increment_share_of_full']:.0f}%",
                    f"{r['spread_events']:,}, {r['spread_campaigns']:,}",
                    f"{r['spread_load_s'] + r['spread_build_s']:.1f}",
                    f"{100 * r['spread_share_of_full']:.0f}%",
                    f"{r['warehouse_bytes'] / 2**20:,.0f} / {r['raw_bytes'] / 2**20:,.0f} MiB ({r['warehouse_to_raw']:.1f}x)",
                ]
            )
        )
        lines += [f"  differs: {line}" for line in r["differences"]]
        if r["floor_error"]:
            lines.append(f"  floor of {r['events']:,} events: {r['floor_error']}")
    return lines


def write_results(report: list[str], results: list[dict], sizes: list[int]) -> Path:
    """The run's record, to commit: benchmarks/results/<date>-<commit>-<sizes>.md holds what was
    printed, with each build's phases and slowest dbt nodes (benchmarks/README.md)."""
    commit = (
        subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "unknown"
    )
    label = "-".join(
        f"{n // 10**6}M" if n % 10**6 == 0 else f"{n // 1000}K" if n % 1000 == 0 else str(n) for n in sizes
    )
    path = ROOT / "benchmarks" / "results" / f"{datetime.now().strftime('%Y-%m-%d')}-{commit}-{label}.md"
    text = [
        f"# {label}, {datetime.now().strftime('%Y-%m-%d')}, at {commit}",
        "",
        f"`{' '.join(['python', 'benchmarks/bench.py', *sys.argv[1:]])}`",
        "",
        "```",
        *report,
        "```",
    ]
    for r in results:
        text += ["", f"{r['events']:,} events, phases of each build (s):"]
        text += [
            f"- {build}: "
            + (", ".join(f"{name} {value:.1f}" for name, value in split.items()) or "no run (nothing new)")
            for build, split in r["phases"].items()
        ]
        text += [
            f"- slowest dbt nodes, {build}: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps)
            for build, steps in r["slowest_dbt_nodes"].items()
            if steps
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(text) + "\n")
    return path


if __name__ == "__main__":
    main()
