"""`campaign-dw generate`: determinism, shape, and later batches."""

import duckdb
import pytest

from campaign_dw.generate import generate


def rows(folder, table, pattern="*.parquet"):
    with duckdb.connect() as con:
        return con.execute(f"select * from read_parquet('{folder}/{table}/{pattern}') order by all").fetchall()


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    first = generate(out, events=60_000, seed=7)
    second = generate(out, events=60_000, seed=7, increment=1)
    return out, first, second


def test_same_seed_same_rows_other_seed_other_rows(batches, tmp_path):
    out, first, _ = batches
    again = generate(tmp_path / "again", events=60_000, seed=7)
    generate(tmp_path / "other", events=60_000, seed=8)
    assert again["rows"] == first["rows"]
    for table in ("email_events", "email_sends", "audience_memberships", "campaigns"):
        assert rows(tmp_path / "again", table, "batch-0000.parquet") == rows(out, table, "batch-0000.parquet"), table
    assert rows(tmp_path / "other", "email_events", "batch-0000.parquet") != rows(
        out, "email_events", "batch-0000.parquet"
    )


def test_size_is_about_what_was_asked(batches):
    _, first, _ = batches
    assert 45_000 <= first["rows"]["email_events"] <= 80_000


def test_shape(batches):
    out, _, _ = batches
    with duckdb.connect() as con:

        def one(sql):
            return con.execute(
                sql.replace("EVENTS", f"read_parquet('{out}/email_events/batch-0000.parquet')")
                .replace("QUIRKS", f"read_parquet('{out}/email_events/batch-0000-quirks.parquet')")
                .replace("SENDS", f"read_parquet('{out}/email_sends/batch-0000.parquet')")
            ).fetchall()

        per_step = one("select split_part(message_id, '-M', 2)::int as step, count(*) from SENDS group by 1 order by 1")
        counts = [n for _, n in per_step]
        assert len(counts) == 5 and counts == sorted(counts, reverse=True)  # later steps reach fewer prospects
        types = dict(one("select event_type, count(*) from EVENTS group by 1"))
        assert {"delivered", "bounced", "opened", "clicked", "replied", "unsubscribed", "spam_reported"} <= set(types)
        assert types["opened"] > types["clicked"] > types["replied"] > types["unsubscribed"] > types["spam_reported"]
        (dup_share,) = one("select 1 - count(distinct event_id) / count(*) from EVENTS where event_id like 'V%'")[0]
        assert 0.005 < dup_share < 0.05
        assert (
            one("select count(*) from EVENTS where link_id like '%-L3' or link_id like '%-L4'")[0][0] > 0
        )  # footer clicks
        assert (
            one("select max(n) from (select email_id, count(*) n from EVENTS where event_type = 'opened' group by 1)")[
                0
            ][0]
            >= 4
        )
        assert one("select count(*) from QUIRKS where event_id like 'BAD-%' or event_id is null")[0][0] == 5
        assert one("select count(*) from QUIRKS where email_id = 'E-NEVER-SENT-0'")[0][0] == 1
        # Clicks without an open (images blocked).
        assert (
            one("""select count(*) from (select email_id from EVENTS group by 1
                      having count(*) filter (where event_type = 'clicked') > 0
                         and count(*) filter (where event_type = 'opened') = 0)""")[0][0]
            > 0
        )
        # Opens at working hours of the recipient: most opens fall between 07:00 and 18:59 local,
        # so UTC hours spread across the day instead of one block.
        hours = one("select count(distinct hour(occurred_at)) from EVENTS where event_type = 'opened'")[0][0]
        assert hours == 24


def test_later_batch_brings_new_emails_late_events_and_redeliveries(batches):
    out, first, second = batches
    assert 0 < second["rows"]["email_sends"] < first["rows"]["email_sends"] / 20
    with duckdb.connect() as con:
        first_sends = f"read_parquet('{out}/email_sends/batch-0000.parquet')"
        second_events = f"read_parquet('{out}/email_events/batch-0001.parquet')"
        first_events = f"read_parquet('{out}/email_events/batch-0000.parquet')"
        late = con.execute(
            f"select count(*) from {second_events} where email_id in (select email_id from {first_sends}) "
            f"and event_id not in (select event_id from {first_events})"
        ).fetchone()[0]
        again = con.execute(
            f"select count(*) from {second_events} where event_id in (select event_id from {first_events})"
        ).fetchone()[0]
        early = con.execute(f"""select count(*) from {first_events} where email_id like 'E%' and email_id not in
                                (select email_id from {first_sends}) and event_id not like 'ORPHAN%'""").fetchone()[0]
    assert late > 0 and again > 0 and early > 0
    assert second["rows"]["campaigns"] > 0  # newer versions of some campaigns


def test_machines_and_bots_look_like_real_feeds(batches):
    """SPEC §3b: Apple's proxy (`Mozilla/5.0` alone) makes 40-50% of opens, minutes after the
    email was sent; people open in mail clients; mail scanners click all four links of an
    email within two seconds; the email service's flag is in even batches' files only."""
    out, _, _ = batches
    with duckdb.connect() as con:
        events = f"read_parquet('{out}/email_events/batch-0000.parquet')"
        sends = f"read_parquet('{out}/email_sends/batch-0000.parquet')"
        proxy_share, flagged_agree = con.execute(f"""
            select avg(case when user_agent = 'Mozilla/5.0' then 1 else 0 end),
                   bool_and((machine_open = 'true') = (user_agent = 'Mozilla/5.0'))
            from {events} where event_type = 'opened'""").fetchone()
        assert 0.40 <= proxy_share <= 0.50 and flagged_agree
        (minutes,) = con.execute(f"""
            select median(epoch(cast(e.occurred_at as timestamp) - cast(s.sent_at as timestamp)) / 60)
            from {events} e join {sends} s using (email_id)
            where e.event_type = 'opened' and e.user_agent = 'Mozilla/5.0'""").fetchone()
        assert minutes < 120
        (bursts,) = con.execute(f"""
            select count(*) from (
                select email_id from {events} where event_type = 'clicked'
                group by email_id
                having count(distinct link_id) = 4
                   and epoch(max(cast(occurred_at as timestamp)) - min(cast(occurred_at as timestamp))) <= 6)""").fetchone()
        assert bursts > 100
        later = con.execute(f"describe select * from read_parquet('{out}/email_events/batch-0001.parquet')").fetchall()
    assert "machine_open" not in {c[0] for c in later}


def test_events_of_an_email_are_told_apart_by_type_time_and_link_and_clicks_name_their_link(batches):
    """What a service without event ids (SES, Postmark) tells events apart by is unique, and a
    click's url is its link's (message_links), footer clicks included: a provider-format batch
    can say everything the native one does."""
    out, _, _ = batches
    with duckdb.connect() as con:
        events = f"read_parquet('{out}/email_events/batch-0000.parquet')"
        (shared,) = con.execute(f"""select count(*) from (select email_id, event_type, occurred_at, url
            from {events} group by all having count(distinct event_id) > 1)""").fetchone()
        (wrong_url,) = con.execute(f"""select count(*) from {events} e
            join read_parquet('{out}/message_links/batch-0000.parquet') l using (link_id)
            where e.url is distinct from l.url""").fetchone()
        (fractions,) = con.execute(f"select count(*) from {events} where epoch(occurred_at) % 1 <> 0").fetchone()
    assert (shared, wrong_url, fractions) == (0, 0, 0)


@pytest.fixture(scope="module")
def native_small(tmp_path_factory):
    out = tmp_path_factory.mktemp("native")
    generate(out, events=4_000, seed=9)
    return out


@pytest.mark.parametrize("fmt", ["sendgrid", "mailgun", "ses", "postmark"])
def test_a_provider_format_batch_reads_back_as_the_native_events(native_small, tmp_path, fmt):
    """`generate --format <service>` writes the same events as the native batch: read back by the
    loader's adapters (campaign_dw/providers.py) they are the native rows, one id per native id
    (only SendGrid and Mailgun carry the machine_open flag); replies (the tool's own) stay
    native; the quirks are six events, one an orphan, the others quarantined in staging."""
    import collections
    from datetime import UTC, datetime

    from campaign_dw import providers

    summary = generate(tmp_path, events=4_000, seed=9, fmt=fmt, email_id_key="dw_email")
    flag = fmt in ("sendgrid", "mailgun")
    with duckdb.connect() as con:
        native = con.execute(f"""select event_id, email_id, event_type, timezone('UTC', occurred_at), bounce_type, url,
                user_agent, machine_open from read_parquet('{native_small}/email_events/batch-0000.parquet')""").fetchall()
        replies = con.execute(
            f"select * from read_parquet('{tmp_path}/email_events/*.parquet') order by all"
        ).fetchall()
        native_replies = con.execute(f"""select * from read_parquet('{native_small}/email_events/batch-0000.parquet')
            where event_type = 'replied' order by all""").fetchall()
    assert replies == native_replies and replies
    want = collections.Counter(
        (e, t, at, b, u, a, m if flag else None) for _, e, t, at, b, u, a, m in native if t != "replied"
    )
    rows = []
    for path in sorted((tmp_path / fmt).glob("batch-0000*.json")):
        if "quirks" not in path.name:
            rows += providers.rows(fmt, path.read_text(), path.name, key="dw_email")
    got = collections.Counter(
        (
            r["email_id"],
            r["event_type"],
            datetime.fromisoformat(r["occurred_at"]).astimezone(UTC).replace(tzinfo=None),
            r["bounce_type"],
            r["url"],
            r["user_agent"],
            None if r["machine_open"] is None else r["machine_open"] == "true",
        )
        for r in rows
    )
    assert got == want
    assert len({r["event_id"] for r in rows}) == len({n[0] for n in native if n[2] != "replied"})
    assert summary["rows"][fmt] == len(rows) + 6
    quirks = providers.rows(fmt, (tmp_path / fmt / "batch-0000-quirks.json").read_text(), key="dw_email")
    assert len(quirks) == 6 and quirks[-1]["email_id"] == "E-NEVER-SENT-0"
    assert sum(q["event_type"] is None for q in quirks) == 2 and sum(q["email_id"] is None for q in quirks) == 1
