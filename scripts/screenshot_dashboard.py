"""Make docs/dashboard.png: the campaign dashboard on the sample, as a person sees it.

    .venv/bin/python scripts/screenshot_dashboard.py                 # builds the sample in a tmp folder
    .venv/bin/python scripts/screenshot_dashboard.py --warehouse W   # a warehouse already built

Starts the dashboard the way a user does (`campaign-dw --warehouse W dashboard`), opens the
campaign in Debian's chromium (playwright package, `/usr/bin/chromium`) and takes a full-page
screenshot. Query parameters preset the pickers (campaign, message, time zone).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from dashboard.browser import browser_missing, chromium, running_dashboard, wait_for_app  # noqa: E402


def build_sample(folder: Path) -> Path:
    from campaign_dw.config import SAMPLE_DIR, Settings
    from orchestration.build import run_build

    warehouse = folder / "warehouse.duckdb"
    print(f"building the sample into {warehouse} ...", flush=True)
    report, _ = run_build(Settings(warehouse=warehouse, landing=SAMPLE_DIR))
    if report.status != "success":
        raise SystemExit(f"the sample build failed: {report.status} {getattr(report, 'problems', '')}")
    return warehouse


def screenshot(
    warehouse: Path, out: Path, campaign: str, message: str | None, tz: str | None, width: int, people: bool = False
) -> None:
    params = {"campaign": campaign, **({"message": message} if message else {}), **({"tz": tz} if tz else {})}
    with tempfile.TemporaryDirectory() as logs, running_dashboard(warehouse, log=Path(logs) / "dashboard.log") as url:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
            page.goto(f"{url}/?{urlencode(params)}")
            wait_for_app(page)
            if people and page.get_by_text("People only").count():
                page.get_by_text("People only").click()
                wait_for_app(page)
            page.wait_for_selector(
                "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg", timeout=30_000
            )
            page.wait_for_timeout(800)  # the data grid and the chart finish drawing
            # Streamlit scrolls inside its main section: grow the window to the content, so the
            # screenshot holds the whole page.
            height = page.evaluate(
                "() => Math.max(document.documentElement.scrollHeight,"
                " ...[...document.querySelectorAll('section, [data-testid=stMain], [data-testid=stAppViewContainer]')]"
                ".map(e => e.scrollHeight))"
            )
            page.set_viewport_size({"width": width, "height": int(height) + 20})
            wait_for_app(page)
            page.wait_for_timeout(800)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (default: build the sample in a tmp folder)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs" / "dashboard.png")
    parser.add_argument("--campaign", default="C1")
    parser.add_argument("--message", help="a message id (default: all messages)")
    parser.add_argument("--tz", default="Europe/Paris", help="the viewer's time zone of the heatmap")
    parser.add_argument("--people", action="store_true", help="switch 'People only' on (when the marts have it)")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args(argv)
    missing = browser_missing()
    if missing:
        print(f"screenshot_dashboard: {missing}", file=sys.stderr)
        return 2
    if args.warehouse:
        screenshot(args.warehouse.resolve(), args.out, args.campaign, args.message, args.tz, args.width, args.people)
        return 0
    with tempfile.TemporaryDirectory(prefix="dashboard_sample_") as folder:
        warehouse = build_sample(Path(folder))
        screenshot(warehouse, args.out, args.campaign, args.message, args.tz, args.width, args.people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
