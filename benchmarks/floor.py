"""The floor: one process, hand-written DuckDB SQL, straight from the raw Parquet files to the
eight marts (no loading, no dbt, no Dagster, no checks, no serving copy). What the warehouse
costs on top of this is the price of its guarantees; the benchmark prints the ratio.

It implements the same definitions (SPEC §3-§5) on data as `campaign-dw generate` writes
it, and the benchmark checks that its marts equal the project's.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb

FIRST_OPENS = "2025-08-07"
ALL_OPENS = "2026-04-20"


def floor(raw: Path, database: Path, threads: int | None = None, memory_limit: str | None = None) -> float:
    """Build the marts of `raw` into `database` (schema marts); returns seconds. Under the
    same memory_limit as the warehouse's runs, when given."""
    raw = Path(raw)
    started = time.monotonic()
    con = duckdb.connect(str(database))
    try:
        con.execute("set TimeZone = 'UTC'")
        if threads:
            con.execute(f"set threads = {int(threads)}")
        if memory_limit:
            if not re.fullmatch(r"[0-9.]+ ?[KMGT]i?B|[0-9]+%", memory_limit):
                raise ValueError(f"memory_limit like 8GB or 80%, got {memory_limit!r}")
            con.execute(f"set memory_limit = '{memory_limit}'")

        def parts(table: str) -> str:
            files = sorted(str(p) for p in (raw / table).glob("*.parquet"))
            return "[" + ", ".join(f"'{f}'" for f in files) + "]"

        def latest(table: str, key: str) -> str:
            # the latest version of each dimension row (latest updated_at, then the later file/row)
            return f"""
                select * exclude (rn) from (
                    select *, row_number() over (partition by {key} order by updated_at desc, filename desc,
                                                                        file_row_number desc) as rn
                    from read_parquet({parts(table)}, filename = true, file_row_number = true, union_by_name = true))
                where rn = 1"""

        con.execute(f"""
            create schema if not exists marts;
            create temp table campaigns as {latest("campaigns", "campaign_id")};
            create temp table messages as {latest("campaign_messages", "message_id")};
            create temp table links as {latest("message_links", "link_id")};
            create temp table users as {latest("users", "user_id")};
            create temp table memberships as {latest("audience_memberships", "campaign_id, prospect_id")};

            create temp table sends as
            select s.email_id, s.campaign_id, s.message_id, s.prospect_id
            from (select *, row_number() over (partition by email_id order by filename, file_row_number) rn
                  from read_parquet({parts("email_sends")}, filename = true, file_row_number = true)) s
            join messages m on m.message_id = s.message_id and m.campaign_id = s.campaign_id
            join campaigns c on c.campaign_id = s.campaign_id
            where s.rn = 1 and s.email_id is not null and s.sent_at is not null;

            create temp table events as
            with typed as (
                select event_id, email_id, lower(event_type) as event_type,
                       try_cast(occurred_at as timestamptz) as occurred_at, lower(bounce_type) as bounce_type,
                       link_id, url, filename, file_row_number
                from read_parquet({parts("email_events")}, filename = true, file_row_number = true, union_by_name = true)
            ),
            valid as (
                select * from typed
                where event_id is not null and email_id is not null and occurred_at is not null
                  and event_type in ('delivered','bounced','opened','clicked','replied','unsubscribed','spam_reported')
                  and (event_type <> 'bounced' or bounce_type in ('hard', 'soft'))
                  and (event_type <> 'clicked' or link_id is not null)
            )
            select v.event_id, v.email_id, v.event_type, timezone('UTC', v.occurred_at) as occurred_at, v.bounce_type,
                   v.link_id, coalesce(l.url, v.url, 'unknown link ' || v.link_id) as link_url, l.anchor_text,
                   v.event_type = 'clicked' and coalesce(l.placement, 'body') <> 'footer' as counted_click,
                   s.campaign_id, s.message_id, s.prospect_id
            from (select *, row_number() over (partition by event_id order by filename, file_row_number) rn from valid) v
            join sends s on s.email_id = v.email_id
            left join links l on l.link_id = v.link_id
            where v.rn = 1;

            create temp table flags as
            with e as (
                select email_id,
                       bool_or(event_type = 'delivered' or event_type in ('opened','clicked','replied','unsubscribed','spam_reported')) d,
                       bool_or(event_type = 'bounced') b, bool_or(event_type = 'bounced' and bounce_type = 'hard') h,
                       bool_or(event_type = 'opened') o, bool_or(counted_click) c, bool_or(event_type = 'replied') r,
                       bool_or(event_type = 'unsubscribed') u, bool_or(event_type = 'spam_reported') sp
                from events group by email_id
            )
            select s.campaign_id, s.message_id, coalesce(d, false) d, coalesce(b and not d, false) b,
                   coalesce(b and not d and h, false) hb, coalesce(b and not d and not h, false) sb,
                   coalesce(o or c, false) o, coalesce(c, false) c, coalesce(r, false) r, coalesce(u, false) u,
                   coalesce(sp, false) sp
            from sends s left join e using (email_id);
        """)
        counts = """count(*)::bigint emails_sent, count(*) filter (d)::bigint emails_delivered,
            count(*) filter (b)::bigint emails_bounced, count(*) filter (hb)::bigint emails_hard_bounced,
            count(*) filter (sb)::bigint emails_soft_bounced, count(*) filter (o)::bigint emails_opened,
            count(*) filter (c)::bigint emails_clicked, count(*) filter (r)::bigint emails_replied,
            count(*) filter (u)::bigint emails_unsubscribed, count(*) filter (sp)::bigint emails_marked_spam"""
        zero = ", ".join(
            f"coalesce({c}, 0) as {c}"
            for c in (
                "emails_sent emails_delivered emails_bounced emails_hard_bounced emails_soft_bounced emails_opened "
                "emails_clicked emails_replied emails_unsubscribed emails_marked_spam"
            ).split()
        )
        rates = """, emails_delivered / nullif(emails_sent, 0)::double as delivery_rate,
            emails_bounced / nullif(emails_sent, 0)::double as bounce_rate,
            emails_unsubscribed / nullif(emails_delivered, 0)::double as unsubscribe_rate,
            emails_marked_spam / nullif(emails_delivered, 0)::double as spam_rate,
            emails_opened / nullif(emails_delivered, 0)::double as open_rate,
            emails_replied / nullif(emails_delivered, 0)::double as response_rate,
            emails_clicked / nullif(emails_delivered, 0)::double as click_rate,
            emails_clicked / nullif(emails_opened, 0)::double as click_through_rate"""
        con.execute(f"""
            create or replace table marts.campaign_message_metrics as
            select campaign_id, message_id, * exclude (campaign_id, message_id) {rates} from (
                select m.campaign_id, m.message_id, {zero}
                from messages m left join (select message_id, {counts} from flags group by 1) f using (message_id));
            create or replace table marts.campaign_metrics as
            select campaign_id, * exclude (campaign_id) {rates} from (
                select c.campaign_id, {zero}
                from campaigns c left join (select campaign_id, {counts} from flags group by 1) f using (campaign_id));
            create or replace table marts.campaign_overview as
            select c.campaign_id, c.name as campaign_name, lower(c.status) as status, lower(c.language) as language,
                   c.owner_user_id, timezone('UTC', c.started_at::timestamptz) started_at,
                   timezone('UTC', c.ended_at::timestamptz) ended_at,
                   coalesce(mc.n, 0)::bigint message_count, coalesce(a.entered, 0)::bigint prospects_entered,
                   coalesce(a.exited, 0)::bigint prospects_exited
            from campaigns c
            left join (select campaign_id, count(*) n from messages group by 1) mc using (campaign_id)
            left join (select campaign_id, count(distinct prospect_id) entered, count(exited_at) exited
                       from memberships group by 1) a using (campaign_id);
            create or replace table marts.campaign_messages as
            select message_id, campaign_id, step_number::integer step_number, subject, body_html, wait_days::integer wait_days
            from messages;
            create or replace table marts.campaign_message_link_clicks as
            select campaign_id, message_id, link_id, max(link_url) link_url, max(anchor_text) anchor_text,
                   count(*)::bigint total_clicks, count(distinct prospect_id)::bigint unique_clicks
            from events where counted_click group by all;
            create or replace table marts.campaign_link_clicks as
            select campaign_id, link_url, count(*)::bigint total_clicks, count(distinct prospect_id)::bigint unique_clicks
            from events where counted_click group by all;

            create temp table opens as
            select o.* from (
                select campaign_id, message_id, prospect_id, occurred_at,
                       row_number() over (partition by email_id order by occurred_at, event_id) = 1 first_open
                from events where event_type = 'opened') o
            join campaigns c using (campaign_id)
            where (c.ended_at is null or timezone('UTC', c.ended_at::timestamptz) >= timestamp '{FIRST_OPENS}')
              and (occurred_at >= timestamp '{ALL_OPENS}' or (occurred_at >= timestamp '{FIRST_OPENS}' and first_open));
            create temp table zones as
            select distinct coalesce(z.name, 'UTC') viewer_timezone
            from (select timezone from users union all select 'UTC') u
            left join pg_timezone_names() z on z.name = u.timezone;
            create temp table localized as
            select o.campaign_id, o.message_id, o.prospect_id, z.viewer_timezone,
                   timezone(z.viewer_timezone, timezone('UTC', o.occurred_at)) local_time
            from opens o cross join zones z;
            create or replace table marts.campaign_message_open_heatmap as
            select campaign_id, message_id, viewer_timezone, isodow(local_time)::integer day_of_week,
                   hour(local_time)::integer hour_of_day, count(*)::bigint opens, count(distinct prospect_id)::bigint unique_prospects
            from localized group by all;
            create or replace table marts.campaign_open_heatmap as
            select campaign_id, viewer_timezone, isodow(local_time)::integer day_of_week,
                   hour(local_time)::integer hour_of_day, count(*)::bigint opens, count(distinct prospect_id)::bigint unique_prospects
            from localized group by all;
        """)
    finally:
        con.close()  # also when it fails: the caller removes its spill files
    return time.monotonic() - started


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description="Build the marts of a folder of raw Parquet files; prints the seconds."
    )
    parser.add_argument("raw", type=Path)
    parser.add_argument("database", type=Path)
    parser.add_argument("--memory-limit")
    args = parser.parse_args()
    print(f"{floor(args.raw, args.database, memory_limit=args.memory_limit):.3f}")
