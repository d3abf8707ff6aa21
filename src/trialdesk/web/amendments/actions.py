"""The only writers of the amendment log: each ``do_*`` is one transaction with its audit record.

An amendment is refused, with nothing stored, when its file is not a valid protocol (every problem
listed), when it changes nothing, and when it changes how participants are randomized once the
allocation list is loaded (allocation follows that list, committed by its hash and made from
version 1's parameters, so the change would have no effect): the refusal names the field. The
protocol the server started with is recorded as version 1 with the first amendment, in the same
transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.apps import apps

from trialdesk.blinding import Permission
from trialdesk.protocol.amendment import (
    AmendmentDiff,
    AmendmentRefused,
    diff_protocols,
    refuse_randomization_change,
)
from trialdesk.protocol.errors import ProtocolError
from trialdesk.web.amendments.models import REASON_MAX, ProtocolVersion, SiteApproval
from trialdesk.web.amendments.versions import (
    FIRST,
    latest_number,
    parse_version,
    protocol_version,
    remember,
    running_protocol_text,
    text_hash,
)
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol

MANAGE = Permission.MANAGE_PROTOCOL
FIRST_REASON = "the protocol the server started with"
# a protocol file is a few tens of kilobytes; this bounds what a request may make us parse
TEXT_MAX = 500_000


def randomization_started() -> bool:
    """Return True once anyone is randomized. The trial app builds on this one (it asks for the
    consent rules in force at a site), so its table is named through the app registry."""
    return apps.get_model("trials", "Randomization").objects.exists()


def allocation_loaded() -> bool:
    """Return True once an allocation list (or a dynamic procedure's scheme) is committed:
    allocation then follows it, made from the randomization parameters of version 1."""
    return apps.get_model("trials", "AllocationListRecord").objects.exists()


def changes_json(diff: AmendmentDiff) -> list[dict[str, Any]]:
    """Return the diff's changes as stored and answered (category, path, old, new)."""
    return [dataclasses.asdict(change) for change in diff.changes]


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason", "is required: say why the protocol is amended")
    if len(reason) > REASON_MAX:
        raise InvalidInput("reason", f"must be at most {REASON_MAX} characters")
    return reason


def _record_first_version(actor: Actor) -> None:
    """Record the running protocol as version 1 (once, with the first amendment)."""
    if ProtocolVersion.objects.filter(number=FIRST).exists():
        return
    text = running_protocol_text()
    ProtocolVersion.objects.create(
        number=FIRST, toml_text=text, sha256=text_hash(text),
        effective_date=get_protocol().earliest_date(), reason=FIRST_REASON, changes=[],
        recorded_at=clock.now(), recorded_by=None)
    append_audit(actor=actor.username, action="record_protocol_version",
                 model="protocol_version", object_id="1",
                 changes={"number": {"old": None, "new": FIRST},
                          "sha256": {"old": None, "new": text_hash(text)}}, reason=FIRST_REASON)


def review_amendment(toml_text: str) -> tuple[int, AmendmentDiff]:
    """Parse an amendment's text and return the latest version's number and the diff against it
    (InvalidInput listing every problem of an invalid file); nothing is stored."""
    if len(toml_text) > TEXT_MAX:
        raise InvalidInput("toml_text", f"must be at most {TEXT_MAX} characters")
    try:
        new = parse_version(toml_text)
    except ProtocolError as error:
        raise InvalidInput("toml_text", "is not a valid protocol: " + "; ".join(
            str(issue) for issue in error.issues)) from error
    remember(toml_text, new)
    base = latest_number()
    return base, diff_protocols(protocol_version(base), new)


@action(MANAGE)
def do_amend_protocol(actor: Actor, toml_text: str, *, effective_date: dt.date,
                      reason: str) -> ProtocolVersion:
    """Record a new protocol version, effective from ``effective_date`` at each site whose ethics
    approval is then entered (``do_record_site_approval``)."""
    reason = _reason(reason)
    base, diff = review_amendment(toml_text)
    if not diff.changes:
        raise InvalidInput("toml_text", f"changes nothing: it is protocol version {base}")
    try:
        refuse_randomization_change(diff, randomization_started=randomization_started(),
                                    allocation_loaded=allocation_loaded())
    except AmendmentRefused as refused:
        raise InvalidInput(refused.field, f"{refused.rule}: {refused.message}") from refused
    earliest = get_protocol().earliest_date()
    if effective_date < earliest:
        raise InvalidInput("effective_date", f"must not be before the trial's start "
                                             f"({earliest.isoformat()})")
    _record_first_version(actor)
    number = base + 1
    version = ProtocolVersion.objects.create(
        number=number, toml_text=toml_text, sha256=text_hash(toml_text),
        effective_date=effective_date, reason=reason, changes=changes_json(diff),
        recorded_at=clock.now(), recorded_by=actor.user)
    append_audit(actor=actor.username, action="amend_protocol", model="protocol_version",
                 object_id=str(number), reason=reason, changes={
                     "number": {"old": base, "new": number},
                     "sha256": {"old": None, "new": version.sha256},
                     "effective_date": {"old": None, "new": effective_date.isoformat()},
                     "categories": {"old": None, "new": sorted(
                         {change.category for change in diff.changes})},
                     "changes_consent_version": {"old": None,
                                                 "new": diff.changes_consent_version}})
    return version


@action(MANAGE)
def do_record_site_approval(actor: Actor, version: ProtocolVersion, site: Site,
                            approval_date: dt.date) -> SiteApproval:
    """Record the ethics committee's approval of ``version`` at ``site``: from that date (and the
    version's effective date) the site works under it."""
    if version.number == FIRST:
        raise InvalidInput("version", "version 1 is the protocol the trial started with: it "
                                      "needs no amendment approval")
    if approval_date > clock.today():
        raise InvalidInput("approval_date", "must not be in the future")
    earliest = get_protocol().earliest_date()
    if approval_date < earliest:
        raise InvalidInput("approval_date", f"must not be before the trial's start "
                                            f"({earliest.isoformat()})")
    if SiteApproval.objects.select_for_update().filter(version=version, site=site).exists():
        raise Conflict("already_approved", f"version {version.number} is already approved at "
                                           f"site {site.code}")
    approval = SiteApproval.objects.create(version=version, site=site,
                                           approval_date=approval_date,
                                           recorded_at=clock.now(), recorded_by=actor.user)
    append_audit(actor=actor.username, action="record_site_approval", model="site_approval",
                 object_id=f"{version.number}/{site.code}", changes={
                     "version": {"old": None, "new": version.number},
                     "site": {"old": None, "new": site.code},
                     "approval_date": {"old": None, "new": approval_date.isoformat()}})
    return approval
