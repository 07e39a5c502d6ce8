"""Email service feeds end to end (SPEC §2c): each service's documented events, landed from its
own folder, count as the mapping table says (README, docs/feeds.md); and a warehouse built from
a batch in a service's format equals one built from the same events in the native layout."""

import json
import shutil

import pytest
from conftest import build, query
from provider_samples import samples, sns_notification
from twins import Twins, write_batch

from campaign_dw import providers
from campaign_dw.config import Settings
from campaign_dw.generate import generate

pytestmark = pytest.mark.slow

KEY = "campaign_dw_email_id"  # not the default: the setting reaches the load
SENT_AT = "2014-01-01T00:00:00Z"  # before every sample event
COUNTS = (
    "emails_sent",
    "emails_delivered",
    "emails_bounced",
    "emails_hard_bounced",
    "emails_soft_bounced",
    "emails_opened",
    "emails_clicked",
    "emails_unsubscribed",
    "emails_marked_spam",
    "machine_opens",
)


def expected_counts(event_type: str, bounce_type: str | None, machine: bool) -> dict:
    """SPEC §3 for an email with this one event."""
    engaged = event_type in ("opened", "clicked", "unsubscribed", "spam_reported")
    return {
        "emails_sent": 1,
        "emails_delivered": int(event_type == "delivered" or engaged),
        "emails_bounced": int(event_type == "bounced"),
        "emails_hard_bounced": int(bounce_type == "hard"),
        "emails_soft_bounced": int(bounce_type == "soft"),
        "emails_opened": int(event_type in ("opened", "clicked")),
        "emails_clicked": int(event_type == "clicked"),
        "emails_unsubscribed": int(event_type == "unsubscribed"),
        "emails_marked_spam": int(event_type == "spam_reported"),
        "machine_opens": int(machine),
    }


def sample_landing(folder):
    """Per service, one email (its own message) per counted sample event; the events with no
    meaning here on the first of them; one event without the email_id. Returns what each
    message must count, and the reasons the others must be rejected with."""
    tables = {t: [] for t in ("users", "campaigns", "campaign_messages", "message_links", "prospects", "email_sends")}
    tables["users"].append(
        {"user_id": "U1", "full_name": "R", "email": "r@x.example", "timezone": "UTC", "updated_at": SENT_AT}
    )
    tables["prospects"].append(
        {"prospect_id": "P1", "email": "p@x.example", "first_name": "F", "last_name": "L", "updated_at": SENT_AT}
    )
    want, reasons = {}, []
    for provider in providers.PROVIDERS:
        campaign = f"C-{provider}"
        tables["campaigns"].append(
            {"campaign_id": campaign, "name": provider, "owner_user_id": "U1", "status": "running", "language": "en",
             "started_at": SENT_AT, "created_at": SENT_AT, "updated_at": SENT_AT}
        )  # fmt: skip
        documented = samples(provider, "", KEY)
        counted = [n for n, (expected, _) in enumerate(documented) if expected]
        docs = []
        for number, (expected, _) in enumerate(documented):
            # the events with no meaning here are about the first email
            email = f"E-{provider}-{number if expected else counted[0]}"
            doc = samples(provider, email, KEY)[number][1]
            docs.append(doc)
            [row] = providers.rows(provider, json.dumps(doc), key=KEY)
            if expected is None:
                reasons.append(f"not counted: {provider} {row['provider_event']}")
                continue
            message = f"M-{provider}-{number}"
            tables["campaign_messages"].append(
                {"message_id": message, "campaign_id": campaign, "step_number": "1", "subject": "s",
                 "body_html": "<p>hi</p>", "wait_days": "0", "updated_at": SENT_AT}
            )  # fmt: skip
            if row["url"]:
                tables["message_links"].append(
                    {"link_id": f"L-{provider}", "message_id": message, "url": row["url"], "placement": "body",
                     "anchor_text": "a", "updated_at": SENT_AT}
                )  # fmt: skip
            tables["email_sends"].append(
                {"email_id": email, "campaign_id": campaign, "message_id": message, "prospect_id": "P1", "sent_at": SENT_AT}
            )  # fmt: skip
            want[message] = expected_counts(*expected, machine=row["machine_open"] == "true")
        # a counted event again, its email_id under another key
        docs.append(samples(provider, "E-elsewhere", "another_key")[counted[-1]][1])
        reasons.append(f"missing email_id: none in the {provider} event's metadata")
        target = folder / provider
        target.mkdir(parents=True)
        if provider == "sendgrid":  # one Event Webhook POST body
            (target / "post.json").write_text(json.dumps(docs))
        elif provider == "ses":  # half in SNS notifications, half as Firehose writes them
            (target / "sns.json").write_text("\n".join(json.dumps(sns_notification(d)) for d in docs[::2]))
            (target / "firehose.json").write_text("\n".join(json.dumps(d) for d in docs[1::2]))
        else:
            (target / "webhooks.json").write_text("\n".join(json.dumps(d) for d in docs))
    write_batch(folder, tables)
    return want, reasons


def test_each_services_documented_events_count_as_the_mapping_says(tmp_path):
    want, reasons = sample_landing(tmp_path / "landing")
    settings = Settings(warehouse=tmp_path / "wh" / "warehouse.duckdb", landing=tmp_path / "landing", email_id_key=KEY)
    report = build(settings)
    assert report.status == "success", report.problems
    got = {
        row[0]: dict(zip(COUNTS, row[1:], strict=True))
        for row in query(
            settings.warehouse, f"select message_id, {', '.join(COUNTS)} from marts.campaign_message_metrics"
        )
    }
    assert got == want
    rejected = query(
        settings.warehouse, "select rejection_reason from audit.rejected_rows where table_name = 'email_events'"
    )
    assert sorted(r for (r,) in rejected) == sorted(reasons)
    assert query(
        settings.warehouse,
        "select is_reconciled, rejected_rows, waiting_rows from audit.raw_row_reconciliation "
        "where table_name = 'email_events'",
    ) == [(True, len(reasons), 0)]


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    pair = Twins(tmp_path_factory.mktemp("provider_twins"))
    yield pair
    pair.close()


def batch_folder(root, fmt: str, batch: int):
    """Batch `batch` of one generated feed (seed and size fixed), in the layout `fmt`."""
    everything = root / f"all-{fmt}"
    generate(everything, events=4_000, seed=13, increment=batch, fmt=fmt)
    folder = root / f"{fmt}-{batch}"
    for table_dir in everything.iterdir():
        for part in table_dir.glob(f"batch-{batch:04d}*"):
            (folder / table_dir.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(part, folder / table_dir.name / part.name)
    return folder


@pytest.mark.parametrize("fmt", providers.PROVIDERS)
def test_a_provider_format_batch_builds_the_warehouse_of_the_native_batch(twins, tmp_path, fmt):
    """Every mart and the reconciliation, after a first batch and a later one (late, repeated
    and early events): the same whether the events came as `fmt` writes them or natively."""
    twins.reset()
    for batch in (0, 1):
        native, provider = twins.step(batch_folder(tmp_path, "native", batch), batch_folder(tmp_path, fmt, batch), True)
        for table in native:
            assert native[table] == provider[table], (
                f"batch {batch}: {table} differs: only native {sorted(set(native[table]) - set(provider[table]))[:3]}, "
                f"only {fmt} {sorted(set(provider[table]) - set(native[table]))[:3]}"
            )
        assert native["marts.campaign_message_metrics"]
