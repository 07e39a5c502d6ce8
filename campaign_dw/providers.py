"""Email service event formats -> the email_events layout (SPEC §2c).

Each adapter turns one provider event (a parsed JSON object, in the shape the provider
documents) into one row in the ``email_events`` layout, every value as text (or None), plus
``provider`` and ``provider_event`` (the provider's own event name). Classification, not
rejection, happens here: a row whose ``event_type`` is None is a provider event with no
meaning in this warehouse ("not counted: <provider> <event>"), a row whose ``email_id`` is
None lacks the metadata key; staging's quarantine rules give both their reason, so every
provider event stays accounted for.

Not wired into the loader yet (issue 30): ``campaign-dw load`` does not read these folders.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

PROVIDERS = ("sendgrid", "mailgun", "ses", "postmark")
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
)


class MalformedFeed(ValueError):
    """The file is not JSON, a JSON array, or NDJSON: it is refused whole."""


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
                raise MalformedFeed(f"{name}: not JSON, a JSON array or NDJSON (line {number}: {error.msg})") from None
    out: list[Any] = []
    for doc in docs:
        out.extend(doc if isinstance(doc, list) else [doc])
    return out


def _time(value: Any) -> str | None:
    """Unix seconds (int, fractional, or as text) or ISO 8601 -> ISO 8601 UTC text."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC).isoformat()
    text = str(value)
    try:
        return datetime.fromtimestamp(float(text), tz=UTC).isoformat()
    except ValueError:
        return text  # ISO as given; staging parses it or quarantines the row


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _derived_id(provider: str, message_id: Any, event: str, timestamp: Any, url: Any) -> str:
    # Deterministic so a webhook delivered twice gets the same event_id and counts once.
    key = json.dumps([provider, _text(message_id), event, _text(timestamp), _text(url)])
    return f"{provider}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _row(provider: str, provider_event: str, **values: Any) -> dict[str, str | None]:
    row = {c: None for c in COLUMNS}
    row.update({k: _text(v) for k, v in values.items()})
    row["provider"] = provider
    row["provider_event"] = provider_event
    return row


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


def sendgrid(event: dict, key: str) -> Iterator[dict]:
    name = str(event.get("event"))
    # SendGrid sends "bounce" and "blocked" as event names in newer payloads, and
    # event=bounce with type=blocked in older ones.
    kind = _SENDGRID.get(name)
    bounce = None
    if kind == "bounced":
        bounce = "soft" if name == "blocked" or event.get("type") == "blocked" else "hard"
    event_id = event.get("sg_event_id") or _derived_id(
        "sendgrid", event.get("sg_message_id"), name, event.get("timestamp"), event.get("url")
    )
    yield _row(
        "sendgrid",
        name,
        event_id=event_id,
        email_id=event.get(key),
        event_type=kind,
        occurred_at=_time(event.get("timestamp")),
        bounce_type=bounce,
        url=event.get("url") if kind == "clicked" else None,
        user_agent=event.get("useragent"),
        machine_open=event.get("sg_machine_open") if kind == "opened" else None,
    )


_MAILGUN = {
    "delivered": "delivered",
    "opened": "opened",
    "clicked": "clicked",
    "failed": "bounced",
    "unsubscribed": "unsubscribed",
    "complained": "spam_reported",
}


def mailgun(doc: dict, key: str) -> Iterator[dict]:
    if isinstance(doc.get("items"), list):  # an events API page
        for item in doc["items"]:
            yield from mailgun(item, key)
        return
    event = doc.get("event-data", doc)
    name = str(event.get("event"))
    kind = _MAILGUN.get(name)
    bounce = None
    if kind == "bounced":
        bounce = "hard" if event.get("severity") == "permanent" else "soft"
    message_id = (event.get("message") or {}).get("headers", {}).get("message-id")
    event_id = event.get("id") or _derived_id("mailgun", message_id, name, event.get("timestamp"), event.get("url"))
    client = event.get("client-info") or {}
    yield _row(
        "mailgun",
        name,
        event_id=event_id,
        email_id=(event.get("user-variables") or {}).get(key),
        event_type=kind,
        occurred_at=_time(event.get("timestamp")),
        bounce_type=bounce,
        url=event.get("url") if kind == "clicked" else None,
        user_agent=client.get("user-agent"),
        machine_open=client.get("bot") if kind == "opened" else None,
    )


_SES = {
    "Delivery": "delivered",
    "Open": "opened",
    "Click": "clicked",
    "Bounce": "bounced",
    "Complaint": "spam_reported",
}


def ses(doc: dict, key: str) -> Iterator[dict]:
    if doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):  # SNS envelope
        yield from ses(json.loads(doc["Message"]), key)
        return
    name = str(doc.get("eventType") or doc.get("notificationType"))
    mail = doc.get("mail") or {}
    detail = doc.get(name[:1].lower() + name[1:].replace(" ", "")) or {}
    kind = _SES.get(name)
    if name == "Subscription":
        kind = "unsubscribed" if detail.get("newTopicPreferences", {}).get("unsubscribeAll") else None
    bounce = None
    if kind == "bounced":
        bounce = "hard" if detail.get("bounceType") == "Permanent" else "soft"
    timestamp = detail.get("timestamp") or mail.get("timestamp")
    url = detail.get("link") if kind == "clicked" else None
    tags = (mail.get("tags") or {}).get(key)
    email_id = tags[0] if isinstance(tags, list) and tags else tags
    yield _row(
        "ses",
        name,
        event_id=_derived_id("ses", mail.get("messageId"), name, timestamp, url),
        email_id=email_id,
        event_type=kind,
        occurred_at=_time(timestamp),
        bounce_type=bounce,
        url=url,
        user_agent=detail.get("userAgent"),
    )


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


def postmark(event: dict, key: str) -> Iterator[dict]:
    name = str(event.get("RecordType"))
    kind = _POSTMARK.get(name)
    if name == "SubscriptionChange":
        asked = event.get("SuppressSending") and event.get("SuppressionReason") == "ManualSuppression"
        kind = "unsubscribed" if asked else None
    bounce = ("hard" if event.get("Type") == "HardBounce" else "soft") if kind == "bounced" else None
    timestamp = event.get(_POSTMARK_TIME.get(name, "ReceivedAt"))
    url = event.get("OriginalLink") if kind == "clicked" else None
    yield _row(
        "postmark",
        name,
        event_id=_derived_id("postmark", event.get("MessageID"), name, timestamp, url),
        email_id=(event.get("Metadata") or {}).get(key),
        event_type=kind,
        occurred_at=_time(timestamp),
        bounce_type=bounce,
        url=url,
        user_agent=event.get("UserAgent"),
    )


ADAPTERS: dict[str, Callable[[dict, str], Iterator[dict]]] = {
    "sendgrid": sendgrid,
    "mailgun": mailgun,
    "ses": ses,
    "postmark": postmark,
}


def rows(provider: str, text: str, name: str = "<file>", key: str = "email_id") -> list[dict]:
    """All email_events rows of one provider file (MalformedFeed if it is not JSON)."""
    out: list[dict] = []
    for doc in parse_documents(text, name):
        if not isinstance(doc, dict):
            raise MalformedFeed(f"{name}: expected JSON objects, found {type(doc).__name__}")
        out.extend(ADAPTERS[provider](doc, key))
    return out
