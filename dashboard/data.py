"""Read-only access to the serving copy of the marts (no Streamlit here: tests call it directly).

The serving copy is replaced by an atomic rename after every good run. A reader that keeps the
old file open keeps reading the old run, so nothing here keeps a connection: each read opens
a fresh in-memory DuckDB, ATTACHes the serving file READ_ONLY, reads, and closes. What is read
is cached by the caller under the file's identity (inode, mtime, size), so a newer run is
seen on the next page run and an unchanged file is never read twice. The warehouse file itself
is never opened: a dashboard can never block or break a build.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from campaign_dw.config import Settings

DASH = "\u2013"  # what a rate with a zero denominator shows
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_TIMEZONE = "UTC"

# SPEC §3b: the same figures for people only (opens by machines and clicks by bots left out).
PEOPLE_METRIC_COLUMNS = (
    "emails_opened_by_people",
    "emails_clicked_by_people",
    "people_open_rate",
    "people_click_rate",
    "people_click_through_rate",
    "machine_opens",
    "bot_clicks",
)
PEOPLE_LINK_COLUMNS = ("total_clicks_by_people", "unique_clicks_by_people")
PEOPLE_HEATMAP_COLUMNS = ("opens_by_people", "unique_prospects_by_people")
METRIC_COUNT_COLUMNS = (
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
)
METRIC_RATE_COLUMNS = (
    "delivery_rate",
    "bounce_rate",
    "unsubscribe_rate",
    "spam_rate",
    "open_rate",
    "response_rate",
    "click_rate",
    "click_through_rate",
)


@dataclass(frozen=True)
class Metric:
    label: str
    column: str  # the column shown
    numerator: str  # count columns of the definition (SPEC §4 / §3b)
    denominator: str | None  # None: a count, not a rate
    definition: str  # help text
    people_column: str | None = None
    people_numerator: str | None = None
    people_denominator: str | None = None
    people_definition: str | None = None

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


# The seed's 11 metrics in its three groups, each with its definition (SPEC §4).
METRIC_GROUPS: dict[str, tuple[Metric, ...]] = {
    "Volume": (
        Metric("Sent", "emails_sent", "emails_sent", None, "Emails sent by the campaign."),
        Metric(
            "Opened",
            "emails_opened",
            "emails_opened",
            None,
            "Emails opened: an open was tracked, or a click proves the open (images blocked).",
            "emails_opened_by_people",
            "emails_opened_by_people",
            None,
            "Emails opened by a person: opens by machines (e.g. Apple Mail Privacy Protection) left out.",
        ),
        Metric(
            "Clicked",
            "emails_clicked",
            "emails_clicked",
            None,
            "Emails with at least one click on a link or button. Footer links (unsubscribe, "
            "privacy policy, ...) do not count.",
            "emails_clicked_by_people",
            "emails_clicked_by_people",
            None,
            "Emails clicked by a person: clicks by link scanners and other bots left out.",
        ),
    ),
    "Delivery": (
        Metric("Delivery rate", "delivery_rate", "emails_delivered", "emails_sent", "Emails delivered / emails sent."),
        Metric(
            "Bounce rate",
            "bounce_rate",
            "emails_bounced",
            "emails_sent",
            "Emails bounced (hard or soft) / emails sent.",
        ),
        Metric(
            "Unsubscribed",
            "unsubscribe_rate",
            "emails_unsubscribed",
            "emails_delivered",
            "Emails whose recipient unsubscribed / emails delivered.",
        ),
        Metric(
            "Marked as spam",
            "spam_rate",
            "emails_marked_spam",
            "emails_delivered",
            "Emails marked as spam by their recipient / emails delivered.",
        ),
    ),
    "Engagement": (
        Metric(
            "Open rate",
            "open_rate",
            "emails_opened",
            "emails_delivered",
            "Emails opened / emails delivered.",
            "people_open_rate",
            "emails_opened_by_people",
            "emails_delivered",
            "Emails opened by a person / emails delivered.",
        ),
        Metric(
            "Response rate",
            "response_rate",
            "emails_replied",
            "emails_delivered",
            "Emails replied to / emails delivered.",
        ),
        Metric(
            "Click rate",
            "click_rate",
            "emails_clicked",
            "emails_delivered",
            "Emails clicked / emails delivered.",
            "people_click_rate",
            "emails_clicked_by_people",
            "emails_delivered",
            "Emails clicked by a person / emails delivered.",
        ),
        Metric(
            "Click through rate",
            "click_through_rate",
            "emails_clicked",
            "emails_opened",
            "Emails clicked / emails opened.",
            "people_click_through_rate",
            "emails_clicked_by_people",
            "emails_opened_by_people",
            "Emails clicked by a person / emails opened by a person.",
        ),
    ),
}

COUNT_LABELS = {
    "emails_sent": "sent",
    "emails_delivered": "delivered",
    "emails_bounced": "bounced",
    "emails_opened": "opened",
    "emails_clicked": "clicked",
    "emails_replied": "replied",
    "emails_unsubscribed": "unsubscribed",
    "emails_marked_spam": "marked as spam",
    "emails_opened_by_people": "opened by people",
    "emails_clicked_by_people": "clicked by people",
}


def serving_path() -> Path:
    """The serving copy of the warehouse named by CAMPAIGN_DW_WAREHOUSE (or the default)."""
    return Settings.from_env().paths.serving_database


def file_identity(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime_ns, size) of the serving file, None when there is none. A publish
    replaces the file by rename: a new inode, so every cache keyed by this misses."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh connection with the serving file attached read-only as `serving` (closed after)."""
    con = duckdb.connect(config={"threads": "2"})
    try:
        con.execute("ATTACH ? AS serving (READ_ONLY)", [str(path)])
        yield con
    finally:
        con.close()


@dataclass
class Catalog:
    """What one serving file holds, apart from the campaigns' data."""

    columns: dict[str, set[str]]
    definitions: dict[str, str]
    publication: dict
    campaigns: pd.DataFrame
    timezones: list[str]

    @property
    def first_opens_tracked_since(self) -> date | None:
        return _date(self.definitions.get("first_opens_tracked_since"))

    @property
    def all_opens_tracked_since(self) -> date | None:
        return _date(self.definitions.get("all_opens_tracked_since"))

    def has(self, table: str, columns: tuple[str, ...]) -> bool:
        return set(columns) <= self.columns.get(table, set())

    @property
    def people_metrics(self) -> bool:
        return self.has("campaign_metrics", PEOPLE_METRIC_COLUMNS) and self.has(
            "campaign_message_metrics", PEOPLE_METRIC_COLUMNS
        )

    @property
    def people_links(self) -> bool:
        return self.has("campaign_link_clicks", PEOPLE_LINK_COLUMNS) and self.has(
            "campaign_message_link_clicks", PEOPLE_LINK_COLUMNS
        )

    @property
    def people_heatmap(self) -> bool:
        return self.has("campaign_open_heatmap", PEOPLE_HEATMAP_COLUMNS) and self.has(
            "campaign_message_open_heatmap", PEOPLE_HEATMAP_COLUMNS
        )

    @property
    def people_any(self) -> bool:
        return self.people_metrics or self.people_links or self.people_heatmap


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10]) if value else None
    except ValueError:
        return None


def read_catalog(path: Path) -> Catalog:
    with connect(path) as con:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_catalog = 'serving' and table_schema = 'marts'"
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        meta = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'serving' and table_schema = 'meta'"
            ).fetchall()
        }
        definitions = (
            dict(con.execute("select name, value from serving.meta.definitions").fetchall())
            if "definitions" in meta
            else {}
        )
        publication = {}
        if "publication" in meta:
            row = con.execute("select run_id, published_at, rows_per_mart from serving.meta.publication").fetchone()
            if row:
                publication = {"run_id": row[0], "published_at": row[1], "rows": _json(row[2])}
        campaigns = con.execute(
            """select campaign_id, campaign_name, status, started_at
               from serving.marts.campaign_overview
               order by started_at desc nulls last, campaign_id"""
        ).df()
        timezones = [
            z
            for (z,) in con.execute(
                "select distinct viewer_timezone from serving.marts.campaign_open_heatmap order by 1"
            ).fetchall()
        ]
    return Catalog(columns, definitions, publication, campaigns, timezones)


def _json(text):
    try:
        return json.loads(text) if text else None
    except (TypeError, ValueError):
        return None


@dataclass
class CampaignData:
    """Everything the page draws for one campaign, read in one visit to the serving file."""

    overview: dict
    messages: pd.DataFrame
    metrics: dict[str | None, dict]  # None: all messages; else message_id
    links: pd.DataFrame  # campaign_link_clicks rows
    message_links: pd.DataFrame  # campaign_message_link_clicks rows
    heatmap: pd.DataFrame  # campaign_open_heatmap rows
    message_heatmap: pd.DataFrame  # campaign_message_open_heatmap rows


def read_campaign(path: Path, campaign_id: str) -> CampaignData | None:
    """One campaign, from every mart, filtered on campaign_id (so a mart of millions of rows
    is only scanned for its zone of the file)."""
    with connect(path) as con:

        def rows(table: str, order: str = "") -> pd.DataFrame:
            sql = f"select * from serving.marts.{table} where campaign_id = ?"
            return con.execute(sql + (f" order by {order}" if order else ""), [campaign_id]).df()

        overview = rows("campaign_overview")
        if overview.empty:
            return None
        messages = rows("campaign_messages", "step_number, message_id")
        metrics: dict[str | None, dict] = {}
        campaign_metrics = rows("campaign_metrics")
        if not campaign_metrics.empty:
            metrics[None] = _record(campaign_metrics.iloc[0])
        for _, row in rows("campaign_message_metrics").iterrows():
            metrics[row["message_id"]] = _record(row)
        return CampaignData(
            overview=_record(overview.iloc[0]),
            messages=messages,
            metrics=metrics,
            links=rows("campaign_link_clicks"),
            message_links=rows("campaign_message_link_clicks"),
            heatmap=rows("campaign_open_heatmap"),
            message_heatmap=rows("campaign_message_open_heatmap"),
        )


def _record(row: pd.Series) -> dict:
    """A row as plain Python values (NULL, NaN and NaT as None)."""
    return {key: _plain(value) for key, value in row.items()}


def _plain(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


# ---- what the widgets show ---------------------------------------------------------------


def format_count(value) -> str:
    return DASH if value is None else f"{int(value):,}"


def format_rate(value) -> str:
    """A rate in [0, 1] as a percentage; NULL (zero denominator) as an en dash, never 0%."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:.1%}"


def metric_view(metric: Metric, row: dict | None, people: bool) -> tuple[str, str]:
    """(value shown, help text) of one metric for one metrics row."""
    row = row or {}
    use_people = people and metric.people_column is not None and metric.people_column in row
    column = metric.people_column if use_people else metric.column
    numerator = metric.people_numerator if use_people else metric.numerator
    denominator = metric.people_denominator if use_people else metric.denominator
    definition = metric.people_definition if use_people else metric.definition
    value = row.get(column)
    if not metric.is_rate:
        return format_count(value), definition
    shown = format_rate(value)
    n, d = row.get(numerator), row.get(denominator)
    if n is not None and d is not None:
        here = f"{COUNT_LABELS.get(numerator, numerator)} {int(n):,} / {COUNT_LABELS.get(denominator, denominator)} {int(d):,}"
        definition += f"  \nHere: {here}" + (" (no denominator: shown as –)" if not d else ".")
    return shown, definition


def people_note(row: dict, definitions: dict[str, str]) -> str:
    """What 'people only' left out of this scope, and how the warehouse tells machines and
    bots (the rules' settings as published in meta.definitions, when they are)."""
    text = (
        f"People only: {format_count(row.get('machine_opens'))} opens by machines and "
        f"{format_count(row.get('bot_clicks'))} clicks by bots left out."
    )
    rules = []
    if definitions.get("bot_user_agent_patterns"):
        rules.append("an automation user agent")
    if definitions.get("bot_click_within_seconds"):
        rules.append(f"a click less than {definitions['bot_click_within_seconds']} s after sending")
    if definitions.get("bot_click_burst_min_links") and definitions.get("bot_click_burst_gap_seconds"):
        rules.append(
            f"a burst of clicks on {definitions['bot_click_burst_min_links']}+ links at most "
            f"{definitions['bot_click_burst_gap_seconds']} s apart"
        )
    if rules:
        text += (
            " A machine open is flagged by the email service or made by an image proxy; a bot click is "
            + ", ".join(rules[:-1])
            + (" or " if len(rules) > 1 else "")
            + rules[-1]
            + "."
        )
    return text


def link_table(data: CampaignData, message_id: str | None, by: str, people: bool) -> pd.DataFrame:
    """The clicked links of the scope, most clicked first. by: 'unique' or 'total'.
    People only: the same links counted without bot clicks (links with only bot clicks drop out)."""
    frame = data.links if message_id is None else data.message_links[data.message_links["message_id"] == message_id]
    column = f"{by}_clicks"
    if people and f"{column}_by_people" in frame.columns:
        column = f"{column}_by_people"
    out = pd.DataFrame(
        {
            "Link": frame["link_url"].astype(object),
            "Open": [u.strip() if is_web_url(u) else None for u in frame["link_url"]],
            **({"Anchor text": frame["anchor_text"].astype(object)} if message_id is not None else {}),
            "Clicks": frame[column].fillna(0).astype("int64"),
        }
    )
    out = out[out["Clicks"] > 0]
    return out.sort_values(["Clicks", "Link"], ascending=[False, True], kind="stable").reset_index(drop=True)


def heatmap_grid(
    data: CampaignData, message_id: str | None, timezone: str, people: bool, value: str = "opens"
) -> pd.DataFrame:
    """All 7 x 24 cells (day 1 = Monday .. 7, hour 0..23) of one viewer zone, missing cells as
    0; columns: day_of_week, day, hour_of_day, opens, unique_prospects."""
    frame = (
        data.heatmap if message_id is None else data.message_heatmap[data.message_heatmap["message_id"] == message_id]
    )
    frame = frame[frame["viewer_timezone"] == timezone]
    opens, prospects = "opens", "unique_prospects"
    if people and "opens_by_people" in frame.columns:
        opens, prospects = "opens_by_people", "unique_prospects_by_people"
    cells = frame.groupby(["day_of_week", "hour_of_day"], as_index=False)[[opens, prospects]].sum()
    cells = cells.rename(columns={opens: "opens", prospects: "unique_prospects"})
    full = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["day_of_week", "hour_of_day"]).to_frame(
        index=False
    )
    grid = full.merge(cells, how="left", on=["day_of_week", "hour_of_day"])
    grid[["opens", "unique_prospects"]] = grid[["opens", "unique_prospects"]].fillna(0).astype("int64")
    grid.insert(1, "day", [DAYS[d - 1] for d in grid["day_of_week"]])
    return grid


def tracking_notes(
    overview: dict, first: date | None, all_: date | None, has_heatmap: bool
) -> tuple[str | None, str | None]:
    """(why the heatmap is empty, what the open-tracking history means for this campaign).
    Dates come from the serving copy's meta.definitions, never from here."""
    started, ended = _day(overview.get("started_at")), _day(overview.get("ended_at"))
    empty = None
    if not has_heatmap:
        if first and ended and ended < first:
            empty = (
                f"No open heatmap: this campaign ended on {ended:%Y-%m-%d}, before opens were tracked "
                f"(open times are recorded since {first:%Y-%m-%d})."
            )
        elif started is None:
            empty = "No open heatmap: this campaign has not sent anything yet."
        else:
            empty = "No open heatmap: no tracked opens for this campaign yet."
        return empty, None
    era = None
    if first and all_ and started and started < all_:
        span = f"{started:%Y-%m-%d} – {ended:%Y-%m-%d}" if ended else f"since {started:%Y-%m-%d}"
        wholly = ended is not None and ended < all_
        era = (
            f"This campaign's sending ({span}) falls {'wholly' if wholly else 'partly'} before "
            f"{all_:%Y-%m-%d}: before that date only each email's first open was recorded "
            f"(from {first:%Y-%m-%d}); every open counts from {all_:%Y-%m-%d} on."
        )
        if started < first:
            era += f" Opens before {first:%Y-%m-%d} were not recorded at all."
    return empty, era


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _date(str(value))


# ---- all campaigns (SPEC §8: metrics_rollup, campaign_metrics) ------------------------------

# The trend's key rates, and their people-only columns (SPEC §3b) where there are.
TREND_RATES = (
    ("Open rate", "open_rate", "people_open_rate"),
    ("Click rate", "click_rate", "people_click_rate"),
    ("Response rate", "response_rate", None),
    ("Bounce rate", "bounce_rate", None),
)
ROLLUP_GRAINS = ("campaign_month", "month", "language", "owner")


@dataclass
class AllCampaigns:
    campaigns: pd.DataFrame  # campaign_metrics with the campaign's name
    rollup: dict[str, pd.DataFrame]  # metrics_rollup rows of each grain in ROLLUP_GRAINS


def read_all_campaigns(path: Path) -> AllCampaigns | None:
    """Every campaign's metrics and the rollup's grains; None when the serving copy predates
    metrics_rollup (published by an older version)."""
    with connect(path) as con:
        tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'serving' "
                "and table_schema = 'marts'"
            ).fetchall()
        }
        if "metrics_rollup" not in tables:
            return None
        campaigns = con.execute(
            """select o.campaign_name, m.*
               from serving.marts.campaign_metrics m
               left join serving.marts.campaign_overview o using (campaign_id)
               order by m.emails_sent desc, m.campaign_id"""
        ).df()
        rollup = {
            grain: con.execute(
                "select * from serving.marts.metrics_rollup where grain = ? "
                "order by send_month nulls last, language nulls last, owner_user_id nulls last, campaign_id",
                [grain],
            ).df()
            for grain in ROLLUP_GRAINS
        }
    return AllCampaigns(campaigns, rollup)


def rate_columns(frame: pd.DataFrame, people: bool) -> list[tuple[str, str]]:
    """(label, column) of the rates a table shows: the 8 of SPEC §4, with the people-only
    columns in place of open, click and click through rates when `people` and present."""
    shown = []
    for metric in (m for group in METRIC_GROUPS.values() for m in group if m.is_rate):
        column = metric.people_column if people and metric.people_column in frame.columns else metric.column
        if column in frame.columns:
            shown.append((metric.label, column))
    return shown


def rates_table(frame: pd.DataFrame, keys: dict[str, str], people: bool) -> pd.DataFrame:
    """Rows of `frame` as a table: the `keys` columns ({column: label}), sent, delivered and the
    rates (fractions; the page formats them, NULL as –)."""
    out = pd.DataFrame(
        {label: frame[column].astype(object).where(frame[column].notna(), None) for column, label in keys.items()}
    )
    out["Sent"] = frame["emails_sent"].astype("int64")
    out["Delivered"] = frame["emails_delivered"].astype("int64")
    for label, column in rate_columns(frame, people):
        out[label] = frame[column].astype("float64")
    return out.reset_index(drop=True)


def rate_trend(monthly: pd.DataFrame, people: bool) -> pd.DataFrame:
    """Long form for a line chart: month, rate (label), value (NULL rates left out)."""
    rows = []
    for label, column, people_column in TREND_RATES:
        use = people_column if people and people_column in monthly.columns else column
        for month, value in zip(monthly["send_month"], monthly[use], strict=True):
            if value is not None and not pd.isna(value):
                rows.append({"month": pd.Timestamp(month), "rate": label, "value": float(value)})
    return pd.DataFrame(rows, columns=["month", "rate", "value"])


def is_web_url(url) -> bool:
    """Only http(s) addresses are offered as links: a `javascript:`, `data:` or other scheme
    from the email tool is shown as text, never made clickable."""
    if not isinstance(url, str):
        return False
    scheme = url.strip().split(":", 1)[0].lower() if ":" in url else ""
    return scheme in ("http", "https") and url.strip().lower().startswith(("http://", "https://"))
