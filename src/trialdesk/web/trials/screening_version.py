"""Which protocol version a screening is evaluated under (issue 17).

A patient is screened under the version in force at the site at that moment (an approved
amendment may change an eligibility rule there and nowhere else); the screening record keeps the
version's number, and a correction or a later reading of it uses that version again, whatever is
in force by then.
"""

from __future__ import annotations

from trialdesk.protocol import Protocol
from trialdesk.web.amendments.versions import FIRST, in_force, protocol_version
from trialdesk.web.core.actor import Actor
from trialdesk.web.trials.models import ScreeningRecord


def site_version(site_code: str | None) -> tuple[int, Protocol]:
    """Return the number and protocol in force at ``site_code`` today; version 1 without a site
    (a role without one screening nowhere yet: the page's live check)."""
    if not site_code:
        return FIRST, protocol_version(FIRST)
    return in_force(site_code)


def actor_screening_protocol(actor: Actor) -> Protocol:
    """Return the protocol a screening by ``actor`` would be evaluated under (its site's)."""
    return site_version(actor.site)[1]


def screening_protocol(record: ScreeningRecord) -> Protocol:
    """Return the protocol version ``record`` was evaluated under."""
    return protocol_version(record.protocol_version)
