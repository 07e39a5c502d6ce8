"""Python asset checks on the marts: what the dbt tests cannot verify.

dbt's data tests (asset checks too) guard keys, enums, contracts and the invariants inside a
row (delivered + bounced <= sent, unique <= total clicks, rates in [0, 1], every raw row
reconciled). These checks verify the definitions of SPEC §3/§4/§5 independently of the SQL
that computed them:

- rates are recomputed in Python from their counts (a rate over the wrong denominator passes
  every dbt test);
- a campaign's counts are compared with the sum of its messages' (two marts);
- counts are recounted from the staged sends and events by a second, differently written
  query (a wrong join or flag in the models shows up): after an incremental build, of every
  email that may have changed, the others counted from flags a passing recount read;
- every viewer zone of a heatmap has the same total (converting zones moves opens between
  cells, never adds or loses one);
- no footer link is listed (placement lives in another table than the clicks).

They run where the marts are, through the warehouse's engine (campaign_dw.engine): on the
DuckDB warehouse, or as Spark SQL with the `spark` target, naming every relation through the
engine (`Engine.relation`: on Spark each warehouse's schemas carry its prefix). A failing blocking check stops the
run before serving is published (BI keeps the last good numbers). Each result carries how many
rows failed and a few examples.

The drift alarm (drift_job, weekly) recounts every campaign, not only those the latest build
changed, so an incremental bug cannot hide in campaigns that no build touches again.
"""

import json
import math
from collections.abc import Callable, Iterable
from datetime import datetime

import dagster as dg

from campaign_dw.build_record import write_whole
from campaign_dw.engine import Engine
from orchestration.defs.resources import WarehouseResource

METRIC_MARTS = ("campaign_metrics", "campaign_message_metrics", "metrics_rollup")
COUNT_COLUMNS = (
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
# SPEC §3b: the same figures for people (a campaign's are the sum of its messages' too).
PEOPLE_COUNT_COLUMNS = ("emails_opened_by_people", "emails_clicked_by_people", "machine_opens", "bot_clicks")
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
    "people_open_rate": ("emails_opened_by_people", "emails_delivered"),
    "people_click_rate": ("emails_clicked_by_people", "emails_delivered"),
    "people_click_through_rate": ("emails_clicked_by_people", "emails_opened_by_people"),
}
EXAMPLES = 5


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
                bad.append(
                    {
                        **{k: row[k] for k in row if k.endswith("_id")},
                        "rate": rate,
                        "value": value,
                        "numerator": num,
                        "denominator": den,
                    }
                )
    return bad


def mismatches(expected: dict, actual: dict, columns: Iterable[str]) -> list[dict]:
    """Rows (by key) whose columns differ between two {key: row} maps, missing rows included."""
    bad = []
    for k in sorted(set(expected) | set(actual), key=str):
        e, a = expected.get(k), actual.get(k)
        diff = {
            c: {"expected": (e or {}).get(c), "actual": (a or {}).get(c)}
            for c in columns
            if (e or {}).get(c, 0) != (a or {}).get(c, 0)
        }
        if e is None or a is None or diff:
            bad.append(
                {
                    "key": str(k),
                    "missing_from": "actual" if a is None else "expected" if e is None else None,
                    "differences": diff,
                }
            )
    return bad


# --- the checks --------------------------------------------------------------------------------


def _rate_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key("marts", table),
        name="rates_match_their_definition",
        blocking=True,
        description="Every rate, the people rates of SPEC §3b included, is recomputed in Python from the "
        "mart's counts: numerator / denominator, NULL exactly when the denominator is 0 (a "
        "rate over the wrong denominator passes every dbt test).",
    )
    def rates_match(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        rows = warehouse.query(f"select * from {warehouse.engine.relation(f'marts.{table}')}")
        return result(rate_violations(rows), len(rows), "rate = numerator / denominator")

    return rates_match


def sum_mismatches(
    warehouse: WarehouseResource, table: str, parts: str, keys: tuple[str, ...]
) -> tuple[list[dict], int]:
    """Rows of `table` whose counts differ from the sum of the rows of `parts` with the same
    keys (a row without parts has zero counts)."""
    columns = COUNT_COLUMNS + PEOPLE_COUNT_COLUMNS
    by_key = ", ".join(keys)
    relation = warehouse.engine.relation
    totals = {tuple(r[k] for k in keys): r for r in warehouse.query(f"select * from {relation(f'marts.{table}')}")}
    sums = {
        tuple(r[k] for k in keys): r
        for r in warehouse.query(
            f"select {by_key}, "
            + ", ".join(f"cast(sum({c}) as bigint) as {c}" for c in columns)
            + f" from {relation(f'marts.{parts}')} group by {by_key}"
        )
    }
    for k in totals:
        sums.setdefault(k, {c: 0 for c in columns})
    return mismatches(sums, totals, columns), len(totals)


@dg.asset_check(
    asset=key("marts", "campaign_metrics"),
    name="campaign_equals_sum_of_messages",
    blocking=True,
    additional_deps=[key("marts", "campaign_message_metrics")],
    description="Each campaign's counts equal the sum of its messages' counts, across the two metric "
    "marts (a campaign without messages has zero counts).",
)
def campaign_equals_sum_of_messages(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    bad, checked = sum_mismatches(warehouse, "campaign_metrics", "campaign_message_metrics", ("campaign_id",))
    return result(bad, checked, "campaign = sum of its messages")


@dg.asset_check(
    asset=key("marts", "email_counts_daily"),
    name="days_add_up_to_their_message",
    blocking=True,
    additional_deps=[key("marts", "campaign_message_metrics")],
    description="Summed over its send dates, each message's daily counts equal its counts in "
    "campaign_message_metrics (SPEC §8): the BI tools' fact adds up to the dashboard's figures.",
)
def days_add_up_to_their_message(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    bad, checked = sum_mismatches(
        warehouse, "campaign_message_metrics", "email_counts_daily", ("campaign_id", "message_id")
    )
    return result(bad, checked, "message = sum of its days")


ROLLUP_KEY = ("grain", "campaign_id", "language", "owner_user_id", "send_month")


def rollup_mismatches(
    rollup: list[dict], semantic: list[dict], counts: Iterable[str], rates: Iterable[str]
) -> list[dict]:
    """Rollup rows that differ from the semantic layer's answer for the same group: a count not
    equal, a rate not equal within rounding (NULL only where the other is NULL), or a group
    in one and not the other. Groups with no email sent are not groups (SPEC §8)."""
    counts, rates = tuple(counts), tuple(rates)

    def keyed(rows):
        return {tuple(r[k] for k in ROLLUP_KEY): r for r in rows if r.get("emails_sent")}

    expected, actual = keyed(semantic), keyed(rollup)
    bad = mismatches(expected, actual, counts)
    for k in set(expected) & set(actual):
        for rate in rates:
            e, a = expected[k][rate], actual[k][rate]
            same = (e is None and a is None) or (
                e is not None and a is not None and math.isclose(e, a, rel_tol=1e-9, abs_tol=1e-12)
            )
            if not same:
                bad.append({"key": str(k), "rate": rate, "semantic_layer": e, "rollup": a})
    return bad


@dg.asset_check(
    asset=key("marts", "metrics_rollup"),
    name="rollup_equals_the_semantic_layer",
    blocking=True,
    additional_deps=[key("marts", "email_counts_daily"), key("marts", "campaign_overview")],
    description="At every grain, each group's counts and rates equal what dbt's semantic layer "
    "(MetricFlow, its metrics defined in models/semantic/) answers for it, from the daily "
    "counts and the campaign dimension: the rates written in SQL and those defined as "
    "ratio metrics are the same definitions.",
)
def rollup_equals_the_semantic_layer(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from campaign_dw.semantic import SemanticLayer

    layer = SemanticLayer(dbt_target_dir(), engine=warehouse.engine.name, relation=warehouse.engine.relation)
    semantic = layer.rollup(warehouse.query, [*COUNT_COLUMNS, *PEOPLE_COUNT_COLUMNS, *RATES])
    rollup = warehouse.query(f"select * from {warehouse.engine.relation('marts.metrics_rollup')}")
    bad = rollup_mismatches(rollup, semantic, COUNT_COLUMNS + PEOPLE_COUNT_COLUMNS, RATES)
    return result(bad, len(rollup), "rollup = semantic layer")


def dbt_target_dir():
    """Where the semantic manifest is: beside the manifest Dagster's dbt assets were built from."""
    from orchestration.defs.dbt import dbt_project

    return dbt_project().manifest_path.parent


# Emails recounted by one query. The recount joins every event of its emails and groups them
# per email: on the benchmark's largest data set, more than its DuckDB memory_limit held at once
# (benchmarks/README.md, "Memory at 100M"). Above this many, the emails are split into buckets
# by a hash of their id and recounted bucket by bucket; a message's counts are sums over its
# emails, so the buckets' counts add up.
EMAILS_PER_RECOUNT_QUERY = 5_000_000


def email_buckets(warehouse: WarehouseResource, sends_in_scope: str = "true") -> int:
    """How many queries the recount of the sends `s` that `sends_in_scope` holds takes (their
    emails / EMAILS_PER_RECOUNT_QUERY)."""
    emails = warehouse.query(
        f"select count(*) as emails from {warehouse.engine.relation('intermediate.int_email_sends_deduplicated')} s "
        f"where {sends_in_scope}"
    )
    return max(1, math.ceil(emails[0]["emails"] / EMAILS_PER_RECOUNT_QUERY))


# The recount: the same SPEC §3 rules as int_emails_flagged, written independently (per-event
# flags with FILTER aggregates straight from the de-duplicated facts and the current
# dimensions; a click without a link_id takes its message's first link with its url), per
# message. `in_scope` (a condition on the sends `s`) selects the emails to recount; `bucket`
# of `buckets` the emails (a non-negative hash modulo on both engines: Spark's hash is a signed
# int); `relation` names the tables on the engine (Engine.relation). `events_of_sends_only`:
# the events are read for the emails in scope only (a semi-join), for a scope of a few emails.
def recount_sql(
    in_scope: str = "true",
    buckets: int = 1,
    bucket: int = 0,
    relation: Callable[[str], str] = str,
    events_of_sends_only: bool = False,
) -> str:
    def in_bucket(column: str) -> str:
        return f"(hash({column}) % {buckets} + {buckets}) % {buckets} = {bucket}" if buckets > 1 else "true"

    sends, events, links, messages, campaigns = (
        relation(f"intermediate.{name}")
        for name in (
            "int_email_sends_deduplicated",
            "int_email_events_deduplicated",
            "int_message_links_current",
            "int_campaign_messages_current",
            "int_campaigns_current",
        )
    )
    return f"""
with sends as (
    select s.email_id, s.campaign_id, s.message_id
    from {sends} s
    join {messages} m on m.message_id = s.message_id and m.campaign_id = s.campaign_id
    join {campaigns} c on c.campaign_id = s.campaign_id
    where {in_bucket("s.email_id")} and {in_scope}
),
events as (
    select email_id, event_id, event_type, bounce_type, link_id, url
    from {events}
    where {in_bucket("email_id")}{" and email_id in (select email_id from sends)" if events_of_sends_only else ""}
),
first_link_by_url as (
    select message_id, url, min(link_id) as link_id
    from {links}
    group by message_id, url
),
per_email as (
    select
        s.email_id, s.campaign_id, s.message_id,
        count(e.event_id) filter (where e.event_type = 'delivered') > 0 as d,
        count(e.event_id) filter (where e.event_type in ('opened','clicked','replied','unsubscribed','spam_reported')) > 0 as engaged,
        count(e.event_id) filter (where e.event_type = 'bounced') > 0 as b,
        count(e.event_id) filter (where e.event_type = 'bounced' and e.bounce_type = 'hard') > 0 as hard,
        count(e.event_id) filter (where e.event_type = 'opened') > 0 as o,
        count(e.event_id) filter (where e.event_type = 'clicked' and (l.placement is null or l.placement <> 'footer')) > 0 as c,
        count(e.event_id) filter (where e.event_type = 'replied') > 0 as r,
        count(e.event_id) filter (where e.event_type = 'unsubscribed') > 0 as u,
        count(e.event_id) filter (where e.event_type = 'spam_reported') > 0 as sp
    from sends s
    left join events e on e.email_id = s.email_id
    left join first_link_by_url u
        on e.link_id is null and e.event_type = 'clicked' and u.message_id = s.message_id and u.url = e.url
    left join {links} l on l.link_id = coalesce(e.link_id, u.link_id)
    group by s.email_id, s.campaign_id, s.message_id
)
select
    campaign_id, message_id,
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
group by campaign_id, message_id
"""


def latest_build(table: str) -> str:
    """The rows of an incremental table that its latest build wrote (`_built_at`, see
    dbt_project/macros/incremental.sql): every row after a full build."""
    return f"{table} where _built_at = (select max(_built_at) from {table})"


# A campaign id the engine may read otherwise than written in a literal (Engine.reads_literally)
# is recounted with every campaign instead of being named.
# Beyond this many changed campaigns the recount reads every campaign (nearly the same work)
# instead of naming them all in each of its queries.
MAX_NAMED_CAMPAIGNS = 10_000


def changed_campaigns(warehouse: WarehouseResource) -> list[str] | None:
    """The campaigns the recount reads after a build: the scope the build recomputed
    (intermediate.int_campaigns_touched, decided once for the models and this check alike),
    looked up once (each of its queries, one per bucket of emails, names them as literals), or
    None (every campaign) when the build recomputed every current campaign (a full build):
    the recount reads current campaigns only, so both give the same rows. Also None, a
    superset, when naming them is not safe or not worth it (see above)."""
    current, touched = (
        warehouse.engine.relation(f"intermediate.{name}") for name in ("int_campaigns_current", "int_campaigns_touched")
    )
    untouched = warehouse.query(
        f"select count(*) as campaigns from {current} where campaign_id not in (select campaign_id from {touched})"
    )
    if not untouched[0]["campaigns"]:
        return None
    campaigns = sorted(r["campaign_id"] for r in warehouse.query(f"select campaign_id from {touched}"))
    if len(campaigns) > MAX_NAMED_CAMPAIGNS or not all(warehouse.engine.reads_literally(c) for c in campaigns):
        return None
    return campaigns


def in_campaigns(campaigns: list[str] | None, engine: Engine, column: str = "campaign_id") -> str:
    """A filter on the campaigns of a scope (`true` for None, every campaign), as literals
    quoted for the engine."""
    if campaigns is None:
        return "true"
    if not campaigns:
        return "false"
    return f"{column} in ({', '.join(engine.literal(c) for c in campaigns)})"


def add_counts(totals: dict, key, row: dict) -> None:
    """Adds a row's COUNT_COLUMNS to totals[key] (counts of emails: disjoint sets add up)."""
    total = totals.setdefault(key, dict.fromkeys(COUNT_COLUMNS, 0))
    for c in COUNT_COLUMNS:
        total[c] += row[c]


def flags_recounted_through(warehouse: WarehouseResource) -> str | None:
    """The newest `_built_at` of int_emails_flagged up to which every email's flags have been
    recounted from their events by a recount that passed (None: not known). The mark names
    the newest completed build of the warehouse when it was written: beside a DuckDB file
    that has no such build (an older one restored, another warehouse's) it is not trusted."""
    try:
        mark = json.loads(warehouse.paths.recount_mark.read_text())
        through, completed = mark["flags_recounted_through"], mark["completed_build"]
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(completed, str) or not warehouse.engine.reads_literally(completed):
        return None
    builds = warehouse.engine.relation("intermediate.completed_builds")
    (found,) = warehouse.query(
        f"select count(*) as n from {builds} where cast(built_at as varchar) = {warehouse.engine.literal(completed)}"
    )
    return through if found["n"] else None


def newest_completed_build(warehouse: WarehouseResource) -> str | None:
    """When the newest completed build of the warehouse was built (intermediate.completed_builds), as text."""
    builds = warehouse.engine.relation("intermediate.completed_builds")
    (newest,) = warehouse.query(f"select cast(max(built_at) as varchar) as built_at from {builds}")
    return newest["built_at"]


def recounted_emails(warehouse: WarehouseResource, campaigns: list[str] | None) -> str | None:
    """The emails of `campaigns` recounted from their events, as a condition on the sends `s`:
    those of a campaign the build recounted whole (a changed dimension), with a send or an
    event since the last completed build, or whose flags a passing recount has not read
    (flags_recounted_through). Decided from the facts and the mark, not from the models' own
    list of touched emails. The others are counted from their flags (kept_counts_sql). None
    (every email recounted) for every campaign, on an engine that does not count recounted
    flags (Spark), or when the mark or the last completed build is not known."""
    through = flags_recounted_through(warehouse)
    if campaigns is None or not warehouse.engine.counts_recounted_flags or through is None:
        return None
    relation, engine = warehouse.engine.relation, warehouse.engine
    state = warehouse.query(f"select last_completed_build from {relation('intermediate.build_state')}")
    previous = json.loads(state[0]["last_completed_build"]) if state else None
    whole = sorted(
        r["campaign_id"]
        for r in warehouse.query(
            f"select campaign_id from {relation('intermediate.int_campaigns_touched')} where whole_campaign"
        )
    )
    if not previous or len(whole) > MAX_NAMED_CAMPAIGNS or not engine.reads_literally(through):
        return None
    events, flags = (
        relation(f"intermediate.{name}") for name in ("int_email_events_deduplicated", "int_emails_flagged")
    )
    return (
        f"({in_campaigns(whole, engine, 's.campaign_id')}"
        f" or s._row_id > {int(previous['sends_through'])}"
        f" or s.email_id in (select email_id from {events} where _row_id > {int(previous['events_through'])})"
        f" or s.email_id in (select email_id from {flags} where _built_at > cast({engine.literal(through)} as timestamp)))"
    )


# SPEC §4's counts of emails with a flag, restated here as the recount restates them.
FLAG_OF_COUNT = {
    "emails_delivered": "was_delivered",
    "emails_bounced": "was_bounced",
    "emails_hard_bounced": "was_hard_bounced",
    "emails_soft_bounced": "was_soft_bounced",
    "emails_opened": "was_opened",
    "emails_clicked": "was_clicked",
    "emails_replied": "was_replied",
    "emails_unsubscribed": "was_unsubscribed",
    "emails_marked_spam": "was_marked_spam",
}


# The counts of the emails `kept` (a condition on the sends `s`) from their flags, joined with
# the current messages and campaigns as the recount's sends are. Driven by the sends: an email
# with no flags counts as sent with none (the marts, which count flags, then disagree).
def kept_counts_sql(kept: str, relation: Callable[[str], str] = str) -> str:
    sends, flags, messages, campaigns = (
        relation(f"intermediate.{name}")
        for name in (
            "int_email_sends_deduplicated",
            "int_emails_flagged",
            "int_campaign_messages_current",
            "int_campaigns_current",
        )
    )
    flagged = ",\n    ".join(f"count(*) filter (where f.{flag}) as {column}" for column, flag in FLAG_OF_COUNT.items())
    return f"""
select
    s.campaign_id, s.message_id,
    count(*) as emails_sent,
    {flagged}
from {sends} s
join {messages} m on m.message_id = s.message_id and m.campaign_id = s.campaign_id
join {campaigns} c on c.campaign_id = s.campaign_id
left join {flags} f on f.email_id = s.email_id
where {kept}
group by s.campaign_id, s.message_id
"""


def advance_recount_mark(warehouse: WarehouseResource, campaigns: list[str] | None) -> None:
    """After a recount of `campaigns` (None: every one) passed: every email's flags up to the
    newest `_built_at` are now recounted, unless flags newer than the mark lie outside the
    campaigns it read (a run of some models only): then the mark stays, and the next
    recount reads them too. Only where the engine counts recounted flags (Engine)."""
    if not warehouse.engine.counts_recounted_flags:
        return
    through = flags_recounted_through(warehouse)
    if campaigns is not None and through is None:
        return  # what lies outside these campaigns is not known to be recounted
    flags = warehouse.engine.relation("intermediate.int_emails_flagged")
    since = "true" if through is None else f"_built_at > cast({warehouse.engine.literal(through)} as timestamp)"
    newer = warehouse.query(
        f"select campaign_id, cast(max(_built_at) as varchar) as newest from {flags} where {since} group by campaign_id"
    )
    if not newer or (campaigns is not None and {r["campaign_id"] for r in newer} - set(campaigns)):
        return  # nothing newer than the mark, or some of it outside what the recount read
    newest = max((r["newest"] for r in newer), key=datetime.fromisoformat)
    write_whole(
        warehouse.paths.recount_mark,
        {"flags_recounted_through": newest, "completed_build": newest_completed_build(warehouse)},
    )


def recount_mismatches(warehouse: WarehouseResource, campaigns: list[str] | None) -> tuple[list[dict], int]:
    """Message counts of both metric marts against the recount, for `campaigns` (all when
    None): the mismatches and how many rows were compared. The emails recounted_emails names
    are recounted from their events, the other emails of the campaigns counted from their
    flags."""
    recount: dict = {}
    engine = warehouse.engine
    recounted = recounted_emails(warehouse, campaigns)
    in_scope_sends = in_campaigns(campaigns, engine, "s.campaign_id")
    sends_in_scope = in_scope_sends if recounted is None else f"{in_scope_sends} and {recounted}"
    buckets = email_buckets(warehouse, sends_in_scope)
    for bucket in range(buckets):
        sql = recount_sql(sends_in_scope, buckets, bucket, engine.relation, events_of_sends_only=recounted is not None)
        for row in warehouse.query(sql):
            add_counts(recount, (row["campaign_id"], row["message_id"]), row)
    if recounted is not None:
        for row in warehouse.query(kept_counts_sql(f"{in_scope_sends} and not {recounted}", engine.relation)):
            add_counts(recount, (row["campaign_id"], row["message_id"]), row)
    in_scope = in_campaigns(campaigns, engine)
    relation = engine.relation
    messages = {
        (r["campaign_id"], r["message_id"]): r
        for r in warehouse.query(
            f"select * from {relation('marts.campaign_message_metrics')} where emails_sent > 0 and {in_scope}"
        )
    }
    marts_campaigns = {
        r["campaign_id"]: r
        for r in warehouse.query(
            f"select * from {relation('marts.campaign_metrics')} where emails_sent > 0 and {in_scope}"
        )
    }
    recounted_campaigns: dict = {}
    for (campaign_id, _), row in recount.items():
        add_counts(recounted_campaigns, campaign_id, row)
    bad = mismatches(recount, messages, COUNT_COLUMNS) + mismatches(recounted_campaigns, marts_campaigns, COUNT_COLUMNS)
    return bad, len(recount) + len(recounted_campaigns)


@dg.asset_check(
    asset=key("marts", "campaign_metrics"),
    name="counts_match_a_recount_from_staged_events",
    blocking=True,
    additional_deps=[
        key("marts", "campaign_message_metrics"),
        key("intermediate", "int_email_events_deduplicated"),
        key("intermediate", "int_email_sends_deduplicated"),
    ],
    description="An independent recount of every count, per message and per campaign, straight from the "
    "de-duplicated sends and events agrees with both metric marts, for each campaign the "
    "latest build could have changed (the campaigns it recomputed, and those with sends or "
    "events it staged): every email that may have changed since a passing recount is recounted "
    "from its events, the others counted from the flags that recount read.",
)
def counts_match_recount(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    campaigns = changed_campaigns(warehouse)
    bad, checked = recount_mismatches(warehouse, campaigns)
    if not bad:
        advance_recount_mark(warehouse, campaigns)
    return result(bad, checked, "mart counts = recount from the staged facts")


def _heatmap_check(table: str, grain: str, cells: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key("marts", table),
        name="same_total_in_every_time_zone",
        blocking=True,
        description="Converting time zones moves opens between cells, never adds or loses one: every "
        "viewer zone of a campaign has the same total, and every zone has cells (for the "
        "campaigns whose cells the latest build recomputed; all after a full build).",
    )
    def same_total(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        # The mart is a view of its cell table, which is kept per campaign (`_built_at`): a
        # large warehouse holds far more cells than a build changes.
        relation = warehouse.engine.relation
        recomputed = f"select campaign_id from {latest_build(relation(f'intermediate.{cells}'))}"
        rows = warehouse.query(
            f"""select {grain}, min(total) as smallest_zone_total, max(total) as largest_zone_total,
                       count(*) as zones
                from (select {grain}, viewer_timezone, sum(opens) as total
                      from {relation(f"marts.{table}")} where campaign_id in ({recomputed})
                      group by {grain}, viewer_timezone) as per_zone
                group by {grain}"""
        )
        zones = warehouse.query(f"select count(*) as n from {relation('intermediate.int_viewer_timezones')}")[0]["n"]
        bad = [r for r in rows if r["smallest_zone_total"] != r["largest_zone_total"] or r["zones"] != zones]
        return result(bad, len(rows), f"equal totals over all {zones} viewer zones")

    return same_total


def _footer_check(table: str, by_link_id: bool) -> dg.AssetChecksDefinition:
    # A footer url of a campaign: every link with that url in the campaign is a footer link.
    def footer(relation: Callable[[str], str]) -> str:
        links, messages = (
            relation("intermediate.int_message_links_current"),
            relation("intermediate.int_campaign_messages_current"),
        )
        if by_link_id:
            return f"join {links} l on l.link_id = t.link_id and l.placement = 'footer'"
        return (
            f"join (select m.campaign_id, l.url from {links} l "
            f"join {messages} m on m.message_id = l.message_id "
            "group by m.campaign_id, l.url "
            "having min(case when l.placement = 'footer' then 1 else 0 end) = 1) footer_only "
            "on footer_only.campaign_id = t.campaign_id and footer_only.url = t.link_url"
        )

    @dg.asset_check(
        asset=key("marts", table),
        name="no_footer_link_listed",
        blocking=True,
        description="No listed link is a footer link (unsubscribe, privacy policy, ...) by the link's "
        "current placement in message_links (SPEC §3, §5).",
    )
    def no_footer_link(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        relation = warehouse.engine.relation
        mart = relation(f"marts.{table}")
        footers = warehouse.query(f"select t.*, 'footer link listed' as broken_rule from {mart} t {footer(relation)}")
        checked = warehouse.query(f"select count(*) as n from {mart}")[0]["n"]
        return result(footers, checked, "no footer links")

    return no_footer_link


BUILD_CHECKS = [
    *[_rate_check(table) for table in METRIC_MARTS],
    campaign_equals_sum_of_messages,
    days_add_up_to_their_message,
    rollup_equals_the_semantic_layer,
    counts_match_recount,
    _heatmap_check("campaign_open_heatmap", "campaign_id", "int_campaign_heatmap_cells_counted"),
    _heatmap_check("campaign_message_open_heatmap", "campaign_id, message_id", "int_message_heatmap_cells_counted"),
    _footer_check("campaign_link_clicks", by_link_id=False),
    _footer_check("campaign_message_link_clicks", by_link_id=True),
]


# --- the drift alarm ---------------------------------------------------------------------------


@dg.op(
    description="Recount every campaign's and message's counts from the staged facts and compare "
    "them with both metric marts, touched by a recent build or not. Fails the run, naming "
    "the rows that differ, when they do not agree."
)
def recount_every_campaign(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    bad, checked = recount_mismatches(warehouse, None)
    if bad:
        raise dg.Failure(
            description=f"drift: {len(bad)} of {checked} metric rows differ from a full recount of the staged "
            "facts; `campaign-dw build --full-refresh` repairs the marts; please report the "
            "examples as a bug",
            metadata={"examples": dg.MetadataValue.json([_jsonable(b) for b in bad[:EXAMPLES]])},
        )
    advance_recount_mark(warehouse, None)
    context.log.info(f"no drift: {checked} message and campaign rows equal a full recount")


@dg.job(
    description="The drift alarm (weekly): recounts every campaign's metrics from the staged facts; "
    "an incremental bug cannot hide in campaigns that no build touches again."
)
def drift_job():
    recount_every_campaign()


defs = dg.Definitions(asset_checks=BUILD_CHECKS, jobs=[drift_job])
