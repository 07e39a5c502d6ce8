"""Email service events map to email_events rows as SPEC §2c and docs/feeds.md say
(campaign_dw/providers.py), on each service's documented sample events (tests/provider_samples.py)."""

import json

import pytest
from provider_samples import samples, sns_notification

from campaign_dw import providers


def ndjson(docs):
    return "\n".join(json.dumps(d) for d in docs)


def _one(provider, doc, key="email_id"):
    [row] = providers.rows(provider, json.dumps(doc), key=key)
    return row


@pytest.mark.parametrize("provider", providers.PROVIDERS)
def test_every_documented_event_maps_as_the_table_says(provider):
    """Per event type: its event_type and bounce_type (None for an event with no meaning here,
    which staging reports as "not counted"), the email_id from the metadata, a timestamp staging
    parses, the event kept as it came, one row per event, and no two events with one id."""
    documented = samples(provider, "E1")
    out = providers.rows(provider, ndjson(doc for _, doc in documented))
    assert len(out) == len(documented)
    for (expected, doc), row in zip(documented, out, strict=True):
        assert (row["event_type"], row["bounce_type"]) == (expected or (None, None)), row["provider_event"]
        assert row["provider"] == provider and row["provider_event"]
        assert row["email_id"] == "E1"
        assert json.loads(row["provider_payload"]) == doc
        assert row["occurred_at"].endswith("+00:00"), row["occurred_at"]  # ISO 8601 in UTC
        assert (row["url"] is not None) == (row["event_type"] == "clicked")
        assert row["link_id"] is None  # a click takes its link by url (SPEC §2)
    assert len({r["event_id"] for r in out}) == len(out)


def test_sendgrid_ids_times_urls_flags_and_custom_args():
    by_event = {
        r["provider_event"] + (r["bounce_type"] or ""): r
        for r in providers.rows("sendgrid", json.dumps([d for _, d in samples("sendgrid", "E1")]))
    }
    assert by_event["delivered"]["event_id"] == "rWVYmVk90MjZJ9iohOBa3w=="  # sg_event_id
    assert by_event["delivered"]["occurred_at"] == "2017-12-15T00:59:31+00:00"  # Unix seconds
    assert (by_event["click"]["url"], by_event["click"]["user_agent"][:30]) == (
        "http://example.com/blog/news.html",
        "Mozilla/5.0 (iPhone; CPU iPhon",
    )
    assert by_event["open"]["machine_open"] == "false"  # sg_machine_open
    assert by_event["click"]["machine_open"] is None
    # v3 custom_args and SMTP API unique_args also read from an object of their own
    assert _one("sendgrid", {"event": "open", "timestamp": 1, "custom_args": {"email_id": "E2"}})["email_id"] == "E2"
    assert _one("sendgrid", {"event": "open", "timestamp": 1, "unique_args": {"email_id": "E3"}})["email_id"] == "E3"
    # the key is the configured one; without it the email_id is missing (staging: quarantined)
    doc = {"event": "open", "timestamp": 1, "sg_event_id": "x", "dw_email": "E4"}
    assert (_one("sendgrid", doc, key="dw_email")["email_id"], _one("sendgrid", doc)["email_id"]) == ("E4", None)
    # without sg_event_id: a deterministic id, the same for the same webhook delivered again
    bare = {"event": "open", "timestamp": 1513299569, "sg_message_id": "m"}
    assert (
        _one("sendgrid", bare)["event_id"]
        == _one("sendgrid", dict(bare))["event_id"]
        != _one("sendgrid", dict(bare, timestamp=1513299570))["event_id"]
    )


def test_mailgun_webhooks_events_api_pages_and_the_bot_flag():
    documented = [doc for _, doc in samples("mailgun", "E1")]
    webhooks = providers.rows("mailgun", ndjson(documented))
    # An events API page holds the same event objects under items: the same rows.
    page = {"items": [d["event-data"] for d in documented], "paging": {"next": "https://api.mailgun.net/v3/x"}}
    from_page = providers.rows("mailgun", json.dumps(page))
    keep = ("event_id", "email_id", "event_type", "occurred_at", "bounce_type", "url", "user_agent", "machine_open")
    assert [{k: r[k] for k in keep} for r in from_page] == [{k: r[k] for k in keep} for r in webhooks]
    delivered = webhooks[1]
    assert (delivered["event_id"], delivered["occurred_at"]) == (
        "CPgfbmQMTCKtHW6uIWtuVe",
        "2018-03-16T23:35:39.873676+00:00",
    )
    # client-info.bot: a named bot (apple, gmail, generic) is a machine's open, empty is none
    opens = [r for r in webhooks if r["event_type"] == "opened"]
    assert [(r["machine_open"], r["user_agent"][:11]) for r in opens] == [
        ("false", "Mozilla/5.0"),
        ("true", "Mozilla/5.0"),
    ]
    no_flag = dict(documented[2], **{"event-data": dict(documented[2]["event-data"], **{"client-info": {}})})
    assert _one("mailgun", no_flag)["machine_open"] is None
    assert [r["url"] for r in webhooks if r["event_type"] == "clicked"] == ["https://example.com/fun"]
    # legacy webhooks gave the variables as JSON text
    legacy = {"event-data": {"event": "opened", "id": "l", "timestamp": 1, "user-variables": '{"email_id": "E9"}'}}
    assert _one("mailgun", legacy)["email_id"] == "E9"


def test_ses_records_bare_in_sns_or_from_firehose_count_once():
    documented = [doc for _, doc in samples("ses", "E1")]
    firehose = providers.rows("ses", ndjson(documented))
    sns = providers.rows("ses", ndjson(sns_notification(d) for d in documented))
    drop = lambda r: {k: v for k, v in r.items() if k != "provider_payload"}  # noqa: E731
    assert [drop(r) for r in sns] == [drop(r) for r in firehose]  # same ids: counted once however they came
    assert json.loads(sns[0]["provider_payload"])["Type"] == "Notification"  # kept as it came
    by_type = {(r["provider_event"], r["bounce_type"]): r for r in firehose}
    assert by_type[("Bounce", "hard")]["occurred_at"] == "2017-08-05T00:41:02.669000+00:00"  # the event's own time
    assert by_type[("Send", None)]["occurred_at"] == "2017-08-05T00:40:02.012000+00:00"  # else mail.timestamp
    click = by_type[("Click", None)]
    assert click["url"] == "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html"
    assert click["user_agent"].startswith("Mozilla/5.0 (Windows NT 10.0")
    assert by_type[("Complaint", None)]["user_agent"] is None  # the complaint report's agent, not a reader's
    # Feedback sent straight from an identity carries no tags: the email_id is missing.
    identity = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "timestamp": "2017-08-05T00:41:02.669Z"},
        "mail": {"messageId": "m", "timestamp": "2017-08-05T00:40:02.012Z"},
    }
    row = _one("ses", identity)
    assert (row["event_type"], row["bounce_type"], row["email_id"]) == ("bounced", "hard", None)
    # SNS's own messages are no email event: not counted, not refused.
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "c",
        "Token": "t",
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }
    assert (_one("ses", confirmation)["event_type"], _one("ses", confirmation)["provider_event"]) == (
        None,
        "SNS SubscriptionConfirmation",
    )


def test_postmark_times_ids_and_subscription_changes():
    documented = samples("postmark", "E1")
    out = providers.rows("postmark", ndjson(d for _, d in documented))
    hard = out[1]
    # seven fractional digits and an offset, as Postmark sends them: UTC, microseconds
    assert hard["occurred_at"] == "2014-08-01T17:28:10.273539+00:00"
    # no event id: one from message id, type, time and link, so a webhook retried counts once
    assert providers.rows("postmark", json.dumps(documented[6][1]))[0]["event_id"] == out[6]["event_id"]
    assert out[6]["url"] == "https://yourdomain.com/pricing"
    changes = [
        (d["SuppressionReason"], d["Origin"], d["SuppressSending"], r["event_type"])
        for (_, d), r in zip(documented, out, strict=True)
        if d["RecordType"] == "SubscriptionChange"
    ]
    assert changes == [
        ("ManualSuppression", "Recipient", True, "unsubscribed"),  # the recipient asked
        ("HardBounce", "Recipient", True, None),
        ("SpamComplaint", "Recipient", True, None),
        ("ManualSuppression", "Customer", True, None),  # the sender suppressed them
        (None, "Recipient", False, None),  # reactivated
    ]


def test_timestamps_staging_could_not_parse_stay_as_they_came():
    """Kept as text, staging quarantines the row with the value ("occurred_at does not parse")."""
    assert providers._time(1591726752372) == "1591726752372"  # milliseconds: out of range as seconds
    assert providers._time("yesterday") == "yesterday"
    assert providers._time("2026-02-30T10:00:00Z") == "2026-02-30T10:00:00Z"
    assert providers._time("2026-03-04 09:00:00") == "2026-03-04T09:00:00+00:00"  # no offset: UTC
    assert providers._time("1513299569.5") == "2017-12-15T00:59:29.500000+00:00"


@pytest.mark.parametrize(
    "provider, text, problem",
    [
        ("sendgrid", '{"event": "open"}\n{oops', "line 2"),
        ("sendgrid", '[{"event": "open", "timestamp": 1}, 7]', "document 2 is int"),
        ("sendgrid", json.dumps({"RecordType": "Open"}), "not an event of SendGrid (no 'event')"),
        ("mailgun", json.dumps({"items": ["x"]}), "not an event"),
        ("ses", json.dumps({"Type": "Notification", "Message": "not json"}), "Message is not JSON"),
        ("ses", json.dumps({"event": "open"}), "not an event of Amazon SES"),
        ("postmark", json.dumps({"event-data": {}}), "no 'RecordType'"),
    ],
)
def test_a_file_that_is_not_its_providers_json_is_refused_naming_file_and_problem(provider, text, problem):
    with pytest.raises(providers.MalformedFeed, match="bad.json") as refused:
        providers.rows(provider, text, name="bad.json")
    assert problem in str(refused.value)
