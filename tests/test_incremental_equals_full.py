"""An incremental build equals a full rebuild over the same files, after every batch of any
sequence (SPEC §6): first the operator's reproductions (a batch that touches every campaign,
an edited link, a moved message), then random sequences of small batches (hypothesis).

The property test runs a few examples in `make test` (a minute); for a longer search:
CAMPAIGN_DW_PROPERTY_EXAMPLES=200 .venv/bin/pytest tests/test_incremental_equals_full.py
"""

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from twins import Twins, write_batch

from campaign_dw.config import SAMPLE_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    pair = Twins(tmp_path_factory.mktemp("twins"))
    yield pair
    pair.close()


def assert_equal(incremental: dict, full: dict, step: str) -> None:
    for table in full:
        missing = sorted(set(full[table]) - set(incremental[table]))
        extra = sorted(set(incremental[table]) - set(full[table]))
        assert incremental[table] == full[table], (
            f"{step}: {table} differs from a full rebuild: "
            f"rows only in the full rebuild {missing[:5]}, only in the incremental build {extra[:5]}"
        )


def test_the_operators_reproductions_equal_a_full_rebuild(twins, tmp_path):
    """The sample; then late replies for one email of each of C1, C2 and C4 (every campaign
    with sends is touched: the metric marts once lost them all); then a link whose anchor text
    alone changes (it once stayed stale), with a new viewer time zone (every heatmap is
    recomputed); then, alone, a message moved to another campaign (its old campaign must be
    recounted though nothing of it arrived)."""
    twins.reset()
    late = write_batch(
        tmp_path / "late",
        {
            "email_events": [
                {
                    "event_id": f"LATE-{email}",
                    "email_id": email,
                    "event_type": "replied",
                    "occurred_at": "2026-05-04T10:00:00Z",
                    "received_at": "2026-11-20T10:00:00Z",
                }
                for email in ("E11-060", "E21-111", "E41-113")
            ]
        },
    )
    link_and_zone = write_batch(
        tmp_path / "link",
        {
            "message_links": [
                {
                    "link_id": "L1",
                    "message_id": "M11",
                    "url": "https://jobs.acme.example/backend",
                    "placement": "body",
                    "anchor_text": "see the new role",
                    "updated_at": "2026-11-20T10:00:00Z",
                }
            ],
            "users": [
                {
                    "user_id": "U6",
                    "full_name": "New Viewer",
                    "email": "v@x.example",
                    "timezone": "America/Chicago",
                    "updated_at": "2026-11-20T10:00:00Z",
                }
            ],
        },
    )
    moved = write_batch(
        tmp_path / "moved",
        {
            "campaign_messages": [
                {
                    "message_id": "M12",
                    "campaign_id": "C4",
                    "step_number": "2",
                    "subject": "Moved",
                    "body_html": "<p>moved</p>",
                    "wait_days": "3",
                    "updated_at": "2026-11-20T10:00:00Z",
                }
            ],
        },
    )
    incremental, full = twins.step(SAMPLE_DIR)
    assert_equal(incremental, full, "the sample")

    incremental, full = twins.step(late)
    assert_equal(incremental, full, "late replies in every campaign")
    replied = {row[0]: row[8] for row in incremental["marts.campaign_metrics"]}  # emails_replied
    assert replied == {"C1": 5, "C2": 1, "C3": 0, "C4": 1}

    incremental, full = twins.step(link_and_zone)
    assert_equal(incremental, full, "edited link, new viewer zone")
    anchors = {row[2]: row[4] for row in incremental["marts.campaign_message_link_clicks"]}
    assert anchors["L1"] == "see the new role"
    assert {row[1] for row in incremental["marts.campaign_open_heatmap"]} >= {"America/Chicago"}

    incremental, full = twins.step(moved)
    assert_equal(incremental, full, "moved message")
    # M12 now belongs to C4: its 50 sends (of C1) wait for a message of C1 named M12.
    sent = {row[1]: row[2] for row in incremental["marts.campaign_message_metrics"]}
    assert sent["M12"] == 0 and sent["M11"] == 110

    # An email service's click carries the url only: on M11's footer url it takes the footer
    # link L3 and is no click; then L3's url changes, and the same click, now on an unknown
    # link, counts as a body click, though nothing of C1's emails arrived (SPEC §2).
    url_click = write_batch(
        tmp_path / "url_click",
        {
            "email_events": [
                {
                    "event_id": "URL-CLICK",
                    "email_id": "E11-011",
                    "event_type": "clicked",
                    "occurred_at": "2026-03-20T10:00:00Z",
                    "url": "https://acme.example/unsubscribe",
                    "received_at": "2026-11-21T10:00:00Z",
                }
            ]
        },
    )
    link_url_changed = write_batch(
        tmp_path / "link_url",
        {
            "message_links": [
                {
                    "link_id": "L3",
                    "message_id": "M11",
                    "url": "https://acme.example/unsubscribe-v2",
                    "placement": "footer",
                    "anchor_text": "unsubscribe",
                    "updated_at": "2026-11-22T10:00:00Z",
                }
            ]
        },
    )

    def clicked(marts: dict) -> int:
        return {row[1]: row[8] for row in marts["marts.campaign_message_metrics"]}["M11"]  # emails_clicked

    before = clicked(incremental)
    incremental, full = twins.step(url_click)
    assert_equal(incremental, full, "a click by url on a footer link")
    assert clicked(incremental) == before
    incremental, full = twins.step(link_url_changed)
    assert_equal(incremental, full, "that link's url changed")
    assert clicked(incremental) == before + 1


def test_a_build_killed_between_the_opens_and_the_heatmap_cells_is_repaired(twins, tmp_path):
    """The heatmap cells are kept by difference with the opens a build replaces. A build killed
    after replacing the opens, before the cells, leaves them behind the opens: the next build
    must recount those campaigns' cells instead of taking a difference from opens already
    replaced; the build after it keeps them by difference again."""
    twins.reset()

    def opens(tag: str, at: str) -> Path:
        return write_batch(
            tmp_path / tag,
            {
                "email_events": [
                    {
                        "event_id": f"{tag}-{email}",
                        "email_id": email,
                        "event_type": "opened",
                        "occurred_at": at,
                        "received_at": "2026-11-20T10:00:00Z",
                    }
                    for email in ("E11-060", "E21-111")
                ]
            },
        )

    def heatmap_opens(marts: dict) -> int:
        return sum(row[4] for row in marts["marts.campaign_open_heatmap"])  # opens

    incremental, full = twins.step(SAMPLE_DIR)
    assert_equal(incremental, full, "the sample")
    before = heatmap_opens(incremental)
    incremental, full = twins.step(opens("killed", "2026-05-04T10:00:00Z"), interrupted_after="int_opens_tracked")
    assert_equal(incremental, full, "after a build killed between the opens and the cells")
    assert heatmap_opens(incremental) > before
    incremental, full = twins.step(opens("after", "2026-05-05T16:00:00Z"))
    assert_equal(incremental, full, "the build after it")


# --- random sequences of small batches ----------------------------------------------------------

CAMPAIGNS = ["C1", "C2", "C3"]
MESSAGES = ["M1", "M2", "M3", "M4"]
LINKS = ["L1", "L2", "L3"]
EMAILS = [f"E{i}" for i in range(1, 9)]
PROSPECTS = ["P1", "P2", "P3"]
UPDATED = ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "soon"]
# Across the open-tracking eras (2025-08-07, 2026-04-20), a DST change, an offset; seconds
# apart after a send at 2026-05-01 09:00 (too soon after sending, bursts of clicks); one bad.
TIMES = [
    "2025-07-01T10:00:00Z",
    "2025-08-07T00:00:00Z",
    "2025-09-01T10:00:05Z",
    "2026-03-29T01:30:00Z",
    "2026-04-20T09:00:00Z",
    "2026-05-01T09:00:00Z",
    "2026-05-01T11:00:02+02:00",
    "2026-05-01T09:00:04Z",
    "2026-05-01T09:00:12.5Z",
    "2026-05-01T09:00:14Z",
    "yesterday",
]
AGENTS = ["Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15", "Mozilla/5.0", "python-requests/2.31", None]


def rows(strategy, most):
    return st.lists(strategy, max_size=most)


campaign = st.fixed_dictionaries(
    {
        "campaign_id": st.sampled_from(CAMPAIGNS),
        "name": st.sampled_from(["A", "B"]),
        "owner_user_id": st.just("U1"),
        "status": st.sampled_from(["running", "completed", "draft"]),
        "language": st.sampled_from(["en", "fr"]),
        "started_at": st.sampled_from([None, "2025-06-01T00:00:00Z"]),
        "ended_at": st.sampled_from([None, "2025-07-31T00:00:00Z", "2026-06-01T00:00:00Z"]),
        "created_at": st.just("2025-05-01T00:00:00Z"),
        "updated_at": st.sampled_from(UPDATED),
    }
)
message = st.fixed_dictionaries(
    {
        "message_id": st.sampled_from(MESSAGES),
        "campaign_id": st.sampled_from(CAMPAIGNS),
        "step_number": st.sampled_from(["1", "2", "x"]),
        "subject": st.sampled_from(["s1", "s2"]),
        "body_html": st.just("<p>hi</p>"),
        "wait_days": st.just("0"),
        "updated_at": st.sampled_from(UPDATED),
    }
)
link = st.fixed_dictionaries(
    {
        "link_id": st.sampled_from(LINKS),
        "message_id": st.sampled_from(MESSAGES),
        "url": st.sampled_from(["https://x/1", "https://x/2"]),
        "placement": st.sampled_from(["body", "footer"]),
        "anchor_text": st.sampled_from(["a", "b"]),
        "updated_at": st.sampled_from(UPDATED),
    }
)
user = st.fixed_dictionaries(
    {
        "user_id": st.sampled_from(["U1", "U2"]),
        "full_name": st.just("V"),
        "email": st.just("v@x.example"),
        "timezone": st.sampled_from(["UTC", "Europe/Paris", "Asia/Kathmandu", None, "Mars/Olympus_Mons"]),
        "updated_at": st.sampled_from(UPDATED),
    }
)
membership = st.fixed_dictionaries(
    {
        "campaign_id": st.sampled_from(CAMPAIGNS),
        "prospect_id": st.sampled_from(PROSPECTS),
        "entered_at": st.just("2025-06-01T00:00:00Z"),
        "exited_at": st.sampled_from([None, "2026-02-01T00:00:00Z"]),
        "exit_reason": st.sampled_from([None, "replied"]),
        "updated_at": st.sampled_from(UPDATED),
    }
)
prospect = st.fixed_dictionaries(
    {
        "prospect_id": st.sampled_from(PROSPECTS),
        "email": st.just("p@x.example"),
        "first_name": st.just("F"),
        "last_name": st.just("L"),
        "updated_at": st.sampled_from(UPDATED),
    }
)
send = st.fixed_dictionaries(
    {
        "email_id": st.sampled_from(EMAILS),
        "campaign_id": st.sampled_from(CAMPAIGNS),
        "message_id": st.sampled_from(MESSAGES),
        "prospect_id": st.sampled_from(PROSPECTS),
        "sent_at": st.sampled_from(TIMES[:-1] + ["N/A"]),
    }
)
event = st.fixed_dictionaries(
    {
        "event_id": st.sampled_from([f"EV{i}" for i in range(1, 16)]),
        "email_id": st.sampled_from(EMAILS),
        "event_type": st.sampled_from(
            [
                "delivered",
                "bounced",
                "opened",
                "opened",
                "clicked",
                "clicked",
                "replied",
                "unsubscribed",
                "spam_reported",
                "forwarded",
            ]
        ),
        "occurred_at": st.sampled_from(TIMES),
        "bounce_type": st.sampled_from([None, "hard", "soft"]),
        "link_id": st.sampled_from([None, "L1", "L2", "L3", "L9"]),
        # a click without a link_id may find a link of its message by url (SPEC §2)
        "url": st.sampled_from([None, "https://x/e", "https://x/1", "https://x/2"]),
        "user_agent": st.sampled_from(AGENTS),
        "received_at": st.just("2026-06-01T00:00:00Z"),
        "machine_open": st.sampled_from([None, None, "true", "false", "maybe"]),
    }
)
random_batch = st.fixed_dictionaries(
    {
        "campaigns": rows(campaign, 2),
        "campaign_messages": rows(message, 3),
        "message_links": rows(link, 2),
        "users": rows(user, 2),
        "audience_memberships": rows(membership, 3),
        "prospects": rows(prospect, 2),
        "email_sends": rows(send, 4),
        "email_events": rows(event, 10),
    }
)
# A late event for every email: every campaign with sends is touched at once.
touch_every_campaign = st.builds(
    lambda t: {
        "email_events": [
            {
                "event_id": f"ALL-{e}-{t}",
                "email_id": e,
                "event_type": "replied",
                "occurred_at": "2026-05-02T10:00:00Z",
                "received_at": "2026-06-02T00:00:00Z",
            }
            for e in EMAILS
        ]
    },
    st.integers(0, 1000),
)
# One new version of one row: only what it changes may be touched, and all of that must be.
one_change = st.one_of(
    *[
        st.builds(lambda row, table=table: {table: [row]}, strategy)
        for table, strategy in [
            ("message_links", link),
            ("campaign_messages", message),
            ("campaigns", campaign),
            ("audience_memberships", membership),
            ("users", user),
            ("email_sends", send),
            ("email_events", event),
        ]
    ]
)
# New events of a few emails and nothing else: their campaigns are recounted by the touched
# emails alone (int_emails_touched), every other email of those campaigns kept as it was.
touch_some_emails = st.builds(
    lambda emails, kind, at, link_id, tag: {
        "email_events": [
            {
                "event_id": f"SOME-{e}-{tag}",
                "email_id": e,
                "event_type": kind,
                "occurred_at": at,
                "link_id": link_id if kind == "clicked" else None,
                "received_at": "2026-06-02T00:00:00Z",
            }
            for e in emails
        ]
    },
    st.lists(st.sampled_from(EMAILS), min_size=1, max_size=3, unique=True),
    st.sampled_from(["opened", "clicked", "delivered", "bounced", "replied"]),
    st.sampled_from(TIMES[:-1]),
    st.sampled_from([None, "L1", "L2"]),
    st.integers(0, 1000),
)
# A second email of a prospect's message (a re-send), with an event: the prospect's link
# clicks and tracked opens of that message are recounted over both emails.
resend = st.builds(
    lambda sent, happened, tag: {
        "email_sends": [{**sent, "email_id": f"RESEND-{tag}"}],
        "email_events": [{**happened, "event_id": f"RESEND-EV-{tag}", "email_id": f"RESEND-{tag}"}],
    },
    send,
    event,
    st.integers(0, 1000),
)
later_batch = st.one_of(
    random_batch, one_change, one_change, touch_every_campaign, touch_some_emails, resend, st.just({})
)

EXAMPLES = int(os.environ.get("CAMPAIGN_DW_PROPERTY_EXAMPLES", "3"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The few examples of `make test` are the same on every run (reproducible CI); a longer
    # search explores. No shrinking: each example is a dozen dbt runs; the failing sequence is
    # printed as it was.
    derandomize=EXAMPLES <= 5,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(first=random_batch, later=st.lists(later_batch, min_size=1, max_size=2))
def test_random_batch_sequences_equal_a_full_rebuild_after_every_batch(twins, tmp_path_factory, first, later):
    twins.reset()
    batches = [first, *later]
    root = tmp_path_factory.mktemp("batches")
    for number, tables in enumerate(batches):
        note(f"batch {number}: {tables}")
        folder = write_batch(root / f"batch{number}", tables)
        incremental, full = twins.step(folder)
        assert_equal(incremental, full, f"after batch {number}")
    shutil.rmtree(root, ignore_errors=True)
