"""Property-based: random and hostile raw rows and files never crash the warehouse, every
raw row is accounted for, good rows are counted and bad rows are quarantined with a reason."""

import csv
import tempfile
from pathlib import Path

import pytest
from conftest import build, query
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from campaign_dw.config import Settings
from campaign_dw.loader import load_directory

pytestmark = pytest.mark.slow

VALID_TYPES = ["delivered", "bounced", "opened", "clicked", "replied", "unsubscribed", "spam_reported"]
GOOD_TIMESTAMPS = [
    "2026-03-04T11:00:00Z",
    "2026-03-04T11:00:00+05:45",
    "2026-03-04 11:00:00",
    "2026-03-04T11:00:00.123456-09:30",
    "2025-08-10T23:59:59+14:00",
    "2026-10-25T01:30:00Z",
]
BAD_TIMESTAMPS = ["yesterday", "2026-13-45T99:00:00Z", "🕒", "x" * 5000, "NaN", "infinity", "-infinity"]
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
IDS = st.one_of(st.sampled_from(["e1", "e2", "e3", "e'4;--", "é5", "E 6", "", "  "]), st.none(), TEXT)
FILE_NAMES = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=16
).filter(lambda n: n not in (".", "..") and not n.startswith("."))


@st.composite
def event_rows(draw):
    good_ts = draw(st.booleans())
    event_type = draw(st.one_of(st.sampled_from(VALID_TYPES + [" Opened ", "CLICKED"]), TEXT, st.none()))
    return {
        "event_id": draw(IDS),
        "email_id": draw(st.one_of(st.sampled_from(["m1", "m2", "m-unknown"]), st.none(), TEXT)),
        "event_type": event_type,
        "occurred_at": draw(st.sampled_from(GOOD_TIMESTAMPS if good_ts else BAD_TIMESTAMPS)),
        "bounce_type": draw(st.one_of(st.sampled_from(["hard", "soft", "HARD", "maybe"]), st.none())),
        "link_id": draw(st.one_of(st.sampled_from(["l1", "l-footer", "l-unknown"]), st.none(), TEXT)),
        "url": draw(st.one_of(st.none(), TEXT)),
        "user_agent": draw(st.one_of(st.none(), TEXT, st.just("A" * 100_000))),
        "received_at": draw(st.one_of(st.none(), st.sampled_from(GOOD_TIMESTAMPS))),
    }


SKELETON = {
    "campaigns.csv": [
        [
            "campaign_id",
            "name",
            "owner_user_id",
            "status",
            "language",
            "started_at",
            "ended_at",
            "created_at",
            "updated_at",
        ],
        [
            "c1",
            "Campaign ' ; drop table raw.users; --",
            "u1",
            "running",
            "en",
            "2025-09-01T00:00:00Z",
            "",
            "2025-08-01T00:00:00Z",
            "2025-09-01T00:00:00Z",
        ],
    ],
    "campaign_messages.csv": [
        ["message_id", "campaign_id", "step_number", "subject", "body_html", "wait_days", "updated_at"],
        ["msg1", "c1", "1", "Hi 👋", "<p>x</p>", "0", "2025-08-01T00:00:00Z"],
    ],
    "message_links.csv": [
        ["link_id", "message_id", "url", "placement", "anchor_text", "updated_at"],
        ["l1", "msg1", "https://x/job", "body", "job", "2025-08-01T00:00:00Z"],
        ["l-footer", "msg1", "https://x/unsubscribe", "footer", "unsubscribe", "2025-08-01T00:00:00Z"],
    ],
    "users.csv": [
        ["user_id", "full_name", "email", "timezone", "updated_at"],
        ["u1", "A", "a@x", "Asia/Kathmandu'; select 1; --", "2025-08-01T00:00:00Z"],
        ["u2", "B", "b@x", "America/St_Johns", "2025-08-01T00:00:00Z"],
    ],
    "email_sends.csv": [
        ["email_id", "campaign_id", "message_id", "prospect_id", "sent_at"],
        ["m1", "c1", "msg1", "p1", "2025-09-01T09:00:00Z"],
        ["m2", "c1", "msg1", "p2", "2025-09-01T09:00:00Z"],
        ["m2", "c1", "msg1", "p2-conflicting", "2025-09-02T09:00:00Z"],
    ],
}
HEADER = [
    "event_id",
    "email_id",
    "event_type",
    "occurred_at",
    "bounce_type",
    "link_id",
    "url",
    "user_agent",
    "received_at",
]


def blank(value):
    return value is None or value.strip(" ") == ""  # SQL trim() removes spaces only


def is_good(row):
    event_type = (row["event_type"] or "").strip(" ").lower()
    bounce = (row["bounce_type"] or "").strip(" ").lower()
    return not (
        blank(row["event_id"])
        or blank(row["email_id"])
        or event_type not in VALID_TYPES
        or row["occurred_at"] not in GOOD_TIMESTAMPS
        # A bounce without bounce_type counts as soft; one with another type is a bad value.
        # A click without link_id is valid (SPEC §2).
        or (event_type == "bounced" and bounce != "" and bounce not in ("hard", "soft"))
    )


@settings(
    max_examples=3, deadline=None, phases=[Phase.generate], derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    files=st.lists(
        st.tuples(FILE_NAMES, st.lists(event_rows(), max_size=25)), min_size=1, max_size=3, unique_by=lambda f: f[0]
    ),
    extra_bad_file=st.sampled_from(["empty", "wrong header", "not utf-8", None]),
)
def test_hostile_input_never_crashes_and_every_row_is_accounted_for(files, extra_bad_file):
    with tempfile.TemporaryDirectory() as tmp:
        landing = Path(tmp) / "landing"
        (landing / "email_events").mkdir(parents=True)
        for name, rows in SKELETON.items():
            with open(landing / name, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)
        all_rows = []
        for name, rows in sorted(files):  # the loader reads a folder's files in name order
            with open(landing / "email_events" / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, HEADER)
                writer.writeheader()
                writer.writerows([{k: ("" if v is None else v) for k, v in row.items()} for row in rows])
            all_rows += rows
        if extra_bad_file == "empty":
            (landing / "email_events" / "empty.csv").write_text("")
        elif extra_bad_file == "wrong header":
            (landing / "email_events" / "wrong.csv").write_text("id,type\n1,opened\n")
        elif extra_bad_file == "not utf-8":
            (landing / "email_events" / "latin1.csv").write_bytes(",".join(HEADER).encode() + b"\n\xe9,\xff\n")

        settings = Settings(warehouse=Path(tmp) / "wh" / "warehouse.duckdb", landing=landing)
        paths = settings.paths
        report = load_directory(landing, paths)
        refused = [o for o in report.outcomes if o.status == "refused"]
        assert len(refused) == (1 if extra_bad_file else 0), [o.line() for o in refused]
        assert all(o.message for o in refused)

        outcome = build(settings)
        assert outcome.status == "success", outcome.problems

        reconciliation = query(
            paths.warehouse, "select table_name, raw_rows, is_reconciled from audit.raw_row_reconciliation"
        )
        assert all(ok for _, _, ok in reconciliation)
        assert dict((t, n) for t, n, _ in reconciliation)["email_events"] == len(all_rows)

        # Empty strings became NULL in the CSV: judge the rows as they arrived.
        arrived = [{k: (None if v in (None, "") else v) for k, v in row.items()} for row in all_rows]
        bad = [r for r in arrived if not is_good(r)]
        rejected = query(
            paths.warehouse,
            "select count(*), count(rejection_reason) from audit.rejected_rows where table_name = 'email_events'",
        )[0]
        assert rejected == (len(bad), len(bad))

        # The first good copy of each event counts if its email was sent.
        first_good = {}
        for r in arrived:
            if is_good(r):
                first_good.setdefault(r["event_id"].strip(" "), r["email_id"].strip(" "))
        good_ids = {event for event, email in first_good.items() if email in ("m1", "m2")}
        counted = {
            e for (e,) in query(paths.warehouse, "select event_id from intermediate.int_email_events_joined_to_sends")
        }
        assert counted == good_ids
        # The quarantined values stay in raw, untouched.
        assert query(paths.warehouse, "select count(*) from raw.email_events") == [(len(all_rows),)]
