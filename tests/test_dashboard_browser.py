"""The dashboard in a real browser: started as a user starts it (`campaign-dw --warehouse W
dashboard --port P`), looked at in Debian's chromium driven by playwright. Asserts what a
person sees: the metrics' values, the heatmap drawn, the modal's text, and that a script in a
message body does not run (nor a tracking pixel load, nor the body's style reach the page).

The serving copy is the sample's, plus one hostile message (M99, step 2 of the draft C3) whose
body tries every trick; the warehouse beside it does not exist: the dashboard never opens it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from campaign_dw.config import PROJECT_DIR, Paths

if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

from dashboard.browser import browser_missing, chromium, running_dashboard, wait_for_app  # noqa: E402

pytestmark = pytest.mark.slow

TRACKER = "tracker.invalid"
HOSTILE_SUBJECT = "Hostile <b>subject</b> ![pixel](http://tracker.invalid/subject.png)"
HOSTILE_BODY = f"""<style>body {{ background: rgb(255, 0, 0) !important; }} * {{ color: rgb(255, 0, 0) !important; }}</style>
<h2>Hostile body</h2>
<p onmouseover="window.parent.pwned='onmouseover'">Hello <b>there</b>.</p>
<script>window.pwned='script'; window.parent.pwned='script'; window.parent.document.title='PWNED';</script>
<img src=x onerror="window.parent.pwned='onerror'; window.parent.document.title='PWNED'">
<img src="http://{TRACKER}/pixel.gif?prospect=42" width="1" height="1">
<div style="background-image: url(http://{TRACKER}/bg.png); padding: 4px">styled block</div>
<a id="js" href="javascript:window.parent.pwned='javascript'">javascript link</a>
<a id="real" href="https://jobs.acme.example/backend">real link</a>
<svg><script>window.parent.pwned='svg'</script></svg>
<iframe srcdoc="<script>window.top.pwned='iframe'</script>"></iframe>
<object data="http://{TRACKER}/object.swf"></object>"""


# Without a browser to drive, skip (saying why) before anything is built.
_MISSING = browser_missing()
if _MISSING:
    print(f"skipping the browser tests: {_MISSING}")
    pytest.skip(_MISSING, allow_module_level=True)


@pytest.fixture(scope="module")
def hostile_warehouse(sample_warehouse, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("browser") / "w.duckdb"
    serving = Paths(warehouse).serving_database
    shutil.copy(sample_warehouse.paths.serving_database, serving)
    with duckdb.connect(str(serving)) as con:
        con.execute(
            "insert into marts.campaign_messages (message_id, campaign_id, step_number, subject, body_html, "
            "wait_days) values ('M99', 'C3', 2, ?, ?, 3)",
            [HOSTILE_SUBJECT, HOSTILE_BODY],
        )
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = 'campaign_message_metrics' order by ordinal_position"
            ).fetchall()
        ]
        values = [
            "0" if c.startswith("emails_") or c in ("machine_opens", "bot_clicks") else "null" for c in columns[2:]
        ]
        con.execute(f"insert into marts.campaign_message_metrics values ('C3', 'M99', {', '.join(values)})")
    return warehouse


@pytest.fixture(scope="module")
def dashboard_url(hostile_warehouse, tmp_path_factory):
    log = tmp_path_factory.mktemp("browser_logs") / "dashboard.log"
    with running_dashboard(hostile_warehouse, log=log) as url:  # stopped (process group) on exit
        yield url


@pytest.fixture(scope="module")
def browser(dashboard_url):
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def shown_metrics(page) -> dict[str, str]:
    wait_for_app(page)
    out = {}
    for metric in page.locator("[data-testid='stMetric']").all():
        label = metric.locator("[data-testid='stMetricLabel']").inner_text().strip()
        out[label] = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def choose(page, label: str, option: str) -> None:
    """Pick an option of the selectbox labelled `label`, as a person does."""
    combo = page.get_by_role("combobox", name=label)
    combo.click()
    combo.fill(option)  # typing filters the list (a click alone may leave it closed)
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def test_dashboard_shows_the_marts(dashboard_url, page):
    page.goto(f"{dashboard_url}/?campaign=C1&tz=Europe/Paris")
    wait_for_app(page)
    shown = shown_metrics(page)
    assert shown["Status"] == "Running"
    assert shown["Prospects entered"] == "110" and shown["Prospects exited"] == "4"
    assert (shown["Sent"], shown["Opened"], shown["Clicked"]) == ("160", "30", "7")
    assert shown["Open rate"] == "20.0%" and shown["Click through rate"] == "23.3%"
    assert shown["Delivery rate"] == "93.8%"

    # The heatmap is drawn: a chart of some size, in the zone of the tz parameter.
    chart = page.locator("[data-testid='stVegaLiteChart']")
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    box = chart.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 200
    assert page.get_by_text("30 opens by day of week and hour of day in Europe/Paris").is_visible()
    assert page.get_by_text("only each email's first open was recorded").is_visible()

    # The Preview button is off for all messages; one message turns it on and it opens the modal.
    preview = page.get_by_role("button", name="Preview")
    assert preview.is_disabled()
    choose(page, "Message", "Step 1: A backend role at Acme")
    shown = shown_metrics(page)
    assert (shown["Sent"], shown["Opened"], shown["Open rate"]) == ("110", "20", "20.0%")
    assert preview.is_enabled()
    preview.click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "Message preview" in dialog.inner_text()
    assert "Subject: A backend role at Acme" in dialog.inner_text()
    body = dialog.frame_locator("iframe").locator("body")
    assert "see the role" in body.inner_text()
    link = dialog.frame_locator("iframe").get_by_role("link", name="see the role")
    assert link.get_attribute("href") == "https://jobs.acme.example/backend"
    assert link.get_attribute("target") == "_blank"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    # The switch of the link widget: unique clicks by default, total on request.
    unique, total = (page.get_by_role("radio", name=n) for n in ("Unique clicks", "Total clicks"))
    assert unique.get_attribute("aria-checked") == "true" and total.get_attribute("aria-checked") == "false"
    total.click()
    wait_for_app(page)
    assert total.get_attribute("aria-checked") == "true"
    assert page.locator("[data-testid='stDataFrame']").is_visible()

    # Another zone of the mart: the query parameter follows the picker (a shareable address).
    choose(page, "Viewer's time zone", "Asia/Kathmandu")
    assert page.get_by_text("18 opens by day of week and hour of day in Asia/Kathmandu").is_visible()
    assert re.search(r"tz=Asia%2FKathmandu", page.url)


def test_a_script_in_a_message_body_does_not_run(dashboard_url, page):
    page.goto(f"{dashboard_url}/?campaign=C3&message=M99")
    wait_for_app(page)
    page_background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    shown = shown_metrics(page)
    assert shown["Sent"] == "0" and shown["Open rate"] == "\u2013"  # nothing sent: a dash, not 0%
    page.get_by_role("button", name="Preview").click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    frame = dialog.frame_locator("iframe")
    frame.get_by_text("Hostile body").wait_for()
    frame.get_by_text("Hello").hover()  # would fire the (removed) onmouseover
    page.wait_for_timeout(1000)  # time for anything that would run or load

    # The subject is text: its markup and markdown image are shown, not rendered or fetched.
    assert HOSTILE_SUBJECT in dialog.inner_text()
    # Nothing ran: no marker on the page or in the frame, the page's title untouched.
    assert page.evaluate("() => window.pwned") is None
    assert dialog.locator("iframe").evaluate("f => f.contentWindow.pwned === undefined")
    assert page.title() == "Campaign dashboard"
    # Nothing was fetched from elsewhere: no tracking pixel, no CSS background, no object.
    assert not [url for url in page.requests if TRACKER in url]
    # The body's styles stayed in its frame.
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == page_background
    heading = page.get_by_text("Message preview").first
    assert heading.evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    # The links left in the body: the real one opens in a new tab, the javascript: one is inert.
    assert frame.locator("a[href='https://jobs.acme.example/backend']").get_attribute("target") == "_blank"
    assert frame.locator("a[href^='javascript']").count() == 0
    assert frame.locator("body script, body iframe, body object, body svg, body style").count() == 0
    assert frame.locator("img").count() == 0
    frame.get_by_text("javascript link").click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.pwned") is None


def test_an_open_page_shows_a_newer_publish_by_itself(dashboard_url, hostile_warehouse, page):
    """A build publishes by renaming a new serving file into place; the running app and an
    open page pick it up without a restart and without the viewer doing anything."""
    page.goto(f"{dashboard_url}/?campaign=C4")
    wait_for_app(page)
    assert shown_metrics(page)["Sent"] == "3"
    serving = Paths(hostile_warehouse).serving_database
    newer = serving.with_name(f".{serving.name}.newer.tmp")
    shutil.copy(serving, newer)
    with duckdb.connect(str(newer)) as con:
        con.execute("update marts.campaign_metrics set emails_sent = 4321 where campaign_id = 'C4'")
        con.execute("update meta.publication set run_id = 'browser-newer-run'")
    os.replace(newer, serving)
    sent = page.locator("[data-testid='stMetric']").filter(has_text="Sent").locator("[data-testid='stMetricValue']")
    sent.filter(has_text="4,321").wait_for(timeout=60_000)  # the page's watcher reruns it
    wait_for_app(page)
    assert shown_metrics(page)["Sent"] == "4,321"
    assert page.get_by_text("browser-newer-run").is_visible()
