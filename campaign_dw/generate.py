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
  until the next batch), a handful of orphans that never resolve and of bad rows;
- machines and bots (SPEC §3b): about 45% of prospects read on Apple Mail with Privacy
  Protection, whose proxy fetches the images minutes after delivery (user agent `Mozilla/5.0`
  alone) whether they read or not; the others open in real mail clients (iPhone Mail, Gmail's
  image proxy, Outlook) at their reading hours (morning, lunch, evening), and click in real
  browsers. About one prospect in seven sits behind a corporate mail scanner that clicks every link of
  an email within a couple of seconds of delivery (most with a browser's user agent, some
  naming themselves). Even batches carry the email service's `machine_open` flag, odd ones
  have no such column.

Batches: `--increment 0` (default) writes the first batch, the history; `--increment K`
writes batch K: new audience members (about 1% of the first batch's emails) and their emails
and events, the late and re-delivered events of batch K-1, early events of batch K+1, and
newer versions of some campaigns and users. As in a real tool, a batch touches the campaigns
running then, not all of history: campaign c runs in batches K with c % 20 in {K, K+1} (mod
20), so each batch's new audience, its late and re-delivered events and its status changes
fall on about a tenth of the campaigns.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb

EVENTS_PER_MEMBERSHIP = 7.5  # measured average of the model below (sends x events per send, scanners included)
INCREMENT_FRACTION = 0.01
ROTATION = 20  # campaign c runs in batches K with c % ROTATION in {K, K + 1} (mod ROTATION)
TIME_ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Asia/Kathmandu",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "UTC",
    None,
    "Mars/Olympus_Mons",
    "America/Sao_Paulo",
]
# Prospects' UTC offsets in minutes (their working hours decide when they open and click).
PROSPECT_OFFSETS = [-480, -420, -300, -240, -180, 0, 60, 120, 330, 345, 540, 570]
# User agents of people (SPEC §3b): mail clients that open, browsers that click; and mail
# scanners that say what they are (most scanners pass for a browser: their bursts tell).
MAIL_CLIENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
]
SCANNERS = [
    "Mozilla/5.0 (compatible; Mimecast URL scanner)",
    "Proofpoint URL Defense bot",
    "python-requests/2.31.0",
]


def generate(
    out: Path,
    events: int = 100_000,
    seed: int = 42,
    increment: int = 0,
    threads: int | None = None,
    fmt: str = "native",
    email_id_key: str = "email_id",
) -> dict:
    """Write batch `increment` under `out`. fmt: `native` (SPEC §2 Parquet), or an email
    service's format for the events (SPEC §2c: `out/<service>/batch-K*.json`, the email_id in
    its metadata under `email_id_key`; replies, sends and dimensions stay native)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
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
        _define(
            con,
            seed=seed,
            campaigns=campaigns,
            prospects=prospects,
            memberships0=memberships0,
            per_increment=per_increment,
        )
        written = _write_batch(con, out, increment, bounds, prospects, fmt, email_id_key)
    finally:
        con.close()
    return {
        "out": str(out),
        "batch": increment,
        "format": fmt,
        "seed": seed,
        "campaigns": campaigns,
        "prospects": prospects,
        "rows": written,
        "seconds": round(time.monotonic() - started, 2),
    }


def _define(
    con: duckdb.DuckDBPyConnection, seed: int, campaigns: int, prospects: int, memberships0: int, per_increment: int
) -> None:
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
                as offset_minutes,
            -- how the prospect reads mail: Apple Mail with Privacy Protection, and/or behind a
            -- corporate mail scanner (SPEC §3b)
            u(((m // {campaigns}) * 7919 + c * 104729) % {prospects}, 'apple_mpp') < 0.45 as apple_mpp,
            u(((m // {campaigns}) * 7919 + c * 104729) % {prospects}, 'scanner') < 0.15 as scanned
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
        -- 9 soft bounce before a delivery, 10 unsubscribe, 11 spam report, 12-15 a mail
        -- scanner's clicks on each of the email's four links.
        create macro event_slots(lo, hi) as table
        select
            e.*, sl.slot, e.e * 16 + sl.slot as ev,
            e.outcome in ('hard_bounce', 'soft_bounce') and e.step = 1 as bounced,
            case when u(e.e, 'opens') < 0.55 then 0 else 1 + pick(e.e, 'open_count', 4) end as opens,
            u(e.e, 'clicks') as click_draw
        from emails(lo, hi) e
        cross join range(16) sl(slot);

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
                when slot = 11 then 'spam_reported'
                else 'clicked'
            end as event_type,
            apple_mpp and slot between 1 and 4 as by_apple_proxy,
            slot >= 12 as by_scanner,
            case when slot = 0 and bounced then (case when outcome = 'hard_bounce' then 'hard' else 'soft' end)
                 when slot = 9 then 'soft' end as bounce_type,
            case
                when slot in (0, 9) then sent_at + to_minutes(cast(1 + slot as integer))
                -- Apple's proxy fetches the images when the email reaches the device, and again
                -- now and then: minutes after sending, whatever the reader does
                when apple_mpp and slot between 1 and 4 then sent_at + to_minutes(cast(2 + (slot - 1) * 90 + pick(ev, 'proxy', 15) as integer))
                -- a scanner clicks every link as the email arrives, a second or so apart (whole
                -- seconds: SendGrid's timestamps have no fraction, so every format can say it)
                when slot >= 12 then sent_at + to_seconds(cast(40 + (slot - 12) + pick(ev, 'scan', 2) as integer))
                else greatest(
                    sent_at + to_minutes(2),
                    -- people read in the morning, at lunch and in the evening, local time
                    date_trunc('day', sent_at) + to_days(cast(floor(pow(u(ev, 'day'), 3) * 6) as integer))
                        + to_minutes(cast(([7, 8, 8, 12, 13, 18, 19, 20, 21])[1 + pick(ev, 'hour', 9)] * 60
                                          + pick(ev, 'minute', 60) - offset_minutes as integer))
                -- a second per slot: two events of one email never share type and time, as
                -- real ones do not (an email service without event ids tells events apart
                -- by message, type, time and link)
                ) + to_seconds(cast(slot as integer))
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
            when slot = 11 then outcome = 'spam_reported' and step = last_step
            else scanned
        end;
    """)


def _batch_of_event(batch_sql: str) -> str:
    """The load an event arrives in: its email's batch, the next one when late (0.5%, if its
    campaign still runs then), the previous one when it beats its send (1%, not in batch 0)."""
    return (
        f"(case when u(ev, 'late') < 0.005 and running_in(c, {batch_sql} + 1) then {batch_sql} + 1 "
        f"when u(ev, 'early') < 0.01 and {batch_sql} > 0 then {batch_sql} - 1 else {batch_sql} end)"
    )


def _write_batch(con, out: Path, batch: int, bounds, prospects: int, fmt: str, email_id_key: str) -> dict[str, int]:
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
        copy(
            "users",
            """
            select 'U' || i as user_id, 'Recruiter ' || i as full_name, 'recruiter' || i || '@smartrecruit.example' as email,
                   timezone, timestamptz '2025-05-01 00:00:00+00' as updated_at
            from zone_list""",
        )
        campaign_rows = "select * from campaign_universe"
        copy(
            "campaign_messages",
            """
            select k.campaign_id || '-M' || s.step as message_id, k.campaign_id, s.step as step_number,
                   'Step ' || s.step || ' of ' || k.campaign_id as subject,
                   '<p>Hello {{first_name}}, step ' || s.step || '</p>' as body_html,
                   case when s.step = 1 then 0 else 3 end as wait_days,
                   ts(k.started_at - interval 10 day) as updated_at
            from campaign_universe k join range(1, 6) s(step) on s.step <= k.n_steps""",
        )
        copy(
            "message_links",
            """
            select k.campaign_id || '-M' || s.step || '-L' || l.j as link_id, k.campaign_id || '-M' || s.step as message_id,
                   case l.j when 1 then 'https://jobs.acme.example/' || k.campaign_id
                            when 2 then 'https://acme.example/team'
                            when 3 then 'https://acme.example/unsubscribe'
                            else 'https://acme.example/privacy' end as url,
                   case when l.j <= 2 then 'body' else 'footer' end as placement,
                   case l.j when 1 then 'see the role' when 2 then 'meet the team'
                            when 3 then 'unsubscribe' else 'privacy policy' end as anchor_text,
                   ts(k.started_at - interval 10 day) as updated_at
            from campaign_universe k join range(1, 6) s(step) on s.step <= k.n_steps cross join range(1, 5) l(j)""",
        )
        copy(
            "prospects",
            f"""
            select 'P' || p as prospect_id, 'prospect' || p || '@mail.example' as email,
                   'First' || p as first_name, 'Last' || p as last_name,
                   timestamptz '2025-05-01 00:00:00+00' as updated_at
            from range({prospects}) t(p)""",
        )
    else:
        # Newer versions: some campaigns change status, one user fixes their time zone.
        campaign_rows = f"""
            select * replace (case when status = 'running' then 'completed' else 'archived' end as status)
            from campaign_universe
            where (running_in(c, {batch}) and u(c, 'update_{batch}') < 0.5) or c = {batch} % (select count(*) from campaign_universe)"""
        copy(
            "users",
            f"""
            select 'U' || i as user_id, 'Recruiter ' || i as full_name, 'recruiter' || i || '@smartrecruit.example' as email,
                   'Asia/Kolkata' as timezone, timestamptz '2026-01-01 00:00:00+00' + to_days({batch}) as updated_at
            from zone_list where i = 10""",
        )
    copy(
        "campaigns",
        f"""
        select campaign_id, 'Campaign ' || campaign_id as name, 'U' || (1 + c % 12) as owner_user_id, status,
               (['en', 'fr', 'de', 'es'])[1 + c % 4] as language,
               case when status <> 'draft' then ts(started_at) end as started_at,
               case when status in ('completed', 'archived') then ts(started_at + interval 60 day) end as ended_at,
               ts(started_at - interval 14 day) as created_at,
               ts(started_at - interval 1 day) + to_days({batch}) as updated_at
        from ({campaign_rows})""",
    )
    copy(
        "audience_memberships",
        f"""
        select campaign_id, 'P' || p as prospect_id, ts(entered_at) as entered_at,
               case when outcome is not null then ts(entered_at + to_days(cast(last_step * 3 as integer))) end as exited_at,
               outcome as exit_reason,
               ts(entered_at + to_days(cast(last_step * 3 as integer))) as updated_at
        from member_outcomes({lo}, {hi})""",
    )
    copy(
        "email_sends",
        f"""
        select 'E' || e as email_id, campaign_id, campaign_id || '-M' || step as message_id,
               'P' || p as prospect_id, ts(sent_at) as sent_at
        from emails({lo}, {hi})
        union all  -- the tool replicates a few sends
        select 'E' || e, campaign_id, campaign_id || '-M' || step, 'P' || p, ts(sent_at)
        from emails({lo}, {hi}) where u(e, 'replicated') < 0.002""",
    )

    flagged = batch % 2 == 0  # the email service's machine_open flag: in even batches' files only

    def event_rows(source_lo: int, source_hi: int, source_batch: int, arrives: str, tag: str) -> str:
        link = (
            "(case when slot >= 12 then slot - 11 when slot = 7 then 3 + pick(ev, 'footer', 2) "
            "else 1 + pick(ev, 'link', 2) end)"
        )
        return f"""
            select 'V' || ev as event_id, 'E' || e as email_id, event_type, ts(occurred_at) as occurred_at,
                   bounce_type,
                   case when event_type = 'clicked' then campaign_id || '-M' || step || '-L' || {link} end as link_id,
                   -- the url of the link clicked (message_links: L1 the role, L2 the team, L3, L4 footer)
                   case when event_type = 'clicked' then
                        (case {link} when 1 then 'https://jobs.acme.example/' || campaign_id
                                     when 2 then 'https://acme.example/team'
                                     when 3 then 'https://acme.example/unsubscribe'
                                     else 'https://acme.example/privacy' end) end as url,
                   case
                       when by_apple_proxy then 'Mozilla/5.0'
                       when event_type = 'opened' then ([{_sql_list(MAIL_CLIENTS)}])[1 + pick(ev, 'client', {len(MAIL_CLIENTS)})]
                       when by_scanner and u(e, 'scanner_says_so') < 0.3 then ([{_sql_list(SCANNERS)}])[1 + pick(e, 'scanner', {len(SCANNERS)})]
                       when event_type = 'clicked' then ([{_sql_list(BROWSERS)}])[1 + pick(ev, 'browser', {len(BROWSERS)})]
                   end as user_agent,
                   {"case when event_type = 'opened' then by_apple_proxy end as machine_open," if flagged else ""}
                   ts(occurred_at + to_minutes(cast(1 + pick(ev, 'delay_{tag}', 30) as integer))
                      + case when {_batch_of_event(str(source_batch))} > {source_batch}
                             then to_days(cast(2 + pick(ev, 'late_days', 9) as integer)) else interval 0 day end)
                      as received_at,
                   ts(sent_at) as _sent_at
            from events({source_lo}, {source_hi})
            where {arrives}"""

    mine = f"{_batch_of_event(str(batch))} = {batch}"
    parts = [event_rows(lo, hi, batch, mine, "a")]
    # at-least-once: ~2% of this batch's events twice
    parts.append(event_rows(lo, hi, batch, f"{mine} and u(ev, 'dup') < 0.02", "b"))
    if batch > 0:
        # late events of the previous batch, and a few of its events delivered again
        parts.append(event_rows(prev_lo, prev_hi, batch - 1, f"{_batch_of_event(str(batch - 1))} = {batch}", "c"))
        parts.append(
            event_rows(
                prev_lo,
                prev_hi,
                batch - 1,
                f"{_batch_of_event(str(batch - 1))} = {batch - 1} and running_in(c, {batch}) and u(ev, 'again') < 0.003",
                "d",
            )
        )
    # events that arrive before their send (orphans until the next batch)
    parts.append(event_rows(next_lo, next_hi, batch + 1, f"{_batch_of_event(str(batch + 1))} = {batch}", "e"))
    batch_events = " union all ".join(f"select * from ({p})" for p in parts)
    if fmt == "native":
        # Good rows keep typed timestamps; the quirks (text where a timestamp belongs) go to a
        # second part file of the same batch, as a second export of a real feed would.
        copy("email_events", f"select * exclude (_sent_at) from ({batch_events})")
        _write_native_quirks(con, out / "email_events" / f"batch-{batch:04d}-quirks.parquet", batch)
        written["email_events"] += 6
    else:
        # The email service reports every event but replies, which the tool sees in its own
        # inbox: replies stay in the native layout, the rest is written as the service does.
        copy("email_events", f"select * exclude (_sent_at) from ({batch_events}) where event_type = 'replied'")
        folder = out / fmt
        folder.mkdir(exist_ok=True)
        events = f"select * from ({batch_events}) where event_type <> 'replied'"
        written[fmt] = PROVIDER_WRITERS[fmt](con, events, folder / f"batch-{batch:04d}", flagged, email_id_key)
        quirks = _provider_quirks(fmt, batch, email_id_key)
        (folder / f"batch-{batch:04d}-quirks.json").write_text("".join(json.dumps(q) + "\n" for q in quirks))
        written[fmt] += len(quirks)
    return written


def _write_native_quirks(con: duckdb.DuckDBPyConnection, target: Path, batch: int) -> None:
    """A handful of bad rows and a never-resolving orphan, each rejected or waiting with its reason."""
    bad = f"""
        select * from (values
            ('BAD-{batch}-1', 'E1', 'opened', 'yesterday', null, null, null, null, '2026-01-01T00:00:00Z', null),
            ('BAD-{batch}-2', 'E1', 'forwarded', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z', null),
            (null, 'E1', 'opened', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z', null),
            ('BAD-{batch}-4', 'E1', 'bounced', '2026-01-01T00:00:00Z', 'temporary', null, null, null, '2026-01-01T00:00:00Z', null),
            ('BAD-{batch}-5', 'E1', 'opened', '2026-01-01T00:00:00Z', null, null, null, null, '2026-01-01T00:00:00Z', 'maybe'),
            ('ORPHAN-{batch}-1', 'E-NEVER-SENT-{batch}', 'opened', '2026-01-01T00:00:00Z', null, null, null, null,
             '2026-01-01T00:00:00Z', null)
        ) t(event_id, email_id, event_type, occurred_at, bounce_type, link_id, url, user_agent, received_at, machine_open)"""
    bad = (
        "select "
        + ", ".join(
            f"cast({c} as varchar) as {c}"
            for c in "event_id email_id event_type occurred_at bounce_type link_id url user_agent received_at machine_open".split()
        )
        + f" from ({bad})"
    )
    con.execute(f"copy ({bad}) to ? (format parquet)", [str(target)])


# --- the events of a batch as an email service sends them (SPEC §2c) ---------------------------
# Each writer turns the native events of a batch into the documents its service documents
# (campaign_dw/providers.py reads them back; tests/test_generate.py checks the round trip), with
# the email_id in the service's custom metadata, one document a line (NDJSON). The ids and
# addresses a service would add (message ids, recipients, IPs) are made up from the email id.
# NULL fields are left out of the documents, as the services leave them out.


def _iso(column: str, fraction: str = "%g") -> str:
    """An ISO 8601 UTC text of a timestamptz column: milliseconds (%g) or seven digits, as .NET
    (Postmark) prints them."""
    if fraction == "ticks":
        return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%f') || '0Z'"
    return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.{fraction}Z')"


def _without_nulls(json_sql: str) -> str:
    """The JSON object without its NULL members, at any depth (a merge patch drops them)."""
    return f"json_merge_patch('{{}}', {json_sql})"


def _write_json_lines(con: duckdb.DuckDBPyConnection, documents_sql: str, target: Path) -> int:
    """One JSON document (column j) a line. Written as one-column CSV without quoting: JSON text
    escapes every control character, so no line breaks or separators appear inside a value."""
    con.execute(
        f"copy (select {_without_nulls('j')} from ({documents_sql})) to ? "
        "(format csv, header false, quote '', escape '', delimiter '\x01')",
        [str(target)],
    )
    return con.execute(f"select count(*) from ({documents_sql})").fetchone()[0]


def _write_sendgrid(con, events: str, stem: Path, flagged: bool, key: str) -> int:
    """Event Webhook POST bodies: arrays of up to 100 events, one array a line."""
    machine = "case when event_type = 'opened' then machine_open end" if flagged else "null"
    event = f"""json_object(
        'email', lower(email_id) || '@mail.example',
        'timestamp', cast(epoch(occurred_at) as bigint),
        'smtp-id', '<' || email_id || '@campaign-dw.example>',
        'event', case event_type when 'delivered' then 'delivered' when 'opened' then 'open'
                 when 'clicked' then 'click' when 'bounced' then 'bounce' when 'unsubscribed' then 'unsubscribe'
                 when 'spam_reported' then 'spamreport' end,
        'type', case when event_type = 'bounced' then case bounce_type when 'hard' then 'bounce' else 'blocked' end end,
        'bounce_classification', case when event_type = 'bounced' then
                 case bounce_type when 'hard' then 'Invalid Address' else 'Reputation' end end,
        'category', 'campaign',
        'sg_event_id', event_id,
        'sg_message_id', email_id || '.filter0001.16648.5515E0B88.0',
        'useragent', case when event_type in ('opened', 'clicked') then user_agent end,
        'ip', case when event_type in ('opened', 'clicked') then '192.0.2.1' end,
        'url', url,
        'sg_machine_open', {machine},
        '{_sql_key(key)}', email_id)"""
    posts = f"""
        select json_group_array(j) as j from (
            select {_without_nulls(event)} as j, (row_number() over (order by event_id, received_at) - 1) // 100 as post
            from ({events})
        ) group by post"""
    _write_json_lines(con, posts, stem.with_suffix(".json"))
    return con.execute(f"select count(*) from ({events})").fetchone()[0]


def _write_mailgun(con, events: str, stem: Path, flagged: bool, key: str) -> int:
    """Webhook payloads, one a line; about a quarter of the events as pages of the events API
    (`items`, up to 300 an page) in a second file."""
    bot = (
        "case when event_type = 'opened' then case when machine_open then 'apple' else '' end end"
        if flagged
        else "null"
    )
    data = f"""json_object(
        'id', event_id,
        'timestamp', epoch(occurred_at),
        'log-level', case when event_type = 'bounced' then 'error' else 'info' end,
        'event', case event_type when 'delivered' then 'delivered' when 'opened' then 'opened'
                 when 'clicked' then 'clicked' when 'bounced' then 'failed' when 'unsubscribed' then 'unsubscribed'
                 when 'spam_reported' then 'complained' end,
        'severity', case when event_type = 'bounced' then case bounce_type when 'hard' then 'permanent' else 'temporary' end end,
        'reason', case when event_type = 'bounced' then case bounce_type when 'hard' then 'bounce' else 'generic' end end,
        'recipient', lower(email_id) || '@mail.example',
        'message', json_object('headers', json_object('message-id', email_id || '@mg.campaign-dw.example')),
        'url', url,
        'client-info', case when event_type in ('opened', 'clicked') then
                 json_object('client-name', 'unknown', 'user-agent', user_agent, 'bot', {bot}) end,
        'tags', json_array('campaign'),
        'user-variables', json_object('{_sql_key(key)}', email_id))"""
    page = "hash(event_id, received_at) % 4 = 0"
    webhooks = f"""
        select json_object('signature', json_object('timestamp', cast(cast(epoch(received_at) as bigint) as varchar),
                                                    'token', md5(event_id || received_at), 'signature', sha256(event_id)),
                           'event-data', {data}) as j
        from ({events}) where not ({page})"""
    pages = f"""
        select json_object('items', json_group_array(j), 'paging', json_object('next', 'https://api.mailgun.net/v3/events/next')) as j
        from (select {_without_nulls(data)} as j, (row_number() over (order by event_id, received_at) - 1) // 300 as page
              from ({events}) where {page})
        group by page"""
    _write_json_lines(con, webhooks, stem.with_suffix(".json"))
    _write_json_lines(con, pages, stem.with_name(stem.name + "-events-api.json"))
    return con.execute(f"select count(*) from ({events})").fetchone()[0]


def _write_ses(con, events: str, stem: Path, flagged: bool, key: str) -> int:
    """Event publishing records, one a line as Firehose writes them; about half in the SNS
    notification that carries a record (Message: the record as JSON text)."""
    message_id = "'EXAMPLE' || md5(email_id) || '-000000'"
    recipients = "json_array(lower(email_id) || '@mail.example')"
    record = f"""json_object(
        'eventType', case event_type when 'delivered' then 'Delivery' when 'opened' then 'Open'
                     when 'clicked' then 'Click' when 'bounced' then 'Bounce' when 'unsubscribed' then 'Subscription'
                     when 'spam_reported' then 'Complaint' end,
        'mail', json_object('timestamp', {_iso("_sent_at")}, 'source', 'recruiting@acme.example',
                            'sendingAccountId', '123456789012', 'messageId', {message_id},
                            'destination', {recipients}, 'headersTruncated', false,
                            'tags', json_object('ses:configuration-set', json_array('campaign-dw'),
                                                '{_sql_key(key)}', json_array(email_id))),
        'delivery', case when event_type = 'delivered' then json_object(
                     'timestamp', {_iso("occurred_at")}, 'processingTimeMillis', 1200, 'recipients', {recipients},
                     'smtpResponse', '250 2.6.0 Message received', 'reportingMTA', 'mta.example.com') end,
        'open', case when event_type = 'opened' then json_object(
                     'ipAddress', '192.0.2.1', 'timestamp', {_iso("occurred_at")}, 'userAgent', user_agent) end,
        'click', case when event_type = 'clicked' then json_object(
                     'ipAddress', '192.0.2.1', 'link', url, 'linkTags', json_object(),
                     'timestamp', {_iso("occurred_at")}, 'userAgent', user_agent) end,
        'bounce', case when event_type = 'bounced' then json_object(
                     'bounceType', case bounce_type when 'hard' then 'Permanent' else 'Transient' end,
                     'bounceSubType', case bounce_type when 'hard' then 'General' else 'MailboxFull' end,
                     'bouncedRecipients', json_array(json_object('emailAddress', lower(email_id) || '@mail.example')),
                     'timestamp', {_iso("occurred_at")}, 'feedbackId', md5(event_id) || '-000000') end,
        'complaint', case when event_type = 'spam_reported' then json_object(
                     'complainedRecipients', json_array(json_object('emailAddress', lower(email_id) || '@mail.example')),
                     'timestamp', {_iso("occurred_at")}, 'feedbackId', md5(event_id) || '-000000',
                     'complaintFeedbackType', 'abuse') end,
        'subscription', case when event_type = 'unsubscribed' then json_object(
                     'contactList', 'Recruiting', 'timestamp', {_iso("occurred_at")}, 'source', 'UnsubscribeHeader',
                     'newTopicPreferences', json_object('unsubscribeAll', true),
                     'oldTopicPreferences', json_object('unsubscribeAll', false)) end)"""
    documents = f"""
        select case when hash(event_id, received_at) % 2 = 0 then record
                    else json_object('Type', 'Notification', 'MessageId', md5(event_id || received_at),
                                     'TopicArn', 'arn:aws:sns:us-east-1:123456789012:campaign-dw',
                                     'Message', cast({_without_nulls("record")} as varchar),
                                     'Timestamp', {_iso("received_at")}, 'SignatureVersion', '1') end as j
        from (select *, {record} as record from ({events}))"""
    return _write_json_lines(con, documents, stem.with_suffix(".json"))


def _write_postmark(con, events: str, stem: Path, flagged: bool, key: str) -> int:
    """Webhook bodies, one a line (Postmark posts one event a request)."""
    message_id = (
        "substr(md5(email_id), 1, 8) || '-' || substr(md5(email_id), 9, 4) || '-' || substr(md5(email_id), 13, 4)"
        " || '-' || substr(md5(email_id), 17, 4) || '-' || substr(md5(email_id), 21, 12)"
    )
    recipient = "lower(email_id) || '@mail.example'"
    at = _iso("occurred_at", "ticks")
    document = f"""json_object(
        'RecordType', case event_type when 'delivered' then 'Delivery' when 'opened' then 'Open'
                      when 'clicked' then 'Click' when 'bounced' then 'Bounce' when 'unsubscribed' then 'SubscriptionChange'
                      when 'spam_reported' then 'SpamComplaint' end,
        'ServerID', 23, 'MessageStream', 'outbound', 'MessageID', {message_id}, 'Tag', 'campaign',
        'ID', case when event_type in ('bounced', 'spam_reported') then abs(hash(event_id)) % 1000000000 end,
        'Type', case when event_type = 'spam_reported' then 'SpamComplaint'
                     when event_type = 'bounced' then case bounce_type when 'hard' then 'HardBounce' else 'SoftBounce' end end,
        'TypeCode', case when event_type = 'spam_reported' then 512
                         when event_type = 'bounced' then case bounce_type when 'hard' then 1 else 4096 end end,
        'Recipient', case when event_type not in ('bounced', 'spam_reported') then {recipient} end,
        'Email', case when event_type in ('bounced', 'spam_reported') then {recipient} end,
        'DeliveredAt', case when event_type = 'delivered' then {at} end,
        'BouncedAt', case when event_type in ('bounced', 'spam_reported') then {at} end,
        'ReceivedAt', case when event_type in ('opened', 'clicked') then {at} end,
        'ChangedAt', case when event_type = 'unsubscribed' then {at} end,
        'Origin', case when event_type = 'unsubscribed' then 'Recipient' end,
        'SuppressSending', case when event_type = 'unsubscribed' then true end,
        'SuppressionReason', case when event_type = 'unsubscribed' then 'ManualSuppression' end,
        'ClickLocation', case when event_type = 'clicked' then 'HTML' end,
        'OriginalLink', url,
        'UserAgent', user_agent,
        'Platform', case when event_type in ('opened', 'clicked') then 'Desktop' end,
        'Metadata', json_object('{_sql_key(key)}', email_id))"""
    return _write_json_lines(con, f"select {document} as j from ({events})", stem.with_suffix(".json"))


PROVIDER_WRITERS = {
    "sendgrid": _write_sendgrid,
    "mailgun": _write_mailgun,
    "ses": _write_ses,
    "postmark": _write_postmark,
}
FORMATS = ("native", *PROVIDER_WRITERS)


def _sql_key(key: str) -> str:
    return key.replace("'", "''")


def _provider_quirks(fmt: str, batch: int, key: str) -> list[dict]:
    """The quirks of a batch as the service would send them: as many rejected rows as the native
    quirks (a timestamp that does not parse, one out of range, an event without the email_id,
    two events with no meaning here) and the same never-resolving orphan."""
    orphan = f"E-NEVER-SENT-{batch}"
    at, later = "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:05.000Z"
    if fmt == "sendgrid":
        base = {"email": "e1@mail.example", "timestamp": 1767225600, "sg_message_id": "E1.filter", key: "E1"}
        return [
            dict(base, event="open", timestamp="yesterday", sg_event_id=f"BAD-{batch}-1"),
            dict(base, event="processed", sg_event_id=f"BAD-{batch}-2"),
            {k: v for k, v in dict(base, event="delivered", sg_event_id=f"BAD-{batch}-3").items() if k != key},
            dict(base, event="deferred", attempt="5", sg_event_id=f"BAD-{batch}-4"),
            dict(base, event="open", timestamp=1767225600000, sg_event_id=f"BAD-{batch}-5"),
            dict(base, event="open", sg_event_id=f"ORPHAN-{batch}-1", **{key: orphan}),
        ]
    if fmt == "mailgun":

        def payload(number, event, timestamp=1767225600.0, variables=None, **extra):
            data = {"id": f"BAD-{batch}-{number}", "timestamp": timestamp, "event": event, **extra}
            data["message"] = {"headers": {"message-id": "E1@mg.campaign-dw.example"}}
            data["user-variables"] = {key: "E1"} if variables is None else variables
            return {"signature": {"timestamp": "1767225600", "token": "t", "signature": "s"}, "event-data": data}

        orphan_event = payload(1, "opened", variables={key: orphan})
        orphan_event["event-data"]["id"] = f"ORPHAN-{batch}-1"
        return [
            payload(1, "opened", timestamp="yesterday"),
            payload(2, "accepted"),
            payload(3, "delivered", variables={}),
            payload(4, "rejected", reject={"reason": "suppressed"}),
            payload(5, "opened", timestamp=1767225600000),
            orphan_event,
        ]
    if fmt == "ses":

        def record(event, detail=None, email_id="E1", mail_at=at):
            mail = {"timestamp": mail_at, "messageId": f"EXAMPLE-{email_id}-{batch}", "tags": {key: [email_id]}}
            if email_id is None:
                mail["tags"] = {"ses:configuration-set": ["campaign-dw"]}
                mail["messageId"] = f"EXAMPLE-untagged-{batch}"
            return {"eventType": event, "mail": mail, **(detail or {})}

        return [
            record("Open", {"open": {"timestamp": "yesterday", "userAgent": "Mozilla/5.0 (X11)"}}),
            record("Send", {"send": {}}),
            record("Delivery", {"delivery": {"timestamp": later}}, email_id=None),
            record("DeliveryDelay", {"deliveryDelay": {"timestamp": later, "delayType": "MailboxFull"}}),
            record("Open", {"open": {"timestamp": "2026-02-30T10:00:00.000Z", "userAgent": "Mozilla/5.0 (X11)"}}),
            record("Open", {"open": {"timestamp": later, "userAgent": "Mozilla/5.0 (X11)"}}, email_id=orphan),
        ]
    base = {"MessageStream": "outbound", "MessageID": f"00000000-0000-0000-0000-{batch:012d}", "Metadata": {key: "E1"}}
    return [
        dict(base, RecordType="Open", ReceivedAt="yesterday", UserAgent="Mozilla/5.0 (X11)"),
        dict(base, RecordType="SubscriptionChange", ChangedAt=at, SuppressSending=True, SuppressionReason="HardBounce"),
        dict(base, RecordType="Delivery", DeliveredAt=at, Metadata={}),
        dict(
            base,
            RecordType="SubscriptionChange",
            ChangedAt=later,
            Origin="Customer",
            SuppressSending=True,
            SuppressionReason="ManualSuppression",
        ),
        dict(base, RecordType="Open", ReceivedAt="2026-02-30T10:00:00Z", UserAgent="Mozilla/5.0 (X11)"),
        dict(base, RecordType="Open", ReceivedAt=later, UserAgent="Mozilla/5.0 (X11)", Metadata={key: orphan}),
    ]


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
