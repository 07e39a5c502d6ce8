"""The campaign dashboard (SPEC §7), drawn from the serving copy of the marts alone.

Run it with `campaign-dw dashboard` (or `make dashboard`). It opens nothing but the serving
file, read-only, through a fresh connection per read (see `data.py`), and caches what it read
under the file's identity: after a new build publishes, the next page run shows the new
numbers (a small watcher reruns open pages by itself), without a restart, and never holding
the file a build replaces.

Query parameters preset the pickers: `?campaign=C1&message=M11&tz=Europe/Paris`.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
if str(PROJECT_DIR) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ there
    sys.path.insert(0, str(PROJECT_DIR))

import altair as alt  # noqa: E402
import duckdb  # noqa: E402
import streamlit as st  # noqa: E402

from dashboard import data  # noqa: E402
from dashboard.sanitize import preview_document, preview_height  # noqa: E402

ALL = "__all__"
VIEW_ONE, VIEW_ALL = "campaign", "all"
WATCH_SECONDS = 10
LANGUAGES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "pl": "Polish",
    "sv": "Swedish",
    "da": "Danish",
    "fi": "Finnish",
    "no": "Norwegian",
    "nb": "Norwegian",
    "cs": "Czech",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "ru": "Russian",
    "tr": "Turkish",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "uk": "Ukrainian",
    "ro": "Romanian",
}


def plain_caption(text) -> None:
    """Untrusted text (a query parameter, a name) as a caption: escaped HTML, never markdown,
    which turns any URL or e-mail address in it into a link, escaped or not."""
    st.html(f'<div data-testid="plainCaption" style="font-size: 0.875rem; opacity: 0.6">{html.escape(str(text))}</div>')


@st.cache_data(max_entries=8, show_spinner=False)
def load_catalog(path: str, identity: tuple) -> data.Catalog:
    return data.read_catalog(Path(path))


@st.cache_data(max_entries=8, show_spinner="Reading all campaigns…")
def load_all_campaigns(path: str, identity: tuple) -> data.AllCampaigns | None:
    return data.read_all_campaigns(Path(path))


@st.cache_data(max_entries=64, show_spinner="Reading the campaign…")
def load_campaign(path: str, identity: tuple, campaign_id: str) -> data.CampaignData | None:
    return data.read_campaign(Path(path), campaign_id)


def main() -> None:
    st.set_page_config(page_title="Campaign dashboard", layout="wide")  # default icon: served locally
    path = data.serving_path()
    identity = data.file_identity(path)
    watch(str(path), identity)
    if identity is None:
        no_serving_database(path)
        return
    try:
        catalog = load_catalog(str(path), identity)
    except duckdb.Error as error:
        st.error(f"Cannot read the serving database `{path}`: {error}")
        return

    header(path, catalog)
    if catalog.campaigns.empty:
        st.info("The serving copy holds no campaigns yet.")
        return
    if view_picker() == VIEW_ALL:
        all_campaigns(path, identity, catalog)
        return
    campaign_id, people = pickers_top(catalog)
    try:
        campaign = load_campaign(str(path), identity, campaign_id)
    except duckdb.Error as error:
        st.error(f"Cannot read campaign {campaign_id} from `{path}`: {error}")
        return
    if campaign is None:
        st.warning(f"Campaign {campaign_id} is not in the serving copy any more.")
        return

    overview(campaign.overview)
    message_id = message_picker(campaign)
    metrics(campaign, message_id, people, catalog)
    link_clicks(campaign, message_id, people and catalog.people_links)
    heatmap(campaign, message_id, people and catalog.people_heatmap, catalog)


@st.fragment(run_every=WATCH_SECONDS)
def watch(path: str, identity: tuple | None) -> None:
    """Rerun the page when a build has published a newer serving copy (or the first one)."""
    if data.file_identity(Path(path)) != identity:
        st.rerun(scope="app")


def no_serving_database(path: Path) -> None:
    st.title("Campaign dashboard")
    st.warning(
        f"No serving database yet: looked for `{path}`.\n\n"
        "Build one, and this page shows it as soon as it is published:\n"
        "- on the sample data: `make run`\n"
        "- on your own files: `campaign-dw build --landing DIR` "
        "(add `--warehouse PATH` or set `CAMPAIGN_DW_WAREHOUSE` for another warehouse; "
        "then start the dashboard with the same warehouse)."
    )


def header(path: Path, catalog: data.Catalog) -> None:
    st.title("Campaign dashboard")
    publication = catalog.publication
    published = publication.get("published_at")
    when = f" · published {published:%Y-%m-%d %H:%M} UTC" if published else ""
    run = f" · run `{publication['run_id']}`" if publication.get("run_id") else ""
    st.caption(f"Serving copy `{path}`{run}{when}")


def view_picker() -> str:
    """One campaign, or all of them (`?view=all`)."""
    if st.session_state.get("view") not in (VIEW_ONE, VIEW_ALL):
        st.session_state["view"] = VIEW_ALL if st.query_params.get("view") == VIEW_ALL else VIEW_ONE
    view = (
        st.segmented_control(
            "View",
            [VIEW_ONE, VIEW_ALL],
            key="view",
            required=True,
            label_visibility="collapsed",
            format_func=lambda v: {VIEW_ONE: "One campaign", VIEW_ALL: "All campaigns"}[v],
        )
        or VIEW_ONE
    )
    if view == VIEW_ALL:
        st.query_params["view"] = VIEW_ALL
    else:
        st.query_params.pop("view", None)
    return view


def people_toggle(catalog: data.Catalog, where) -> bool:
    if not catalog.people_any:
        return False
    return where.toggle(
        "People only",
        key="people",
        help="Leave out opens made by machines (Apple Mail Privacy Protection and other image "
        "proxies) and clicks made by bots (link scanners): opens, clicks, rates, links and "
        "heatmap then count people only (SPEC §3b).",
    )


def pickers_top(catalog: data.Catalog) -> tuple[str, bool]:
    campaigns = catalog.campaigns
    ids = list(campaigns["campaign_id"])
    labels = {
        row.campaign_id: f"{row.campaign_name} ({row.campaign_id}) · {row.status}" for row in campaigns.itertuples()
    }
    if st.session_state.get("campaign") not in ids:
        wanted = st.query_params.get("campaign")
        st.session_state["campaign"] = wanted if wanted in ids else ids[0]
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    campaign_id = left.selectbox("Campaign", ids, key="campaign", format_func=lambda c: labels.get(c, c))
    st.query_params["campaign"] = campaign_id
    return campaign_id, people_toggle(catalog, right)


def _date(value) -> str:
    return f"{value:%Y-%m-%d}" if value is not None else data.DASH


def overview(row: dict) -> None:
    with st.container(border=True):
        # A name from the email tool: escaped HTML, never markdown (which would link a URL in it).
        st.html(
            f'<h3 data-testid="campaignName">{html.escape(str(row.get("campaign_name") or row["campaign_id"]))}</h3>'
        )
        cols = st.columns(6)
        language = row.get("language")
        cols[0].metric(
            "Status",
            (row.get("status") or data.DASH).capitalize(),
            help="draft, scheduled, running, paused, completed or archived.",
        )
        cols[1].metric(
            "Language",
            f"{LANGUAGES.get(language, language.upper())} ({language})" if language else data.DASH,
            help="The language the campaign's messages are written in (ISO 639-1 code).",
        )
        cols[2].metric("Start date", _date(row.get("started_at")), help="When the campaign started (UTC).")
        cols[3].metric(
            "End date", _date(row.get("ended_at")), help="When the campaign ended (UTC); – while it has not ended."
        )
        cols[4].metric(
            "Prospects entered",
            data.format_count(row.get("prospects_entered")),
            help="Prospects who have entered the campaign's audience so far.",
        )
        cols[5].metric(
            "Prospects exited",
            data.format_count(row.get("prospects_exited")),
            help="Prospects who have exited the audience (replied, unsubscribed, ...).",
        )


def message_picker(campaign: data.CampaignData) -> str | None:
    messages = campaign.messages
    ids = list(messages["message_id"])
    labels = {ALL: "All messages"}
    labels.update(
        {row.message_id: f"Step {row.step_number}: {row.subject or '(no subject)'}" for row in messages.itertuples()}
    )
    key = f"message:{campaign.overview['campaign_id']}"
    if st.session_state.get(key) not in [ALL, *ids]:
        wanted = st.query_params.get("message")
        st.session_state[key] = wanted if wanted in ids else ALL
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Message", [ALL, *ids], key=key, format_func=lambda m: labels.get(m, m))
    message_id = None if chosen == ALL else chosen
    if right.button(
        "Preview",
        key="preview",
        icon=":material/visibility:",
        disabled=message_id is None,
        help="Pick one message to preview it." if message_id is None else "Preview this message.",
        width="stretch",
    ):
        preview(messages[messages["message_id"] == message_id].iloc[0].to_dict())
    if message_id is None:
        st.query_params.pop("message", None)
    else:
        st.query_params["message"] = message_id
    return message_id


@st.dialog("Message preview", width="large")
def preview(message: dict) -> None:
    step, wait = message.get("step_number"), message.get("wait_days")
    st.caption(
        f"Step {step}"
        + (
            f" · sent {wait} day{'s' if wait != 1 else ''} after the previous step"
            if wait and step and step > 1
            else ""
        )
    )
    # The subject is text from the email tool: escaped, never read as markdown or HTML.
    st.html(
        f'<div data-testid="previewSubject"><strong>Subject:</strong> '
        f"{html.escape(message.get('subject') or '(no subject)')}</div>"
    )
    st.iframe(
        preview_document(message.get("body_html"), title=message.get("subject") or ""),
        height=preview_height(message.get("body_html")),
        alt="Message body preview",
    )
    st.caption(
        "Rendered in an isolated frame after sanitising on the server: scripts, event handlers, "
        "remote images and tracking pixels are removed; links open in a new tab."
    )


def metrics(campaign: data.CampaignData, message_id: str | None, people: bool, catalog: data.Catalog) -> None:
    row = campaign.metrics.get(message_id)
    people = people and catalog.people_metrics
    groups = data.METRIC_GROUPS

    def draw(metric_list, columns):
        for metric, col in zip(metric_list, columns, strict=False):
            value, help_text = data.metric_view(metric, row, people)
            col.metric(metric.label, value, help=help_text)

    tag = " · people only" if people else ""
    with st.container(border=True):
        st.markdown("**Volume**" + tag)
        draw(groups["Volume"], st.columns(3))
        if people and row:
            st.caption(data.people_note(row, catalog.definitions))
    delivery, engagement = st.columns(2)
    with delivery.container(border=True):
        st.markdown("**Delivery**")
        draw(groups["Delivery"], st.columns(4))
    with engagement.container(border=True):
        st.markdown("**Engagement**" + tag)
        draw(groups["Engagement"], st.columns(4))
    if row is None:
        st.caption("No metrics row for this scope in the serving copy.")


def link_clicks(campaign: data.CampaignData, message_id: str | None, people: bool) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown("**Link clicks**" + (" · people only" if people else ""))
        by = (
            right.segmented_control(
                "Count",
                ["unique", "total"],
                default="unique",
                required=True,
                key="clicks_by",
                format_func=lambda b: {"unique": "Unique clicks", "total": "Total clicks"}[b],
                label_visibility="collapsed",
                help="Unique clicks: prospects who clicked the link. Total clicks: every click.",
            )
            or "unique"
        )
        table = data.link_table(campaign, message_id, by, people)
        if table.empty:
            st.caption("No link has been clicked yet (footer links such as unsubscribe are not counted).")
            return
        label = "Unique clicks" if by == "unique" else "Total clicks"
        table = table.rename(columns={"Clicks": label})
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                # The address as text; a link to open only when it is http(s) (never javascript:).
                "Link": st.column_config.TextColumn("Link", width="large"),
                "Open": st.column_config.LinkColumn(
                    "Open",
                    display_text="Open ↗",
                    width="small",
                    help="Opens the link in a new tab (http and https links only).",
                ),
                "Anchor text": st.column_config.TextColumn("Anchor text"),
                label: st.column_config.ProgressColumn(
                    label, format="%d", min_value=0, max_value=int(table[label].max()), width="medium"
                ),
            },
        )


def heatmap(campaign: data.CampaignData, message_id: str | None, people: bool, catalog: data.Catalog) -> None:
    with st.container(border=True):
        title, picker = st.columns([3, 2], vertical_alignment="bottom")
        title.markdown("**When prospects open**" + (" · people only" if people else ""))
        frame = (
            campaign.heatmap
            if message_id is None
            else campaign.message_heatmap[campaign.message_heatmap["message_id"] == message_id]
        )
        empty, era = data.tracking_notes(
            campaign.overview,
            catalog.first_opens_tracked_since,
            catalog.all_opens_tracked_since,
            not campaign.heatmap.empty,
        )
        if empty:
            st.info(empty)
            return
        zones = catalog.timezones or sorted(set(campaign.heatmap["viewer_timezone"]))
        if st.session_state.get("tz") not in zones:
            wanted = st.query_params.get("tz")
            if wanted and wanted not in zones:
                plain_caption(f"Time zone {wanted} is not in the heatmap mart; pick one of its zones.")
            st.session_state["tz"] = (
                wanted if wanted in zones else (data.DEFAULT_TIMEZONE if data.DEFAULT_TIMEZONE in zones else zones[0])
            )
        tz = picker.selectbox(
            "Viewer's time zone",
            zones,
            key="tz",
            icon=":material/public:",
            help="Open times are shown in this zone (the mart holds every viewer's zone).",
        )
        st.query_params["tz"] = tz
        if frame.empty:
            st.info("No tracked opens for this message.")
        else:
            grid = data.heatmap_grid(campaign, message_id, tz, people)
            st.altair_chart(heatmap_chart(grid, tz), width="stretch")
            total = int(grid["opens"].sum())
            st.caption(
                f"{total:,} opens by day of week and hour of day in {tz}. Empty cells are 0. "
                "Opens implied by a click (images blocked) are not in the heatmap."
            )
        if era:
            st.info(era, icon=":material/history:")


def all_campaigns(path: Path, identity: tuple, catalog: data.Catalog) -> None:
    """Every campaign with its rates, the key rates by month of sending, and breakdowns by
    language and owner: ratios of summed counts from metrics_rollup and campaign_metrics."""
    try:
        everything = load_all_campaigns(str(path), identity)
    except duckdb.Error as error:
        st.error(f"Cannot read the campaigns from `{path}`: {error}")
        return
    if everything is None:
        st.warning("This serving copy has no metrics_rollup mart (published by an older version): build again.")
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.markdown("**All campaigns**")
    people = people_toggle(catalog, right) and catalog.people_metrics
    tag = " · people only" if people else ""

    with st.container(border=True):
        st.markdown("**Campaigns**" + tag)
        table = data.rates_table(
            everything.campaigns,
            {
                "campaign_name": "Campaign",
                "campaign_id": "ID",
                "status": "Status",
                "language": "Language",
                "owner_user_id": "Owner",
            },
            people,
        )
        rates_dataframe(table, key="all_campaigns")
        st.caption(
            "Each rate is the ratio of the campaign's summed counts; – when its denominator is 0. "
            "Click a column header to sort."
        )

    with st.container(border=True):
        st.markdown("**Key rates by month of sending**" + tag)
        trend = data.rate_trend(everything.rollup["month"], people)
        if trend.empty:
            st.caption("Nothing sent yet.")
        else:
            st.altair_chart(trend_chart(trend), width="stretch")
            st.caption("An email counts in the month it was sent, whenever its opens and clicks happened.")

    by_language, by_owner = st.columns(2)
    for where, grain, column, label in (
        (by_language, "language", "language", "Language"),
        (by_owner, "owner", "owner_user_id", "Owner"),
    ):
        with where.container(border=True):
            st.markdown(f"**By {label.lower()}**" + tag)
            frame = everything.rollup[grain]
            rates_dataframe(data.rates_table(frame, {column: label}, people), key=f"by_{grain}")


def rates_dataframe(table, key: str) -> None:
    """A sortable table whose rates show as percentages and NULL rates as –: the Styler sets
    what is shown, the column keeps its numbers (sorting stays numeric); the grid draws a NULL
    cell with the placeholder, whatever the Styler says."""
    rates = [
        c for c in table.columns if c not in ("Campaign", "ID", "Status", "Language", "Owner", "Sent", "Delivered")
    ]
    texts = [c for c in ("Campaign", "ID", "Status", "Language", "Owner") if c in table.columns]
    styled = (
        table.style.format("{:.1%}", subset=rates, na_rep=data.DASH)
        .format("{:,}", subset=["Sent", "Delivered"])
        .format(na_rep=data.DASH, subset=texts)
    )
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        key=key,
        placeholder=data.DASH,
        column_config={c: st.column_config.TextColumn(c) for c in texts},
    )


def trend_chart(trend) -> alt.Chart:
    return (
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month of sending"),
            y=alt.Y("value:Q", title="Rate", axis=alt.Axis(format="%")),
            color=alt.Color("rate:N", title=None, sort=[label for label, _, _ in data.TREND_RATES]),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("rate:N", title="Rate"),
                alt.Tooltip("value:Q", title="Value", format=".1%"),
            ],
        )
        .properties(height=280)
    )


def heatmap_chart(grid, tz: str) -> alt.LayerChart:
    hour = alt.X("hour_of_day:O", title=f"Hour of day ({tz})", sort=list(range(24)), axis=alt.Axis(labelAngle=0))
    day = alt.Y("day:N", title=None, sort=list(data.DAYS))
    top = max(int(grid["opens"].max()), 1)
    base = alt.Chart(grid)
    cells = base.mark_rect(cornerRadius=3, stroke="white", strokeWidth=2).encode(
        x=hour,
        y=day,
        color=alt.condition(
            "datum.opens > 0",
            alt.Color(
                "opens:Q",
                title="Opens",
                scale=alt.Scale(scheme="blues", domain=[0, top], domainMin=0),
                legend=alt.Legend(orient="right", tickMinStep=1),
            ),
            alt.value("#f0f2f6"),
        ),
        tooltip=[
            alt.Tooltip("day:N", title="Day"),
            alt.Tooltip("hour_of_day:O", title="Hour"),
            alt.Tooltip("opens:Q", title="Opens"),
            alt.Tooltip("unique_prospects:Q", title="Unique prospects"),
        ],
    )
    labels = (
        base.mark_text(fontSize=11)
        .encode(
            x=hour,
            y=day,
            text="opens:Q",
            color=alt.condition(f"datum.opens > {top / 2}", alt.value("white"), alt.value("#31333f")),
        )
        .transform_filter("datum.opens > 0")
    )
    return (cells + labels).properties(height=7 * 38)


main()
