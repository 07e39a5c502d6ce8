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
