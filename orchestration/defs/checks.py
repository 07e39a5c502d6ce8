"""Python asset checks on the marts: they recompute what a wrong number would break.

The dbt tests (asset checks too) guard keys, enums and contracts. These checks validate the
definitions of SPEC §3/§4 independently of the SQL that computed them:
rates are recomputed in Python from their counts, counts are recounted from the staged
events by a second, differently written query, and totals are reconciled across marts.

The checks run where the marts are: on the DuckDB warehouse, or with the `spark` target as
Spark SQL (campaign_dw.spark), the same queries.

A failing blocking check stops the run before serving is published (BI keeps the last good
numbers) and makes `campaign-dw build` exit non-zero. Each result carries how many rows
failed and a few examples.
"""


import math
from collections.abc import Iterable

import dagster as dg

from campaign_dw.config import paths, target
from campaign_dw.raw_contract import RAW_TABLES
from campaign_dw.warehouse import connect, reader_lock

METRIC_MARTS = ("campaign_metrics", "campaign_message_metrics")
COUNT_COLUMNS = (
    "emails_sent", "emails_delivered", "emails_bounced", "emails_hard_bounced", "emails_soft_bounced",
    "emails_opened", "emails_clicked", "emails_replied", "emails_unsubscribed", "emails_marked_spam",
)
# SPEC §4, restated here on purpose: the check must not share the code it checks.
RATES = {
    "delivery_rate": ("emails_delivered", "emails_sent"),
    "bounce_rate": ("emails_bounced", "emails_sent"),
    "unsubscribe_rate": ("emails_unsubscribed", "emails_delivered"),
    "spam_rate": ("emails_marked_spam", "emails_delivered"),
    "open_rate": ("emails_opened", "emails_delivered"),
    "response_rate": ("emails_replied", "emails_delivered"),
    "click_rate": ("emails_clicked", "emails_delivered"),
    "click_through_rate": ("emails_clicked", "emails_opened"),
}
EXAMPLES = 5


def query(sql: str) -> list[dict]:
    """Rows of a read-only query on the engine the marts were built on, as dicts."""
    if target() == "spark":
        from campaign_dw import spark

        return spark.query(sql)
    return duckdb_query(sql)


def duckdb_query(sql: str, parameters: list | None = None) -> list[dict]:
    """Rows of a read-only query on the DuckDB warehouse (which holds `raw` on every target)."""
    with reader_lock(paths()), connect(paths().warehouse, read_only=True) as con:
        cursor = con.execute(sql, parameters or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def result(failures: list[dict], checked: int, what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{len(failures)} of {checked} rows fail: {what}" if failures else f"{checked} rows pass: {what}",
        metadata={
            "failed_rows": len(failures),
            "checked_rows": checked,
            "examples": dg.MetadataValue.json([_jsonable(f) for f in failures[:EXAMPLES]]),
        },
    )


def _jsonable(row: dict) -> dict:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in row.items()}


def key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


# --- pure rules, unit-tested in tests/test_checks.py ------------------------------------------

def rate_violations(rows: Iterable[dict]) -> list[dict]:
    """Each rate equals numerator / denominator, NULL exactly when the denominator is 0."""
    bad = []
    for row in rows:
        for rate, (numerator, denominator) in RATES.items():
            value, num, den = row[rate], row[numerator], row[denominator]
            if den == 0:
                ok = value is None
            else:
                ok = value is not None and math.isclose(value, num / den, rel_tol=1e-12, abs_tol=1e-15)
            if not ok:
                bad.append({**{k: row[k] for k in row if k.endswith("_id")}, "rate": rate, "value": value,
                            "numerator": num, "denominator": den})
    return bad


def count_violations(rows: Iterable[dict]) -> list[dict]:
    """Rates within [0, 1]; delivered + bounced <= sent; opened <= delivered; clicked <= opened;
    hard + soft bounced = bounced; no count negative."""
    rules = {
        "rate outside [0, 1]": lambda r: any(r[x] is not None and not 0 <= r[x] <= 1 for x in RATES),
        "delivered + bounced > sent": lambda r: r["emails_delivered"] + r["emails_bounced"] > r["emails_sent"],
        "opened > delivered": lambda r: r["emails_opened"] > r["emails_delivered"],
        "clicked > opened": lambda r: r["emails_clicked"] > r["emails_opened"],
        "hard + soft != bounced": lambda r: r["emails_hard_bounced"] + r["emails_soft_bounced"] != r["emails_bounced"],
        "negative count": lambda r: any(r[c] < 0 for c in COUNT_COLUMNS),
    }
    return [{**row, "broken_rule": name} for row in rows for name, broken in rules.items() if broken(row)]


def mismatches(expected: dict, actual: dict, columns: Iterable[str]) -> list[dict]:
    """Rows (by key) whose columns differ between two {key: row} maps, missing rows included."""
    bad = []
    for k in sorted(set(expected) | set(actual), key=str):
        e, a = expected.get(k), actual.get(k)
        diff = {c: {"expected": (e or {}).get(c), "actual": (a or {}).get(c)}
                for c in columns if (e or {}).get(c, 0) != (a or {}).get(c, 0)}
        if e is None or a is None or diff:
            bad.append({"key": str(k), "missing_from": "actual" if a is None else "expected" if e is None else None,
                        "differences": diff})
    return bad


# --- the checks --------------------------------------------------------------------------------

def _metric_checks(table: str) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(asset=key("marts", table), name="rates_match_their_definition", blocking=True,
                    description="Every rate = its SPEC §4 numerator / denominator, NULL exactly when the denominator is 0.")
    def rates_match() -> dg.AssetCheckResult:
        rows = query(f"select * from marts.{table}")
        return result(rate_violations(rows), len(rows), "rate = numerator / denominator")

    @dg.asset_check(asset=key("marts", table), name="counts_are_consistent", blocking=True,
                    description="Rates in [0, 1]; delivered + bounced <= sent; opened <= delivered; "
                                "clicked <= opened; hard + soft bounced = bounced.")
    def counts_consistent() -> dg.AssetCheckResult:
        rows = query(f"select * from marts.{table}")
        return result(count_violations(rows), len(rows), "count invariants")

    return [rates_match, counts_consistent]


@dg.asset_check(
    asset=key("marts", "campaign_metrics"), name="campaign_equals_sum_of_messages", blocking=True,
    additional_deps=[key("marts", "campaign_message_metrics")],
    description="Each campaign's counts equal the sum of its messages' counts.",
)
def campaign_equals_sum_of_messages() -> dg.AssetCheckResult:
    campaigns = {r["campaign_id"]: r for r in query("select * from marts.campaign_metrics")}
    sums = {
        r["campaign_id"]: r
        for r in query(
            "select campaign_id, " + ", ".join(f"sum({c})::bigint as {c}" for c in COUNT_COLUMNS)
            + " from marts.campaign_message_metrics group by campaign_id"
        )
    }
    # A campaign without messages has no message rows: its counts must then be zero.
    for campaign_id in campaigns:
        sums.setdefault(campaign_id, {c: 0 for c in COUNT_COLUMNS} | {"campaign_id": campaign_id})
    return result(mismatches(sums, campaigns, COUNT_COLUMNS), len(campaigns), "campaign = sum of its messages")


# The recount: the same SPEC §3 rules as int_emails_flagged, written independently (per-event
# flags with FILTER aggregates straight from staging), so a wrong join or flag shows up.
# It recounts the campaigns the latest build could have changed (every campaign after a full
# build): those with sends or events staged by the latest build that staged any, and those
# whose email flags the latest build rewrote (a new message rewrites them all). A campaign with
# new data that the incremental models failed to update is among them; history that nothing
# touched was recounted when it was new, and is not re-read by every build.
def latest_build(table: str) -> str:
    """The rows of an incremental table that its latest build wrote (`_built_at`, see
    dbt_project/macros/incremental.sql): every row after a full build."""
    return f"{table} where _built_at = (select max(_built_at) from {table})"


RECENTLY_CHANGED_CAMPAIGNS = f"""
    select campaign_id from {latest_build("staging.stg_recruiting__email_sends")}
    union
    select campaign_id from staging.stg_recruiting__email_sends
    where email_id in (select email_id from {latest_build("staging.stg_recruiting__email_events")})
    union
    select campaign_id from {latest_build("intermediate.int_emails_flagged")}
"""
RECOUNT_SQL = f"""
with sends as (
    select s.email_id, s.campaign_id
    from staging.stg_recruiting__email_sends s
    join staging.stg_recruiting__campaign_messages m on m.message_id = s.message_id and m.campaign_id = s.campaign_id
    join staging.stg_recruiting__campaigns c on c.campaign_id = s.campaign_id
    where s.campaign_id in ({RECENTLY_CHANGED_CAMPAIGNS})
),
per_email as (
    select
        s.email_id, s.campaign_id,
        count(*) filter (where e.event_type = 'delivered') > 0 as d,
        count(*) filter (where e.event_type in ('opened','clicked','replied','unsubscribed','spam_reported')) > 0 as engaged,
        count(*) filter (where e.event_type = 'bounced') > 0 as b,
        count(*) filter (where e.event_type = 'bounced' and e.bounce_type = 'hard') > 0 as hard,
        count(*) filter (where e.event_type = 'opened') > 0 as o,
        count(*) filter (where e.event_type = 'clicked' and (l.placement is null or l.placement <> 'footer')) > 0 as c,
        count(*) filter (where e.event_type = 'replied') > 0 as r,
        count(*) filter (where e.event_type = 'unsubscribed') > 0 as u,
        count(*) filter (where e.event_type = 'spam_reported') > 0 as sp
    from sends s
    left join staging.stg_recruiting__email_events e on e.email_id = s.email_id
    left join staging.stg_recruiting__message_links l on l.link_id = e.link_id
    group by s.email_id, s.campaign_id
)
select
    campaign_id,
    count(*) as emails_sent,
    count(*) filter (where d or engaged) as emails_delivered,
    count(*) filter (where b and not (d or engaged)) as emails_bounced,
    count(*) filter (where b and not (d or engaged) and hard) as emails_hard_bounced,
    count(*) filter (where b and not (d or engaged) and not hard) as emails_soft_bounced,
    count(*) filter (where o or c) as emails_opened,
    count(*) filter (where c) as emails_clicked,
    count(*) filter (where r) as emails_replied,
    count(*) filter (where u) as emails_unsubscribed,
    count(*) filter (where sp) as emails_marked_spam
from per_email
group by campaign_id
"""


@dg.asset_check(
    asset=key("marts", "campaign_metrics"), name="counts_match_a_recount_from_staged_events", blocking=True,
    additional_deps=[key("staging", "stg_recruiting__email_events"), key("staging", "stg_recruiting__email_sends")],
    description="An independent recount of every count straight from the staged sends and events agrees with the "
                "mart, for each campaign the latest build could have changed.",
)
def counts_match_recount() -> dg.AssetCheckResult:
    mart = {r["campaign_id"]: r for r in query(
        f"select * from marts.campaign_metrics where emails_sent > 0 and campaign_id in ({RECENTLY_CHANGED_CAMPAIGNS})"
    )}
    recount = {r["campaign_id"]: r for r in query(RECOUNT_SQL)}
    return result(mismatches(recount, mart, COUNT_COLUMNS), len(recount), "mart counts = recount from staging")


def _heatmap_check(table: str, grain: str, cells: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key("marts", table), name="same_total_in_every_time_zone", blocking=True,
        description="Converting time zones moves opens between cells, never adds or loses one: "
                    "every viewer zone of a campaign has the same total (the campaigns whose cells "
                    "the latest build recomputed; all after a full build).",
    )
    def same_total() -> dg.AssetCheckResult:
        # The mart is a view of its cell table, which is kept per campaign (`_built_at`): at
        # 100M events it holds tens of millions of cells, most unchanged by a build.
        recomputed = f"select campaign_id from {latest_build(f'intermediate.{cells}')}"
        rows = query(
            f"""select {grain}, min(total) as smallest_zone_total, max(total) as largest_zone_total,
                       count(*) as zones
                from (select {grain}, viewer_timezone, sum(opens) as total
                      from marts.{table} where campaign_id in ({recomputed})
                      group by {grain}, viewer_timezone)
                group by {grain}"""
        )
        zones = query("select count(*) as n from intermediate.int_viewer_timezones")[0]["n"]
        bad = [r for r in rows if r["smallest_zone_total"] != r["largest_zone_total"] or r["zones"] != zones]
        return result(bad, len(rows), f"equal totals over all {zones} viewer zones")

    return same_total


@dg.asset_check(
    asset=key("audit", "raw_row_reconciliation"), name="every_raw_row_accounted_for", blocking=True,
    description="For each raw table, rows counted in raw = accepted + superseded + duplicate + rejected + waiting, "
                "and no row lost.",
)
def every_raw_row_accounted_for() -> dg.AssetCheckResult:
    rows = {r["table_name"]: r for r in query("select * from audit.raw_row_reconciliation")}
    # Raw rows up to the newest the build saw: a load may append more while the checks run.
    raw = query(
        " union all ".join(
            f"select '{t}' as table_name, count(*) as raw_rows from raw.{t} "
            f"where _row_id <= {int((rows.get(t) or {}).get('last_raw_row_id') or 0)}"
            for t in RAW_TABLES
        )
    )
    bad = []
    for r in raw:
        rec = rows.get(r["table_name"])
        buckets = None if rec is None else (
            rec["accepted_rows"] + rec["superseded_rows"] + rec["duplicate_rows"] + rec["rejected_rows"] + rec["waiting_rows"]
        )
        lost = None if rec is None else rec["lost_rows"]
        if buckets != r["raw_rows"] or lost != 0 or min(rec[c] for c in rec if c.endswith("_rows")) < 0:
            bad.append({"table_name": r["table_name"], "raw_rows": r["raw_rows"], "sum_of_buckets": buckets,
                        "lost_rows": lost})
    return result(bad, len(raw), "raw rows = sum of buckets")


def _link_check(table: str, by_link_id: bool) -> dg.AssetChecksDefinition:
    # A footer url of a campaign: every link with that url in the campaign is a footer link.
    footer = (
        "join staging.stg_recruiting__message_links l on l.link_id = t.link_id and l.placement = 'footer'"
        if by_link_id else
        "join (select m.campaign_id, l.url from staging.stg_recruiting__message_links l "
        "join staging.stg_recruiting__campaign_messages m on m.message_id = l.message_id "
        "group by m.campaign_id, l.url "
        "having min(case when l.placement = 'footer' then 1 else 0 end) = 1) footer_only "
        "on footer_only.campaign_id = t.campaign_id and footer_only.url = t.link_url"
    )

    @dg.asset_check(
        asset=key("marts", table), name="clicks_are_consistent", blocking=True,
        description="unique_clicks <= total_clicks, and no footer link is listed.",
    )
    def clicks_consistent() -> dg.AssetCheckResult:
        over = query(f"select *, 'unique_clicks > total_clicks' as broken_rule from marts.{table} "
                     "where unique_clicks > total_clicks or unique_clicks < 1")
        footers = query(f"select t.*, 'footer link listed' as broken_rule from marts.{table} t {footer}")
        checked = query(f"select count(*) as n from marts.{table}")[0]["n"]
        return result(over + footers, checked, "unique <= total, no footer links")

    return clicks_consistent


asset_checks = [
    *[check for table in METRIC_MARTS for check in _metric_checks(table)],
    campaign_equals_sum_of_messages,
    counts_match_recount,
    _heatmap_check("campaign_open_heatmap", "campaign_id", "int_campaign_heatmap_cells_counted"),
    _heatmap_check("campaign_message_open_heatmap", "campaign_id, message_id", "int_message_heatmap_cells_counted"),
    every_raw_row_accounted_for,
    _link_check("campaign_link_clicks", by_link_id=False),
    _link_check("campaign_message_link_clicks", by_link_id=True),
]

defs = dg.Definitions(asset_checks=asset_checks)
