"""`campaign-dw generate`: deterministic synthetic raw data (SPEC §2 Parquet) at any size.

Everything is computed inside DuckDB from hashes of (seed, row id, purpose), so the same seed
gives the same rows, generation streams in bounded memory, and both cores are used.

The shape follows a real outbound recruiting tool:
- campaigns with sequences of 1-5 steps; a few drafts (no audience) and old completed ones;
- an audience per campaign; a hard/soft bounce at step 1, a reply, an unsubscribe or a spam
  report ends a prospect's sequence, so later steps go to fewer prospects;
- sends and opens/clicks at the recipients' local working hours (each prospect has a UTC
  offset, :30 and :45 ones included), several opens per email, body and footer clicks,
  clicks without an open (images blocked), soft bounces later delivered;
- at-least-once delivery (about 2% of events twice within a load, some again in the next),
  late events (received in the next batch), events that arrive before their send (orphans
  until the next batch), a handful of orphans that never resolve and of bad rows.

Batches: `--increment 0` (default) writes the first batch, the history; `--increment K`
writes batch K: new audience members (about 1% of the first batch's emails) and their emails
and events, the late and re-delivered events of batch K-1, early events of batch K+1, and
newer versions of some campaigns and users. As in a real tool, a batch touches the campaigns
running then, not all of history: campaign c runs in batches K with c % 20 in {K, K+1} (mod
20), so each batch's new audience, its late and re-delivered events and its status changes
fall on about a tenth of the campaigns.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

EVENTS_PER_MEMBERSHIP = 6.3  # measured average of the model below (sends x events per send)
INCREMENT_FRACTION = 0.01
ROTATION = 20  # campaign c runs in batches K with c % ROTATION in {K, K + 1} (mod ROTATION)
TIME_ZONES = [
    "Europe/Paris", "America/New_York", "Asia/Kathmandu", "Asia/Kolkata", "Australia/Adelaide",
    "America/Los_Angeles", "Europe/London", "Asia/Tokyo", "UTC", None, "Mars/Olympus_Mons", "America/Sao_Paulo",
]
# Prospects' UTC offsets in minutes (their working hours decide when they open and click).
PROSPECT_OFFSETS = [-480, -420, -300, -240, -180, 0, 60, 120, 330, 345, 540, 570]


def generate(out: Path, events: int = 100_000, seed: int = 42, increment: int = 0, threads: int | None = None) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    memberships0 = max(200, int(events / EVENTS_PER_MEMBERSHIP))
    per_increment = max(20, int(memberships0 * INCREMENT_FRACTION))
    campaigns = max(8, memberships0 // 1500)
    prospects = max(500, memberships0 // 3)
    if prospects % 7919 == 0:
        prospects += 1

    def bounds(batch: int) -> tuple[int, int]:
        if batch < 0:
            return 0, 0
        if batch == 0:
            return 0, memberships0
        lo = memberships0 + (batch - 1) * per_increment
        return lo, lo + per_increment

    con = duckdb.connect()
    try:
        con.execute("set preserve_insertion_order = false")
        if threads:
            con.execute(f"set threads = {int(threads)}")
        _define(con, seed=seed, campaigns=campaigns, prospects=prospects,
                memberships0=memberships0, per_increment=per_increment)
        written = _write_batch(con, out, increment, bounds, prospects)
    finally:
        con.close()
    return {
        "out": str(out),
        "batch": increment,
        "seed": seed,
        "campaigns": campaigns,
        "prospects": prospects,
        "rows": written,
        "seconds": round(time.monotonic() - started, 2),
    }


def _define(con: duckdb.DuckDBPyConnection, seed: int, campaigns: int, prospects: int,
            memberships0: int, per_increment: int) -> None:
    zones = ", ".join("NULL" if z is None else f"'{z}'" for z in TIME_ZONES)
    offsets = ", ".join(str(o) for o in PROSPECT_OFFSETS)
    con.execute(f"""
        -- u(k, purpose): a uniform number in [0, 1) fixed by the seed, a row id and a purpose.
        create macro u(k, purpose) as (hash({int(seed)}, k, purpose) % 1000003) / 1000003.0;
        create macro pick(k, purpose, n) as cast(hash({int(seed)}, k, purpose) % n as bigint);
        create macro ts(x) as cast(x as timestamptz);

        create table campaign_universe as
        select
            c,
            'C' || lpad(cast(c as varchar), 6, '0') as campaign_id,
            case when c % 40 = 7 then 'draft' when c % 40 = 3 then 'completed' else 'running' end as status,
            1 + pick(c, 'steps', 5) as n_steps,
            -- start dates spread over 420 days whatever the number of campaigns, so that every
            -- era of open tracking (SPEC §5) has opens at any size
            timestamp '2025-06-01 08:00:00' + to_days(cast(c * 420 // {campaigns} as integer)) as started_at
        from range({campaigns}) t(c);

        create table zone_list as select unnest([{zones}]) as timezone, generate_subscripts([{zones}], 1) as i;

        -- The campaign of membership m: any campaign in the first batch (the history); in
        -- batch K >= 1 one of the campaigns running then (c % ROTATION in {{K, K+1}}).
        create macro campaign_of(m) as case
            when m < {memberships0} then m % {campaigns}
            else ((1 + (m - {memberships0}) // {per_increment} + m % 2) % {ROTATION}
                  + {ROTATION} * ((m // 2) % {max(1, campaigns // ROTATION)})) % {campaigns}
        end;
        create macro running_in(c, batch) as c % {ROTATION} in (batch % {ROTATION}, (batch + 1) % {ROTATION});

        -- One audience membership m: its campaign, prospect and how its sequence ends.
        create macro memberships(lo, hi) as table
        select
            m, k.c, k.campaign_id, k.n_steps, k.started_at,
            ((m // {campaigns}) * 7919 + k.c * 104729) % {prospects} as p,
            k.started_at + to_days(cast(pick(m, 'enter', 20) as integer)) as entered_at,
            u(m, 'outcome') as r,
            1 + pick(m, 'stop_step', k.n_steps) as outcome_step
        from range(lo, hi) t(m)
        join campaign_universe k on k.c = campaign_of(m)
        where k.status <> 'draft';

        create macro member_outcomes(lo, hi) as table
        select
            *,
            case when r < 0.02 then 'hard_bounce' when r < 0.035 then 'soft_bounce'
                 when r < 0.135 then 'replied' when r < 0.155 then 'unsubscribed'
                 when r < 0.158 then 'spam_reported' end as outcome,
            case when r < 0.035 then 1 when r < 0.158 then outcome_step else n_steps end as last_step,
            ([{offsets}])[1 + pick(((m // {campaigns}) * 7919 + c * 104729) % {prospects}, 'offset', {len(PROSPECT_OFFSETS)})]
                as offset_minutes
        from memberships(lo, hi);

        -- One email per step reached: email number m * 8 + step.
        create macro emails(lo, hi) as table
        select
            o.*, s.step, o.m * 8 + s.step as e,
            -- sent on a working morning of the prospect: 09:00-11:59 local
            date_trunc('day', o.entered_at) + to_days(cast((s.step - 1) * 3 as integer))
                + to_minutes(cast(9 * 60 + pick(o.m * 8 + s.step, 'send_minute', 180) - o.offset_minutes as integer))
                as sent_at
        from member_outcomes(lo, hi) o
        join range(1, 6) s(step) on s.step <= o.last_step;

        -- Events: slot 0 delivery/bounce, 1-4 opens, 5-7 clicks (7 = footer), 8 reply,
        -- 9 soft bounce before a delivery, 10 unsubscribe, 11 spam report.
        create macro event_slots(lo, hi) as table
        select
            e.*, sl.slot, e.e * 16 + sl.slot as ev,
            e.outcome in ('hard_bounce', 'soft_bounce') and e.step = 1 as bounced,
            case when u(e.e, 'opens') < 0.55 then 0 else 1 + pick(e.e, 'open_count', 4) end as opens,
            u(e.e, 'clicks') as click_draw
        from emails(lo, hi) e
        cross join range(12) sl(slot);

        create macro events(lo, hi) as table
        select
            ev, e, m, step, c, campaign_id, slot, offset_minutes, sent_at,
            case
                when slot = 0 and bounced then 'bounced'
                when slot = 0 then 'delivered'
                when slot between 1 and 4 then 'opened'
                when slot between 5 and 7 then 'clicked'
                when slot = 8 then 'replied'
                when slot = 9 then 'bounced'
                when slot = 10 then 'unsubscribed'
                else 'spam_reported'
            end as event_type,
            case when slot = 0 and bounced then (case when outcome = 'hard_bounce' then 'hard' else 'soft' end)
                 when slot = 9 then 'soft' end as bounce_type,
            case
                when slot in (0, 9) then sent_at + to_minutes(cast(1 + slot as integer))
                else greatest(
                    sent_at + to_minutes(2),
                    date_trunc('day', sent_at) + to_days(cast(floor(pow(u(ev, 'day'), 3) * 6) as integer))
                        + to_minutes(cast((7 + pick(ev, 'hour', 12)) * 60 + pick(ev, 'minute', 60) - offset_minutes as integer))
                )
            end as occurred_at
        from event_slots(lo, hi)
        where case
            when slot = 0 then true
            when bounced then false
            when slot between 1 and 4 then slot <= opens
            when slot = 5 then (opens > 0 and click_draw < 0.20) or (opens = 0 and click_draw < 0.01)
            when slot = 6 then opens > 0 and click_draw < 0.06
            when slot = 7 then click_draw > 0.99
            when slot = 8 then outcome = 'replied' and step = last_step
            when slot = 9 then u(e, 'soft_first') < 0.01
            when slot = 10 then outcome = 'unsubscribed' and step = last_step
            else outcome = 'spam_reported' and step = last_step
        end;
    """)


def _batch_of_event(batch_sql: str) -> str:
    """The load an event arrives in: its email's batch, the next one when late (0.5%, if its
    campaign still runs then), the previous one when it beats its send (1%, not in batch 0)."""
    return (
        f"(case when u(ev, 'late') < 0.005 and running_in(c, {batch_sql} + 1) then {batch_sql} + 1 "
        f"when u(ev, 'early') < 0.01 and {batch_sql} > 0 then {batch_sql} - 1 else {batch_sql} end)"
    )


def _write_batch(con, out: Path, batch: int, bounds, prospects: int) -> dict[str, int]:
    lo, hi = bounds(batch)
    prev_lo, prev_hi = bounds(batch - 1)
    next_lo, next_hi = bounds(batch + 1)
    name = f"batch-{batch:04d}.parquet"
    written: dict[str, int] = {}

    def copy(table: str, sql: str) -> None:
        folder = out / table
        folder.mkdir(exist_ok=True)
        target = folder / name
        # Paths are bound as parameters, never spliced into SQL.
        con.execute(f"copy ({sql}) to ? (format parquet, compression zstd)", [str(target)])
        written[table] = con.execute("select count(*) from read_parquet(?)", [str(target)]).fetchone()[0]

    if batch == 0:
        copy("users", """
            select 'U' || i as user_id, 'Recruiter ' || i as full_name, 'recruiter' || i || '@smartrecruit.example' as email,
                   timezone, timestamptz '2025-05-01 00:00:00+00' as updated_at
            from zone_list""")
        campaign_rows = "select * from campaign_universe"
        copy("campaign_messages", """
            select k.campaign_id || '-M' || s.step as message_id, k.campaign_id, s.step as step_number,
                   'Step ' || s.step || ' of ' || k.campaign_id as subject,
                   '<p>Hello {{first_name}}, step ' || s.step || '</p>' as body_html,
                   case when s.step = 1 then 0 else 3 end as wait_days,
                   ts(k.started_at - interval 10 day) as updated_at
            from campaign_universe k join range(1, 6) s(step) on s.step <= k.n_steps""")
        copy("message_links", """
            select k.campaign_id || '-M' || s.step || '-L' || l.j as link_id, k.campaign_id || '-M' || s.step as message_id,
                   case l.j when 1 then 'https://jobs.acme.example/' || k.campaign_id
                            when 2 then 'https://acme.example/team'
                            when 3 then 'https://acme.example/unsubscribe'
                            else 'https://acme.example/privacy' end as url,
                   case when l.j <= 2 then 'body' else 'footer' end as placement,
                   case l.j when 1 then 'see the role' when 2 then 'meet the team'
                            when 3 then 'unsubscribe' else 'privacy policy' end as anchor_text,
                   ts(k.started_at - interval 10 day) as updated_at
            from campaign_universe k join range(1, 6) s(step) on s.step <= k.n_steps cross join range(1, 5) l(j)""")
        copy("prospects", f"""
            select 'P' || p as prospect_id, 'prospect' || p || '@mail.example' as email,
                   'First' || p as first_name, 'Last' || p as last_name,
                   timestamptz '2025-05-01 00:00:00+00' as updated_at
            from range({prospects}) t(p)""")
    else:
        # Newer versions: some campaigns change status, one user fixes their time zone.
        campaign_rows = f"""
            select * replace (case when status = 'running' then 'completed' else 'archived' end as status)
            from campaign_universe
            where (running_in(c, {batch}) and u(c, 'update_{batch}') < 0.5) or c = {batch} % (select count(*) from campaign_universe)"""
        copy("users", f"""
            select 'U' || i as user_id, 'Recruiter ' || i as full_name, 'recruiter' || i || '@smartrecruit.example' as email,
                   'Asia/Kolkata' as timezone, timestamptz '2026-01-01 00:00:00+00' + to_days({batch}) as updated_at
            from zone_list where i = 10""")
    copy("campaigns", f"""
        select campaign_id, 'Campaign ' || campaign_id as name, 'U' || (1 + c % 12) as owner_user_id, status,
               (['en', 'fr', 'de', 'es'])[1 + c % 4] as language,
               case when status <> 'draft' then ts(started_at) end as started_at,
               case when status in ('completed', 'archived') then ts(started_at + interval 60 day) end as ended_at,
               ts(started_at - interval 14 day) as created_at,
               ts(started_at - interval 1 day) + to_days({batch}) as updated_at
        from ({campaign_rows})""")
    copy("audience_memberships", f"""
        select campaign_id, 'P' || p as prospect_id, ts(entered_at) as entered_at,
               case when outcome is not null then ts(entered_at + to_days(cast(last_step * 3 as integer))) end as exited_at,
               outcome as exit_reason,
               ts(entered_at + to_days(cast(last_step * 3 as integer))) as updated_at
        from member_outcomes({lo}, {hi})""")
    copy("email_sends", f"""
        select 'E' || e as email_id, campaign_id, campaign_id || '-M' || step as message_id,
               'P' || p as prospect_id, ts(sent_at) as sent_at
        from emails({lo}, {hi})
        union all  -- the tool replicates a few sends
        select 'E' || e, campaign_id, campaign_id || '-M' || step, 'P' || p, ts(sent_at)
        from emails({lo}, {hi}) where u(e, 'replicated') < 0.002""")

    def event_rows(source_lo: int, source_hi: int, source_batch: int, arrives: str, tag: str) -> str:
        return f"""
            select 'V' || ev as event_id, 'E' || e as email_id, event_type, ts(occurred_at) as occurred_at,
                   bounce_type,
                   case when event_type = 'clicked' then campaign_id || '-M' || step || '-L' ||
                        (case when slot = 7 then 3 + pick(ev, 'footer', 2) else 1 + pick(ev, 'link', 2) end) end as link_id,
                   case when event_type = 'clicked' then
                        (case when slot = 7 then 'https://acme.example/unsubscribe'
                              when pick(ev, 'link', 2) = 0 then 'https://jobs.acme.example/' || campaign_id
                              else 'https://acme.example/team' end) end as url,
                   'Mozilla/5.0 (synthetic)' as user_agent,
                   ts(occurred_at + to_minutes(cast(1 + pick(ev, 'delay_{tag}', 30) as integer))
                      + case when {_batch_of_event(str(source_batch))} > {source_batch}
                             then to_days(cast(2 + pick(ev, 'late_days', 9) as integer)) else interval 0 day end)
                      as received_at
            from events({source_lo}, {source_hi})
            where {arrives}"""

    mine = f"{_batch_of_event(str(batch))} = {batch}"
    parts = [event_rows(lo, hi, batch, mine, "a")]
    # at-least-once: ~2% of this batch's events twice
    parts.append(event_rows(lo, hi, batch, f"{mine} and u(ev, 'dup') < 0.02", "b"))
    if batch > 0:
        # late events of the previous batch, and a few of its events delivered again
        parts.append(event_rows(prev_lo, prev_hi, batch - 1, f"{_batch_of_event(str(batch - 1))} = {batch}", "c"))
        parts.append(event_rows(prev_lo, prev_hi, batch - 1,
                                f"{_batch_of_event(str(batch - 1))} = {batch - 1} and running_in(c, {batch}) and u(ev, 'again') < 0.003", "d"))
    # events that arrive before their send (orphans until the next batch)
    parts.append(event_rows(next_lo, next_hi, batch + 1, f"{_batch_of_event(str(batch + 1))} = {batch}", "e"))
    bad = f"""
        select * from (values
            ('BAD-{batch}-1', 'E1', 'opened', 'yesterday', null, null, null, null, '2026-01-01T00:00:00Z'),
            ('BAD-{batch}-2', 'E1', 'forwarded', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z'),
            (null, 'E1', 'opened', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z'),
            ('BAD-{batch}-4', 'E1', 'clicked', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z'),
            ('ORPHAN-{batch}-1', 'E-NEVER-SENT-{batch}', 'opened', '2026-01-01T00:00:00Z', null, null, null, null,
             '2026-01-01T00:00:00Z')
        ) t(event_id, email_id, event_type, occurred_at, bounce_type, link_id, url, user_agent, received_at)"""
    bad = "select " + ", ".join(
        f"cast({c} as varchar) as {c}" for c in
        "event_id email_id event_type occurred_at bounce_type link_id url user_agent received_at".split()
    ) + f" from ({bad})"
    # Good rows keep typed timestamps; the quirks (text where a timestamp belongs) go to a
    # second part file of the same batch, as a second export of a real feed would.
    copy("email_events", " union all ".join(f"select * from ({p})" for p in parts))
    bad_folder = out / "email_events"
    con.execute(f"copy ({bad}) to ? (format parquet)", [str(bad_folder / f"batch-{batch:04d}-quirks.parquet")])
    written["email_events"] += 5
    return written

