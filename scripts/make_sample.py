"""Write the hand-checkable sample in seeds/ (one CSV per raw table).

Every case the sample covers, and the numbers it must produce, is listed in seeds/README.md;
tests/test_sample_marts.py asserts those numbers against the built marts. This script only
writes rows: run it again after changing a case, and update the README and the test by hand
(the expected numbers are worked out independently of this code on purpose).

    python scripts/make_sample.py
"""

from __future__ import annotations

import csv
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "seeds"

users = [
    # user_id, full_name, email, timezone, updated_at
    ("U1", "Alice Martin", "alice@smartrecruit.example", "UTC", "2025-01-10T09:00:00Z"),
    (
        "U1",
        "Alice Martin-Durand",
        "alice@smartrecruit.example",
        "Europe/Paris",
        "2026-02-01T09:00:00Z",
    ),  # newer version wins
    ("U2", "Bob Stone", "bob@smartrecruit.example", "America/New_York", "2025-01-10T09:00:00Z"),
    ("U3", "Chandra Rai", "chandra@smartrecruit.example", "Asia/Kathmandu", "2025-01-10T09:00:00Z"),
    ("U4", "Dana Null", "dana@smartrecruit.example", "", "2025-01-10T09:00:00Z"),  # NULL zone -> UTC, warned
    (
        "U5",
        "Eve Typo",
        "eve@smartrecruit.example",
        "Mars/Olympus_Mons",
        "2025-01-10T09:00:00Z",
    ),  # unknown -> UTC, warned
]

campaigns = [
    # campaign_id, name, owner_user_id, status, language, started_at, ended_at, created_at, updated_at
    ("C1", "Backend engineers Q1", "U1", "scheduled", "en", "", "", "2026-02-20T10:00:00Z", "2026-02-20T10:00:00Z"),
    (
        "C1",
        "Backend engineers Q1",
        "U1",
        "running",
        "en",
        "2026-03-02T08:00:00Z",
        "",
        "2026-02-20T10:00:00Z",
        "2026-03-02T08:00:00Z",
    ),
    (
        "C2",
        "Data scientists summer",
        "U2",
        "completed",
        "en",
        "2025-06-02T08:00:00Z",
        "2025-07-31T18:00:00Z",
        "2025-05-20T10:00:00Z",
        "2025-07-31T18:00:00Z",
    ),
    ("C3", "Designers (draft)", "U3", "draft", "fr", "", "", "2026-05-01T10:00:00Z", "2026-05-01T10:00:00Z"),
    (
        "C4",
        "Platform SRE",
        "U2",
        "running",
        "de",
        "2025-07-20T08:00:00Z",
        "",
        "2025-07-15T10:00:00Z",
        "2025-07-20T08:00:00Z",
    ),
]

messages = [
    # message_id, campaign_id, step_number, subject, body_html, wait_days, updated_at
    (
        "M11",
        "C1",
        1,
        "A backend role at Acme",
        "<p>Hi {{first_name}}, <a href='https://jobs.acme.example/backend'>see the role</a></p>",
        0,
        "2026-02-20T10:00:00Z",
    ),
    (
        "M12",
        "C1",
        2,
        "Following up",
        "<p>Just checking in - <a href='https://jobs.acme.example/backend/faq'>FAQ</a></p>",
        3,
        "2026-02-20T10:00:00Z",
    ),
    ("M13", "C1", 3, "Last note", "<p>Last note from us.</p>", 7, "2026-02-20T10:00:00Z"),  # never sent
    ("M21", "C2", 1, "Data science at Acme", "<p>Hello!</p>", 0, "2025-05-20T10:00:00Z"),
    ("M31", "C3", 1, "Bonjour", "<p>Brouillon</p>", 0, "2026-05-01T10:00:00Z"),
    ("M41", "C4", 1, "SRE at Acme", "<p>Hallo!</p>", 0, "2025-07-15T10:00:00Z"),
]

links = [
    # link_id, message_id, url, placement, anchor_text, updated_at
    ("L1", "M11", "https://jobs.acme.example/backend", "body", "see the role", "2026-02-20T10:00:00Z"),
    ("L2", "M11", "https://acme.example/team", "body", "meet the team", "2026-02-20T10:00:00Z"),
    ("L5", "M11", "https://acme.example/apply", "body", "apply now", "2026-02-20T10:00:00Z"),
    ("L3", "M11", "https://acme.example/unsubscribe", "footer", "unsubscribe", "2026-02-20T10:00:00Z"),
    ("L4", "M11", "https://acme.example/privacy", "footer", "privacy policy", "2026-02-20T10:00:00Z"),
    ("L6", "M12", "https://jobs.acme.example/backend/faq", "body", "FAQ", "2026-02-20T10:00:00Z"),
    ("L7", "M12", "https://acme.example/unsubscribe", "footer", "unsubscribe", "2026-02-20T10:00:00Z"),
]

prospects = [
    (f"P{i:03d}", f"prospect{i:03d}@mail.example", f"First{i:03d}", f"Last{i:03d}", "2026-01-05T00:00:00Z")
    for i in range(1, 121)
]
prospects.append(
    ("P001", "prospect001@new-mail.example", "First001", "Last001", "2026-02-01T00:00:00Z")
)  # newer version

memberships = []
for i in range(1, 111):
    exited = ""
    reason = ""
    if i in (17, 18, 19):
        exited, reason = "2026-03-06T12:00:00Z", "replied"
    elif i == 16:
        exited, reason = "2026-03-09T18:31:00Z", "unsubscribed"
    memberships.append(("C1", f"P{i:03d}", "2026-03-01T00:00:00Z", exited, reason, "2026-03-06T12:00:00Z"))
memberships.append(("C1", "P020", "2026-03-01T00:00:00Z", "", "", "2026-03-01T00:00:00Z"))  # older version of P020
for i in (111, 112):
    memberships.append(
        ("C2", f"P{i:03d}", "2025-06-01T00:00:00Z", "2025-07-31T18:00:00Z", "campaign ended", "2025-07-31T18:00:00Z")
    )
for i in (113, 114, 115):
    memberships.append(("C4", f"P{i:03d}", "2025-07-19T00:00:00Z", "", "", "2025-07-19T00:00:00Z"))

sends = []
for i in range(1, 111):
    sends.append((f"E11-{i:03d}", "C1", "M11", f"P{i:03d}", "2026-03-02T09:00:00Z"))
for i in range(21, 71):
    sends.append((f"E12-{i:03d}", "C1", "M12", f"P{i:03d}", "2026-04-22T09:00:00Z"))
sends.append(("E11-050", "C1", "M11", "P050", "2026-03-02T09:00:00Z"))  # replicated twice by the tool
sends.append(("E21-111", "C2", "M21", "P111", "2025-06-02T09:00:00Z"))
sends.append(("E21-112", "C2", "M21", "P112", "2025-06-02T09:00:00Z"))
for i in (113, 114, 115):
    sends.append((f"E41-{i:03d}", "C4", "M41", f"P{i:03d}", "2025-07-21T09:00:00Z"))
sends.append(("E11-BAD", "C1", "M11", "P111", "N/A"))  # bad row: sent_at does not parse -> quarantined

events: list[tuple] = []

# Real user agents (SPEC §3b): opens from mail clients, clicks from browsers. The machine and
# bot cases below name theirs.
MAIL_CLIENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"
APPLE_PROXY = "Mozilla/5.0"  # Apple Mail Privacy Protection: nothing more
SCANNER = "Mozilla/5.0 (compatible; Microsoft Safe Links scanner)"


named_events = []  # rows given an event_id of their own: they take no number


def event(email, kind, at, bounce="", link="", url="", received=None, event_id=None, agent=None, machine_open=""):
    if event_id is None:
        event_id = f"EV{len(events) - len(named_events) + 1:04d}"
    else:
        named_events.append(event_id)
    if agent is None:
        agent = {"opened": MAIL_CLIENT, "clicked": BROWSER}.get(kind, "")
    events.append((event_id, email, kind, at, bounce, link, url, agent, received or at, machine_open))
    return event_id


# --- M11: the seed's worked example: 110 sent, 10 bounced, 100 delivered, 20 opened ---------
for i in range(1, 8):  # hard bounces (E11-007 first bounces soft, then hard)
    if i == 7:
        event(f"E11-{i:03d}", "bounced", "2026-03-02T09:01:00Z", bounce="soft")
    event(f"E11-{i:03d}", "bounced", "2026-03-02T09:02:00Z", bounce="hard")
for i in range(8, 11):  # soft bounces
    event(f"E11-{i:03d}", "bounced", "2026-03-02T09:02:00Z", bounce="soft")
event("E11-011", "bounced", "2026-03-02T09:02:00Z", bounce="soft")  # soft bounce, later delivered
event("E11-011", "delivered", "2026-03-02T13:00:00Z")
for i in range(13, 111):  # E11-012 has no delivered event: its open proves delivery
    event(f"E11-{i:03d}", "delivered", "2026-03-02T09:03:00Z")

# First opens of 18 emails (E11-012 .. E11-029), placed to test the heatmap.
opens_m11 = {
    12: "2026-03-29T00:30:00Z",  # Paris: Sun 01:30 (CET)  — just before the DST change
    13: "2026-03-29T01:30:00Z",  # Paris: Sun 03:30 (CEST) — just after
    14: "2026-03-08T06:30:00Z",  # New York: Sun 01:30 (EST)
    15: "2026-03-08T07:30:00Z",  # New York: Sun 03:30 (EDT)
    16: "2026-03-09T18:20:00Z",  # Kathmandu (+05:45): Tue 00:05
    17: "2026-03-09T18:10:00Z",  # Kathmandu: Mon 23:55
    18: "2026-03-03T09:00:00Z",
    19: "2026-03-03T09:00:00Z",
    20: "2026-03-03T09:00:00Z",
    21: "2026-03-03T10:00:00Z",
    22: "2026-03-10T09:00:00Z",
    23: "2026-03-03T10:00:00Z",
    24: "2026-03-04T14:00:00Z",
    25: "2026-03-04T14:00:00Z",
    26: "2026-03-04T14:00:00Z",
    27: "2026-03-05T16:00:00Z",
    28: "2026-03-05T16:00:00Z",
    29: "2026-03-04T11:00:00+02:00",  # explicit offset: 09:00 UTC
}
# Machines' opens (SPEC §3b): Apple's proxy fetched the images of E11-024 .. E11-027 (the user
# agent `Mozilla/5.0` alone, once with blanks around it); E11-028 was opened in Safari, whose
# user agent also starts with `Mozilla/5.0`: a person.
agents_m11 = {24: APPLE_PROXY, 25: APPLE_PROXY, 26: APPLE_PROXY, 27: "  Mozilla/5.0 ", 28: SAFARI}
for i, at in opens_m11.items():
    event(f"E11-{i:03d}", "opened", at, agent=agents_m11.get(i))
    if i == 21:  # delivered at least once: the same event twice
        events.append(events[-1])
# A second open between the tracking dates: only first opens were recorded then -> not counted.
event("E11-022", "opened", "2026-03-11T09:00:00Z")

# Link clicks: L1 3x by each of two prospects (total 6, unique 2); L2 5x by one (total 5, unique 1).
for i in (13, 14):
    for k in range(3):
        event(
            f"E11-{i:03d}",
            "clicked",
            f"2026-03-29T0{2 + k}:00:00Z" if i == 13 else f"2026-03-08T{8 + k:02d}:00:00Z",
            link="L1",
            url="https://jobs.acme.example/backend",
        )
# At-least-once delivery: E11-013's first click arrives twice, a day apart. It counts once.
duplicate = next(e for e in events if e[1] == "E11-013" and e[2] == "clicked")
events.append(duplicate[:8] + ("2026-03-30T00:00:00Z",) + duplicate[9:])  # received a day later
for k in range(5):  # the fourth of them by a mail scanner (SPEC §3b: a bot's click)
    event(
        "E11-015",
        "clicked",
        f"2026-03-08T1{k}:00:00Z",
        link="L2",
        url="https://acme.example/team",
        agent=SCANNER if k == 3 else None,
    )
# Footer clicks never count as clicks (nor as opens).
event("E11-016", "clicked", "2026-03-09T18:30:00Z", link="L3", url="https://acme.example/unsubscribe")
event("E11-016", "unsubscribed", "2026-03-09T18:31:00Z")
event("E11-040", "clicked", "2026-03-03T12:00:00Z", link="L4", url="https://acme.example/privacy")
# Clicks with no open event: images blocked. The click proves the open.
# E11-030's click is part of a burst (SPEC §3b): it and two footer clicks on L3 and L4 come 1 and
# 2 s apart, on 3 distinct links: a scanner clicked every link, all three are bots' clicks.
event("E11-030", "clicked", "2026-03-03T15:00:00Z", link="L5", url="https://acme.example/apply")
event(
    "E11-030",
    "clicked",
    "2026-03-03T15:00:01Z",
    link="L3",
    url="https://acme.example/unsubscribe",
    event_id="EV-BURST-1",
)
event(
    "E11-030", "clicked", "2026-03-03T15:00:03Z", link="L4", url="https://acme.example/privacy", event_id="EV-BURST-2"
)
# E11-031 was clicked 5 s after it was sent (SPEC §3b: less than 10 s, a bot's click).
event("E11-031", "clicked", "2026-03-02T09:00:05Z", link="L999", url="https://jobs.acme.example/old-backend-link")
# Replies (E11-019's arrives 9 days late), a spam report.
event("E11-017", "replied", "2026-03-05T10:00:00Z")
event("E11-018", "replied", "2026-03-05T11:00:00Z")
event("E11-019", "replied", "2026-03-06T12:00:00Z", received="2026-03-15T12:00:00Z")
event("E11-020", "spam_reported", "2026-03-04T08:00:00Z")

# --- M12: step 2, 50 sent after all opens are tracked (2026-04-20) ---------------------------
for i in range(21, 71):
    event(f"E12-{i:03d}", "delivered", "2026-04-22T09:01:00Z")
for i in range(21, 31):
    # SPEC §3b: E12-026's open is flagged a machine's by the email service; E12-027's says
    # `machine_open` false, but its user agent is Apple's proxy: a machine's all the same.
    event(
        f"E12-{i:03d}",
        "opened",
        f"2026-04-2{3 + i % 3}T1{i % 10}:15:00Z",
        machine_open={26: "true", 27: "false"}.get(i, ""),
        agent=APPLE_PROXY if i == 27 else None,
    )
event("E12-021", "opened", "2026-04-27T08:15:00Z")  # repeat opens after 2026-04-20 all count
event("E12-021", "opened", "2026-04-28T08:15:00Z", received="2026-05-02T00:00:00Z")  # and late
# Exactly 10 s after it was sent: not a bot's click (SPEC §3b: less than 10 s is).
event("E12-022", "clicked", "2026-04-22T09:00:10Z", link="L6", url="https://jobs.acme.example/backend/faq")
event("E12-023", "clicked", "2026-04-25T13:00:00Z", link="L6", url="https://jobs.acme.example/backend/faq")
event("E12-024", "clicked", "2026-04-25T13:05:00Z", link="L7", url="https://acme.example/unsubscribe")
event("E12-024", "unsubscribed", "2026-04-25T13:06:00Z")
event("E12-025", "replied", "2026-04-26T09:00:00Z")

# --- C2: completed 2025-07-31, before first opens were tracked: no heatmap rows -------------
event("E21-111", "delivered", "2025-06-02T09:01:00Z")
event("E21-112", "delivered", "2025-06-02T09:01:00Z")
event("E21-111", "opened", "2025-08-10T10:00:00Z")  # opened after the campaign ended

# --- C4: running since 2025-07-20, opens across both tracking dates -------------------------
for i in (113, 114, 115):
    event(f"E41-{i:03d}", "delivered", "2025-07-21T09:01:00Z")
event("E41-113", "opened", "2025-07-25T10:00:00Z")  # before 2025-08-07: not counted
event("E41-114", "opened", "2025-08-10T14:00:00Z")  # first open after 2025-08-07: counted
event("E41-114", "opened", "2025-09-01T14:00:00Z")  # repeat open before 2026-04-20: not counted
event("E41-114", "opened", "2026-05-01T10:00:00Z")  # any open after 2026-04-20: counted

# --- What the models must quarantine or hold back ------------------------------------------
event("E-ORPHAN", "opened", "2026-03-03T09:00:00Z")  # its send has not arrived: waits
event("E11-050", "opened", "yesterday")  # bad timestamp -> rejected
event("E11-051", "forwarded", "2026-03-03T09:00:00Z")  # unknown event type -> rejected
event("E11-052", "opened", "2026-03-03T09:00:00Z", event_id="")  # missing event_id -> rejected


def write(name: str, header: str, rows) -> None:
    with open(OUT / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header.split())
        writer.writerows(rows)


write("users", "user_id full_name email timezone updated_at", users)
write(
    "campaigns", "campaign_id name owner_user_id status language started_at ended_at created_at updated_at", campaigns
)
write("campaign_messages", "message_id campaign_id step_number subject body_html wait_days updated_at", messages)
write("message_links", "link_id message_id url placement anchor_text updated_at", links)
write("prospects", "prospect_id email first_name last_name updated_at", prospects)
write("audience_memberships", "campaign_id prospect_id entered_at exited_at exit_reason updated_at", memberships)
write("email_sends", "email_id campaign_id message_id prospect_id sent_at", sends)
write(
    "email_events",
    "event_id email_id event_type occurred_at bounce_type link_id url user_agent received_at machine_open",
    events,
)
print(f"wrote {OUT}: {len(sends)} sends, {len(events)} events")
