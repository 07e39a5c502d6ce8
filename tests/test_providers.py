"""Provider event formats map to email_events rows as SPEC §2c says (campaign_dw/providers.py)."""

import json

import pytest

from campaign_dw import providers


def _one(provider, doc):
    [row] = providers.rows(provider, json.dumps(doc))
    return row


def test_sendgrid_events_by_type():
    base = {"email": "a@example.com", "timestamp": 1513299569, "sg_message_id": "m1", "email_id": "e1"}
    events = [
        dict(base, event=e, sg_event_id=f"id-{e}")
        for e in (
            "processed",
            "delivered",
            "open",
            "click",
            "bounce",
            "blocked",
            "unsubscribe",
            "group_unsubscribe",
            "spamreport",
            "dropped",
            "deferred",
        )
    ]
    events[2]["sg_machine_open"] = True
    events[3]["url"] = "https://example.com/x"
    out = providers.rows("sendgrid", "\n".join(json.dumps(e) for e in events))  # NDJSON
    got = [(r["provider_event"], r["event_type"], r["bounce_type"]) for r in out]
    assert got == [
        ("processed", None, None),
        ("delivered", "delivered", None),
        ("open", "opened", None),
        ("click", "clicked", None),
        ("bounce", "bounced", "hard"),
        ("blocked", "bounced", "soft"),
        ("unsubscribe", "unsubscribed", None),
        ("group_unsubscribe", "unsubscribed", None),
        ("spamreport", "spam_reported", None),
        ("dropped", None, None),
        ("deferred", None, None),
    ]
    assert out[2]["machine_open"] == "true" and out[3]["url"] == "https://example.com/x"
    assert out[1]["event_id"] == "id-delivered" and out[1]["email_id"] == "e1"
    assert out[1]["occurred_at"] == "2017-12-15T00:59:29+00:00"


def test_mailgun_webhook_and_events_page():
    data = {
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": 1521243339.873676,
        "event": "failed",
        "severity": "permanent",
        "user-variables": {"email_id": "e2"},
        "message": {"headers": {"message-id": "m2"}},
    }
    row = _one("mailgun", {"signature": {"token": "t", "timestamp": "1", "signature": "s"}, "event-data": data})
    assert (row["event_id"], row["email_id"], row["event_type"], row["bounce_type"]) == (
        "G9Bn5sl1TC6nu79C8C0bwg",
        "e2",
        "bounced",
        "hard",
    )
    page = {
        "items": [
            dict(data, severity="temporary"),
            dict(data, event="opened", id="o", **{"client-info": {"bot": "apple"}}),
            dict(data, event="accepted", id="a"),
        ],
        "paging": {"next": "x"},
    }
    out = providers.rows("mailgun", json.dumps(page))
    assert [(r["event_type"], r["bounce_type"]) for r in out] == [("bounced", "soft"), ("opened", None), (None, None)]
    assert out[1]["machine_open"] == "apple"


def test_ses_bare_sns_and_subscription():
    record = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "timestamp": "2017-08-05T00:41:02.669Z"},
        "mail": {"messageId": "m3", "timestamp": "2017-08-05T00:40:02.012Z", "tags": {"email_id": ["e3"]}},
    }
    row = _one("ses", record)
    assert (row["email_id"], row["event_type"], row["bounce_type"], row["occurred_at"]) == (
        "e3",
        "bounced",
        "hard",
        "2017-08-05T00:41:02.669Z",
    )
    wrapped = _one("ses", {"Type": "Notification", "MessageId": "x", "Message": json.dumps(record)})
    assert wrapped == row  # same event id: counts once however it came
    unsub = dict(record, eventType="Subscription", subscription={"newTopicPreferences": {"unsubscribeAll": True}})
    assert _one("ses", unsub)["event_type"] == "unsubscribed"
    assert _one("ses", dict(record, eventType="DeliveryDelay"))["event_type"] is None
    assert _one("ses", dict(record, mail={"messageId": "m3"}))["email_id"] is None


def test_postmark_records():
    base = {"MessageID": "m4", "Metadata": {"email_id": "e4"}}
    assert (
        _one("postmark", dict(base, RecordType="Bounce", Type="HardBounce", BouncedAt="2019-11-05T16:33:54Z"))[
            "bounce_type"
        ]
        == "hard"
    )
    assert _one("postmark", dict(base, RecordType="Bounce", Type="Transient"))["bounce_type"] == "soft"
    click = _one(
        "postmark", dict(base, RecordType="Click", OriginalLink="https://e.com/f", ReceivedAt="2019-01-01T00:00:00Z")
    )
    assert (click["event_type"], click["url"]) == ("clicked", "https://e.com/f")
    assert (
        click["event_id"]
        == _one(
            "postmark",
            dict(base, RecordType="Click", OriginalLink="https://e.com/f", ReceivedAt="2019-01-01T00:00:00Z"),
        )["event_id"]
    )
    change = dict(base, RecordType="SubscriptionChange", SuppressSending=True)
    assert _one("postmark", dict(change, SuppressionReason="ManualSuppression"))["event_type"] == "unsubscribed"
    assert _one("postmark", dict(change, SuppressionReason="HardBounce"))["event_type"] is None


def test_malformed_file_is_refused_with_its_name():
    with pytest.raises(providers.MalformedFeed, match="bad.json"):
        providers.rows("sendgrid", '{"event": "open"}\n{oops', name="bad.json")
