"""Email service event formats -> the email_events layout (SPEC §2c).

Each adapter turns one provider event (a parsed JSON object, in the shape the provider
documents) into one row in the ``email_events`` layout, every value as text (or None), plus
``provider``, ``provider_event`` (the provider's own event name) and ``provider_payload`` (the
event as the provider sent it, as JSON). Classification, not rejection, happens here: a row
whose ``event_type`` is None is a provider event with no meaning in this warehouse, a row whose
``email_id`` is None lacks the metadata key; staging's quarantine rules give both their reason
("not counted: <provider> <event>", "missing email_id: ..."), so every provider event stays
accounted for. The loader (campaign_dw/loader.py) lands each file of ``DIR/<provider>/`` as
these rows; the mapping is documented in docs/feeds.md.

A file is refused whole (``MalformedFeed``) when it is not JSON, a JSON array or NDJSON, or
when a document in it is not an event of its provider (no event name where the provider always
gives one): such a file is in the wrong folder or broken, and loading part of it would hide that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

PROVIDERS = ("sendgrid", "mailgun", "ses", "postmark")
NAMES = {"sendgrid": "SendGrid", "mailgun": "Mailgun", "ses": "Amazon SES", "postmark": "Postmark"}
COLUMNS = (
    "event_id",
    "email_id",
    "event_type",
    "occurred_at",
    "bounce_type",
    "link_id",
    "url",
    "user_agent",
    "received_at",
    "machine_open",
    "provider",
    "provider_event",
    "provider_payload",
)


class MalformedFeed(ValueError):
    """The file is not JSON, a JSON array or NDJSON, or holds something that is not an event of
    its provider: it is refused whole. ``detail`` says what, without the file's name."""

    def __init__(self, name: str, detail: str):
        super().__init__(f"{name}: {detail}")
        self.detail = detail


def parse_documents(text: str, name: str = "<file>") -> list[Any]:
    """One JSON document, or NDJSON (one document a line); arrays are flattened."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        docs = [json.loads(stripped)]
    except json.JSONDecodeError:
        docs = []
        for number, line in enumerate(stripped.splitlines(), 1):
            if not line.strip():
                continue
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise MalformedFeed(name, f"not JSON, a JSON array or NDJSON (line {number}: {error.msg})") from None
    out: list[Any] = []
    for doc in docs:
        out.extend(doc if isinstance(doc, list) else [doc])
    return out


def _time(value: Any) -> str | None:
    """A provider's timestamp -> ISO 8601 in UTC with at most microseconds, the shape staging
    parses: Unix seconds (int, fractional, or as text), or ISO 8601 with any offset (Postmark
    gives seven fractional digits; without an offset it is UTC, SPEC §2). Anything else is
    kept as it came, and staging quarantines the row ("occurred_at does not parse")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _text(value)
    text = str(value).strip()
    try:
        seconds = float(value) if isinstance(value, (int, float)) else float(text)
    except ValueError:
        pass
    else:
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):  # out of range (milliseconds, say), NaN
            return text
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _derived_id(provider: str, message_id: Any, event: str, timestamp: Any, url: Any) -> str:
    # Deterministic, from what the provider sends each time it delivers the event: a webhook
    # delivered twice (or an SES record that came bare and in an SNS envelope) counts once.
    key = json.dumps([provider, _text(message_id), event, _text(timestamp), _text(url)])
    return f"{provider}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _payload(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _row(provider: str, provider_event: str, payload: Any, **values: Any) -> dict[str, str | None]:
    row = {c: None for c in COLUMNS}
    row.update({k: _text(v) for k, v in values.items()})
    row["provider"] = provider
    row["provider_event"] = provider_event
    row["provider_payload"] = _payload(payload)
    return row


def _event_name(doc: dict, field: str, provider: str) -> str:
    name = doc.get(field)
    if name is None or isinstance(name, (dict, list)) or str(name).strip() == "":
        raise MalformedFeed("<file>", f"not an event of {NAMES[provider]} (no {field!r}): {_payload(doc)[:120]}")
    return str(name)


def _metadata(values: Any, key: str) -> Any:
    """The email_id in a provider's custom metadata (an object; Mailgun's legacy webhooks gave
    it as a JSON string)."""
    if isinstance(values, str):
        try:
            values = json.loads(values)
        except json.JSONDecodeError:
            return None
    return values.get(key) if isinstance(values, dict) else None


# SendGrid Event Webhook (twilio.com/docs/sendgrid/for-developers/tracking-events/event).
_SENDGRID = {
    "delivered": "delivered",
    "open": "opened",
    "click": "clicked",
    "bounce": "bounced",
    "blocked": "bounced",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "spamreport": "spam_reported",
}


def sendgrid(event: dict, key: str, payload: Any = None) -> Iterator[dict]:
    name = _event_name(event, "event", "sendgrid")
    kind = _SENDGRID.get(name)
    bounce = None
    if kind == "bounced":
        # One event, "bounce", with "type": "bounce" (a permanent denial, hard) or "blocked" (a
        # temporary one, soft). An event named "blocked" is read as the block it names.
        bounce = "soft" if name == "blocked" or event.get("type") == "blocked" else "hard"
    event_id = event.get("sg_event_id") or _derived_id(
        "sendgrid", event.get("sg_message_id"), name, event.get("timestamp"), event.get("url")
    )
    # Custom args (v3 Mail Send) and unique args (SMTP API) arrive as top-level fields of the
    # event; an object under custom_args / unique_args is read too.
    email_id = event.get(key)
    if email_id is None:
        email_id = _metadata(event.get("custom_args"), key) or _metadata(event.get("unique_args"), key)
    yield _row(
        "sendgrid",
        name,
        event if payload is None else payload,
        event_id=event_id,
        email_id=email_id,
        event_type=kind,
        occurred_at=_time(event.get("timestamp")),
        bounce_type=bounce,
        url=event.get("url") if kind == "clicked" else None,
        user_agent=event.get("useragent"),
        machine_open=event.get("sg_machine_open") if kind == "opened" else None,
    )


# Mailgun webhooks (documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads)
# and the events API, whose pages hold the same event objects under "items".
_MAILGUN = {
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "clicked",
    "failed": "bounced",
    "unsubscribed": "unsubscribed",
    "complained": "spam_reported",
}


def mailgun(doc: dict, key: str, payload: Any = None) -> Iterator[dict]:
    if isinstance(doc.get("items"), list):  # an events API page
        for item in doc["items"]:
            if not isinstance(item, dict):
                raise MalformedFeed("<file>", f"an events API page holds {type(item).__name__}, not an event")
            yield from mailgun(item, key)
        return
    event = doc.get("event-data", doc)
    if not isinstance(event, dict):
        raise MalformedFeed("<file>", "not an event of Mailgun (event-data is not an object)")
    name = _event_name(event, "event", "mailgun")
    kind = _MAILGUN.get(name)
    bounce = None
    if kind == "bounced":
        bounce = "hard" if event.get("severity") == "permanent" else "soft"
    message_id = ((event.get("message") or {}).get("headers") or {}).get("message-id")
    event_id = event.get("id") or _derived_id("mailgun", message_id, name, event.get("timestamp"), event.get("url"))
    client = event.get("client-info") or {}
    # client-info.bot names the machine that opened (apple, gmail, generic); empty: none.
    bot = client.get("bot") if isinstance(client, dict) else None
    machine_open = None if bot is None or kind != "opened" else bool(str(bot).strip())
    yield _row(
        "mailgun",
        name,
        doc if payload is None else payload,
        event_id=event_id,
        email_id=_metadata(event.get("user-variables"), key),
        event_type=kind,
        occurred_at=_time(event.get("timestamp")),
        bounce_type=bounce,
        url=event.get("url") if kind == "clicked" else None,
        user_agent=client.get("user-agent") if isinstance(client, dict) else None,
        machine_open=machine_open,
    )


# Amazon SES event publishing (docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html,
# ...-firehose-examples.html): the same record bare, as an SNS notification's Message, or
# one a line from Firehose.
_SES = {
    "Delivery": "delivered",
    "Open": "opened",
    "Click": "clicked",
    "Bounce": "bounced",
    "Complaint": "spam_reported",
}
# The object that holds an event's details, by eventType (Rendering Failure's is "failure").
_SES_DETAIL = {"Rendering Failure": "failure"}


def ses(doc: dict, key: str, payload: Any = None) -> Iterator[dict]:
    if "Type" in doc and "eventType" not in doc and "notificationType" not in doc:  # an SNS envelope
        if doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
            try:
                record = json.loads(doc["Message"])
            except json.JSONDecodeError:
                raise MalformedFeed("<file>", "an SNS notification whose Message is not JSON") from None
            if not isinstance(record, dict):
                raise MalformedFeed("<file>", "an SNS notification whose Message is not a JSON object")
            yield from ses(record, key, payload=doc)
            return
        # SubscriptionConfirmation and the like: SNS's own messages, no email event.
        name = f"SNS {doc.get('Type')}"
        yield _row(
            "ses", name, doc, event_id=_derived_id("ses", doc.get("MessageId"), name, doc.get("Timestamp"), None)
        )
        return
    # eventType: event publishing; notificationType: an identity's feedback notifications.
    field = "notificationType" if "notificationType" in doc and "eventType" not in doc else "eventType"
    name = _event_name(doc, field, "ses")
    mail = doc.get("mail") or {}
    detail = doc.get(_SES_DETAIL.get(name, name[:1].lower() + name[1:])) or {}
    kind = _SES.get(name)
    if name == "Subscription":
        kind = "unsubscribed" if (detail.get("newTopicPreferences") or {}).get("unsubscribeAll") is True else None
    bounce = None
    if kind == "bounced":
        bounce = "hard" if detail.get("bounceType") == "Permanent" else "soft"
    timestamp = detail.get("timestamp") or mail.get("timestamp")
    url = detail.get("link") if kind == "clicked" else None
    tags = _metadata(mail.get("tags"), key)  # tag values are lists of one value
    email_id = (tags[0] if tags else None) if isinstance(tags, list) else tags
    yield _row(
        "ses",
        name,
        doc if payload is None else payload,
        event_id=_derived_id("ses", mail.get("messageId"), name, timestamp, url),
        email_id=email_id,
        event_type=kind,
        occurred_at=_time(timestamp),
        bounce_type=bounce,
        url=url,
        user_agent=detail.get("userAgent") if kind in ("opened", "clicked") else None,
    )


# Postmark webhooks (postmarkapp.com/developer/webhooks/webhooks-overview and the page of each).
_POSTMARK = {
    "Delivery": "delivered",
    "Open": "opened",
    "Click": "clicked",
    "Bounce": "bounced",
    "SpamComplaint": "spam_reported",
}
_POSTMARK_TIME = {
    "Delivery": "DeliveredAt",
    "Open": "ReceivedAt",
    "Click": "ReceivedAt",
    "Bounce": "BouncedAt",
    "SpamComplaint": "BouncedAt",
    "SubscriptionChange": "ChangedAt",
}


def postmark(event: dict, key: str, payload: Any = None) -> Iterator[dict]:
    name = _event_name(event, "RecordType", "postmark")
    kind = _POSTMARK.get(name)
    if name == "SubscriptionChange":
        # An unsubscribe is a suppression the recipient asked for (ManualSuppression, from the
        # recipient); one for a hard bounce or a spam complaint, or one the sender or Postmark
        # made, is not, nor is a reactivation (SuppressSending false).
        asked = (
            event.get("SuppressSending") is True
            and event.get("SuppressionReason") == "ManualSuppression"
            and event.get("Origin") in (None, "Recipient")
        )
        kind = "unsubscribed" if asked else None
    bounce = ("hard" if event.get("Type") == "HardBounce" else "soft") if kind == "bounced" else None
    timestamp = event.get(_POSTMARK_TIME.get(name, "ReceivedAt"))
    url = event.get("OriginalLink") if kind == "clicked" else None
    yield _row(
        "postmark",
        name,
        event if payload is None else payload,
        event_id=_derived_id("postmark", event.get("MessageID"), name, timestamp, url),
        email_id=_metadata(event.get("Metadata"), key),
        event_type=kind,
        occurred_at=_time(timestamp),
        bounce_type=bounce,
        url=url,
        user_agent=event.get("UserAgent") if kind in ("opened", "clicked") else None,
    )


ADAPTERS: dict[str, Callable[..., Iterator[dict]]] = {
    "sendgrid": sendgrid,
    "mailgun": mailgun,
    "ses": ses,
    "postmark": postmark,
}


def rows(provider: str, text: str, name: str = "<file>", key: str = "email_id") -> list[dict]:
    """All email_events rows of one provider file, in file order (MalformedFeed, naming the
    file and the document, if it is not JSON or not its provider's events)."""
    out: list[dict] = []
    for number, doc in enumerate(parse_documents(text, name), 1):
        if not isinstance(doc, dict):
            raise MalformedFeed(name, f"document {number} is {type(doc).__name__}, not a JSON object")
        try:
            out.extend(ADAPTERS[provider](doc, key))
        except MalformedFeed as error:
            raise MalformedFeed(name, f"document {number}: {error.detail}") from None
    return out
