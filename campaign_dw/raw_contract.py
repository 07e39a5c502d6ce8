"""The raw input contract (SPEC §2): table names and their columns.

``required`` columns must be in every file of the table, or the file is refused whole.
``optional`` columns may be missing from a file (a Parquet writer drops all-NULL columns,
older exports lack them); they load as NULL.
``typed`` columns are timestamps and booleans: a Parquet file may give them typed, and then
staging takes the file's value as it is instead of printing it as text and parsing it back
(``<column>__typed`` in the raw views, campaign_dw/loader.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: tuple[str, ...]  # in SPEC order
    optional: frozenset[str] = frozenset()
    typed: tuple[tuple[str, str], ...] = ()  # (column, "timestamp" | "boolean")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.optional)


def _table(name: str, columns: str, optional: str = "", timestamps: str = "", booleans: str = "") -> RawTable:
    typed = tuple((c, "timestamp") for c in timestamps.split()) + tuple((c, "boolean") for c in booleans.split())
    return RawTable(name, tuple(columns.split()), frozenset(optional.split()), typed)


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in [
        _table("users", "user_id full_name email timezone updated_at", timestamps="updated_at"),
        _table(
            "campaigns",
            "campaign_id name owner_user_id status language started_at ended_at created_at updated_at",
            optional="started_at ended_at",
            timestamps="started_at ended_at created_at updated_at",
        ),
        _table(
            "campaign_messages",
            "message_id campaign_id step_number subject body_html wait_days updated_at",
            timestamps="updated_at",
        ),
        _table("message_links", "link_id message_id url placement anchor_text updated_at", timestamps="updated_at"),
        _table("prospects", "prospect_id email first_name last_name updated_at", timestamps="updated_at"),
        _table(
            "audience_memberships",
            "campaign_id prospect_id entered_at exited_at exit_reason updated_at",
            optional="exited_at exit_reason",
            timestamps="entered_at exited_at updated_at",
        ),
        _table("email_sends", "email_id campaign_id message_id prospect_id sent_at", timestamps="sent_at"),
        _table(
            "email_events",
            "event_id email_id event_type occurred_at bounce_type link_id url user_agent received_at machine_open "
            "provider provider_event provider_payload",
            # machine_open: the email service's own flag for an open made by a machine (SPEC §2,
            # §3b); services that give none send files without it. provider, provider_event,
            # provider_payload: set for the rows the loader made from an email service's own
            # format (SPEC §2c, campaign_dw/providers.py): which service, its name for the
            # event, the event as it sent it; NULL in files in the native layout.
            optional="bounce_type link_id url user_agent machine_open provider provider_event provider_payload",
            timestamps="occurred_at received_at",
            booleans="machine_open",
        ),
    ]
}
