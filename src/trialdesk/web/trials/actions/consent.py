"""Informed consent and what follows it (issue 17): the first consent, the participant's own
confirmation or refusal on regaining capacity, withdrawal at a level, a signature on a new version.

The first consent is a :class:`Consent`; everything after is appended to the participant's
:class:`ConsentEvent` log, never an edit. The protocol's ``[consent]`` section
(``trialdesk.protocol.consent``) says which versions a site may use and the LAR, witness and
refusal rules; a protocol without it keeps the old rule (a date and a free-text version).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

from trialdesk.protocol.consent import LEVELS, ConsentRules, refusal_effect
from trialdesk.protocol.validation import date_window_rule
from trialdesk.site_status import Activity
from trialdesk.web.amendments.consent import consent_rules_for_site
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.consent_state import withdrawal
from trialdesk.web.trials.models import Consent, ConsentEvent, Participant
from trialdesk.web.trials.site_rules import refuse_unless_site_allows

SIGNERS = (Consent.PARTICIPANT, Consent.LAR)
DOCUMENT_TYPES = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8", ".jpeg": b"\xff\xd8"}
DOCUMENT_FOLDER = "consent-documents"


@dataclass(frozen=True)
class Document:
    """A scanned signed consent document as uploaded: its file name and bytes."""

    name: str
    content: bytes


def _site_zone(participant: Participant) -> ZoneInfo:
    site = next((s for s in get_protocol().sites if s.code == participant.site.code), None)
    return ZoneInfo(site.timezone if site is not None else "UTC")


def _date_rule(participant: Participant, day: dt.date, field: str) -> None:
    # from the protocol's earliest date (the trial's start) to today: 0001-01-01 is a typo
    rule = date_window_rule(day, get_protocol().earliest_date(), clock.today())
    if rule is not None:
        raise InvalidInput(field, rule)


def _moment(participant: Participant, day: dt.date, time: dt.time | None) -> dt.datetime | None:
    """The consent's moment in UTC (the time is the site's), checked against screening and now."""
    zone = _site_zone(participant)
    screened_at = participant.screening.screened_at
    if day < screened_at.astimezone(zone).date():
        raise InvalidInput("consent_date", "must not be before the screening")
    if time is None:
        return None
    moment = dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)
    if moment < screened_at:
        raise InvalidInput("consent_time", "must not be before the screening")
    if moment > clock.now():
        raise InvalidInput("consent_time", "must not be in the future")
    return moment


def _obtained_by(participant: Participant, actor: Actor, username: str | None) -> Any:
    """The person obtaining consent: a user at the participant's site (the recorder if none)."""
    if not username:
        return actor.user
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    at_site = user is not None and Membership.objects.filter(
        user=user, site_id=participant.site_id, active=True).exists()
    if not at_site:
        raise InvalidInput("obtained_by", f"must be a user at site {participant.site.code}")
    return user


def _signature(participant: Participant, actor: Actor, *, day: dt.date, form_version: str,
               language: str, signer: str, lar_name: str, lar_relationship: str,
               signer_can_read: bool, witness_name: str, obtained_by: str | None,
               ) -> dict[str, Any]:
    """Check one signature of a consent document; return its cleaned fields."""
    form_version, language = form_version.strip(), language.strip().lower()
    lar_name, lar_relationship = lar_name.strip(), lar_relationship.strip()
    witness_name = witness_name.strip()
    if not form_version:
        raise InvalidInput("form_version", "is required")
    if signer not in SIGNERS:
        raise InvalidInput("signer", f"must be one of {', '.join(SIGNERS)}")
    # the rules in force at the site: an approved amendment may have added a version (issue 17)
    rules: ConsentRules | None = consent_rules_for_site(participant.site.code)
    if rules is not None:
        version = rules.version(form_version)
        if not language and version is not None:
            language = version.languages[0]
        rule = rules.version_rule(participant.site.code, day, form_version, language)
        if rule is not None:
            raise InvalidInput("language" if rule.startswith("must be one of the version's")
                               else "form_version", rule)
    if signer == Consent.LAR:
        if rules is not None and not rules.lar_allowed:
            raise InvalidInput("signer", "a legally authorized representative may not consent "
                                         "under this protocol")
        if not lar_name:
            raise InvalidInput("lar_name", "is required when a legally authorized "
                                           "representative signs")
        if not lar_relationship:
            raise InvalidInput("lar_relationship", "is required when a legally authorized "
                                                   "representative signs")
    elif lar_name or lar_relationship:
        raise InvalidInput("lar_name", "must be empty when the participant signs")
    if rules is not None and not witness_name and rules.witness_required(
            signer=signer, signer_can_read=signer_can_read):
        raise InvalidInput("witness_name", "is required: the protocol asks for an impartial "
                                           "witness for this consent")
    return {"form_version": form_version, "language": language, "signer": signer,
            "lar_name": lar_name, "lar_relationship": lar_relationship,
            "witness_name": witness_name,
            "obtained_by": _obtained_by(participant, actor, obtained_by)}


def _check_document(document: Document | None) -> str:
    """Return the document's suffix after checking its type and size ('' without one)."""
    if document is None:
        return ""
    suffix = Path(document.name).suffix.lower()
    magic = DOCUMENT_TYPES.get(suffix)
    if magic is None or not document.content.startswith(magic):
        raise InvalidInput("document", "must be a PDF, PNG or JPEG scan")
    if len(document.content) > settings.TRIALDESK_UPLOAD_MAX_BYTES:
        raise InvalidInput("document", f"must be at most {settings.TRIALDESK_UPLOAD_MAX_BYTES} "
                                       "bytes")
    return suffix


def _store_document(document: Document, suffix: str) -> tuple[str, str]:
    """Keep the scan under the data directory, named by its hash; return path and hash."""
    digest = hashlib.sha256(document.content).hexdigest()
    folder = Path(settings.DATA_DIR) / DOCUMENT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{suffix}"
    if not path.exists():  # content-addressed: the same scan twice is one file
        path.write_bytes(document.content)
    return f"{DOCUMENT_FOLDER}/{path.name}", digest


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {name: (value.username if hasattr(value, "username")
                   else value.isoformat() if isinstance(value, dt.date | dt.datetime) else value)
            for name, value in values.items()}


@action("enroll", refuse_when_locked=True)
def do_consent(
    actor: Actor, participant: Participant, *, consent_date: dt.date, form_version: str,
    language: str = "", signer: str = Consent.PARTICIPANT, lar_name: str = "",
    lar_relationship: str = "", signer_can_read: bool = True, witness_name: str = "",
    consent_time: dt.time | None = None, obtained_by: str | None = None,
    document: Document | None = None,
) -> Consent:
    """Record the participant's informed consent: the approved version and language signed at
    the participant's site that day, who signed (the participant, or a legally authorized
    representative with relationship and name; an impartial witness when the protocol asks),
    when, the person who obtained it (a user at the site; the recorder by default) and an
    optional scan of the signed document (kept under the data directory, its hash recorded).

    Refused (SiteNotActive, nothing stored) when the participant's site is not active: a new
    patient joins the trial only at an active site (``trialdesk.site_status``)."""
    participant = _locked_participant(participant)  # its site's row is read (and locked) with it
    refuse_unless_site_allows(participant.site.code, participant.site.status, Activity.CONSENT)
    _date_rule(participant, consent_date, "consent_date")
    consented_at = _moment(participant, consent_date, consent_time)
    values = _signature(participant, actor, day=consent_date, form_version=form_version,
                        language=language, signer=signer, lar_name=lar_name,
                        lar_relationship=lar_relationship, signer_can_read=signer_can_read,
                        witness_name=witness_name, obtained_by=obtained_by)
    suffix = _check_document(document)
    if Consent.objects.filter(participant=participant).exists():
        raise Conflict("already_consented", f"{participant.code} has already given consent")
    path, digest = _store_document(document, suffix) if document is not None else ("", "")
    consent = Consent.objects.create(
        participant=participant, consent_date=consent_date, consented_at=consented_at,
        signer_can_read=signer_can_read, document_name=document.name[:200] if document else "",
        document_path=path, document_sha256=digest, recorded_at=clock.now(),
        recorded_by=actor.user, **values,
    )
    changes = {"consent_date": consent_date, "consented_at": consented_at, **values,
               "signer_can_read": signer_can_read}
    if digest:
        changes["document_sha256"] = digest
    append_audit(
        actor=actor.username, action="consent", model="participant", object_id=participant.code,
        changes={name: {"old": None, "new": value}
                 for name, value in _audit_values(changes).items()},
    )
    return consent


def _consent_of(participant: Participant) -> Consent:
    consent = Consent.objects.filter(participant=participant).first()
    if consent is None:
        raise Conflict("unconsented", f"{participant.code} has no recorded consent")
    return consent


def _event_date(participant: Participant, consent: Consent, day: dt.date) -> None:
    _date_rule(participant, day, "date")
    if day < consent.consent_date:
        raise InvalidInput("date", "must not be before the consent")


def _open_capacity_event(participant: Participant) -> ConsentEvent | None:
    """The capacity_regained event no confirmation, refusal or withdrawal has answered."""
    last = ConsentEvent.objects.filter(participant=participant, kind__in=(
        ConsentEvent.CAPACITY_REGAINED, ConsentEvent.CONFIRMED, ConsentEvent.REFUSED,
        ConsentEvent.WITHDRAWN)).order_by("-pk").first()
    return last if last is not None and last.kind == ConsentEvent.CAPACITY_REGAINED else None


def _append(actor: Actor, participant: Participant, kind: str, reason: str = "",
            **fields: Any) -> ConsentEvent:
    event = ConsentEvent.objects.create(participant=participant, kind=kind,
                                        recorded_at=clock.now(), recorded_by=actor.user, **fields)
    shown = {name: value for name, value in fields.items() if value not in ("", None)}
    append_audit(actor=actor.username, action=f"consent_{kind}", model="participant",
                 object_id=participant.code,
                 changes={name: {"old": None, "new": value}
                          for name, value in _audit_values(shown).items()},
                 reason=reason)
    return event


def _locked_participant(participant: Participant) -> Participant:
    # no outer join: PostgreSQL locks no nullable side of one (the screening is read after)
    return Participant.objects.select_for_update().select_related("site").get(pk=participant.pk)


def _refuse_after_full_withdrawal(participant: Participant) -> None:
    found = withdrawal(participant)
    if found is not None and found.level == LEVELS[-1]:
        raise Conflict("consent_withdrawn", f"consent: {participant.code} withdrew from all "
                                            f"further data collection on {found.date}")


@action("enroll", refuse_when_locked=True)
def do_record_capacity_regained(actor: Actor, participant: Participant, *, date: dt.date,
                                note: str = "") -> ConsentEvent:
    """Record that a participant for whom a representative consented can now decide: the task
    of asking for their own consent opens, due by the protocol's deadline."""
    participant = _locked_participant(participant)
    consent = _consent_of(participant)
    _event_date(participant, consent, date)
    if consent.signer != Consent.LAR:
        raise Conflict("not_lar_consent", f"{participant.code} gave their own consent")
    if _open_capacity_event(participant) is not None:
        raise Conflict("capacity_task_open", f"{participant.code} is already to be asked")
    if ConsentEvent.objects.filter(participant=participant, kind__in=(
            ConsentEvent.CONFIRMED, ConsentEvent.REFUSED)).exists():
        raise Conflict("already_asked", f"{participant.code} has already answered for themself")
    _refuse_after_full_withdrawal(participant)
    return _append(actor, participant, ConsentEvent.CAPACITY_REGAINED, date=date,
                   note=note.strip())


def _answer(actor: Actor, participant: Participant, date: dt.date) -> ConsentEvent:
    consent = _consent_of(participant)
    _event_date(participant, consent, date)
    opened = _open_capacity_event(participant)
    if opened is None:
        raise Conflict("no_capacity_task", f"{participant.code} is not waiting to be asked for "
                                           "their own consent")
    if date < opened.date:
        raise InvalidInput("date", "must not be before capacity was regained")
    return opened


@action("enroll", refuse_when_locked=True)
def do_confirm_consent(actor: Actor, participant: Participant, *, date: dt.date,
                       witness_name: str = "", note: str = "") -> ConsentEvent:
    """Record the participant's own consent on regaining capacity: they continue."""
    participant = _locked_participant(participant)
    _answer(actor, participant, date)
    return _append(actor, participant, ConsentEvent.CONFIRMED, date=date,
                   signer=Consent.PARTICIPANT, witness_name=witness_name.strip(),
                   obtained_by=actor.user, note=note.strip())


@action("enroll", refuse_when_locked=True)
def do_refuse_consent(actor: Actor, participant: Participant, *, date: dt.date,
                      note: str = "") -> ConsentEvent:
    """Record the participant's refusal on regaining capacity; the protocol's data rule decides
    what becomes of the data collected (``trialdesk.protocol.consent.refusal_effect``)."""
    participant = _locked_participant(participant)
    _answer(actor, participant, date)
    # the rule in force at the participant's site: an approved amendment may have changed it
    rules = consent_rules_for_site(participant.site.code)
    rule = rules.refusal_data_rule if rules is not None else "keep_until_refusal"
    level, data_use = refusal_effect(rule)
    return _append(actor, participant, ConsentEvent.REFUSED, reason=note.strip(), date=date,
                   level=level, data_use=data_use, data_rule=rule, note=note.strip())


@action("enroll", refuse_when_locked=True)
def do_withdraw_consent(actor: Actor, participant: Participant, *, date: dt.date, level: str,
                        data_use: bool, reason: str = "") -> ConsentEvent:
    """Record a withdrawal of consent at ``level`` (treatment, follow_up or all_data) and whether
    the data collected so far may be used. A later withdrawal may only go further."""
    if level not in LEVELS:
        raise InvalidInput("level", f"must be one of {', '.join(LEVELS)}")
    participant = _locked_participant(participant)
    consent = _consent_of(participant)
    _event_date(participant, consent, date)
    earlier = withdrawal(participant)
    if earlier is not None and LEVELS.index(level) <= LEVELS.index(earlier.level):
        if data_use or not earlier.data_use:
            raise Conflict("already_withdrawn", f"{participant.code} has already withdrawn "
                                                f"({earlier.level}) on {earlier.date}")
        level = earlier.level  # the same level again, now refusing the use of data
    return _append(actor, participant, ConsentEvent.WITHDRAWN, reason=reason.strip(), date=date,
                   level=level, data_use=data_use, note=reason.strip())


@action("enroll", refuse_when_locked=True)
def do_reconsent(
    actor: Actor, participant: Participant, *, date: dt.date, form_version: str,
    language: str = "", signer: str = Consent.PARTICIPANT, lar_name: str = "",
    lar_relationship: str = "", signer_can_read: bool = True, witness_name: str = "",
    obtained_by: str | None = None,
) -> ConsentEvent:
    """Record a signature on another approved version of the consent document (re-consent after
    an amendment), checked as the first consent is."""
    participant = _locked_participant(participant)
    consent = _consent_of(participant)
    _event_date(participant, consent, date)
    values = _signature(participant, actor, day=date, form_version=form_version,
                        language=language, signer=signer, lar_name=lar_name,
                        lar_relationship=lar_relationship, signer_can_read=signer_can_read,
                        witness_name=witness_name, obtained_by=obtained_by)
    _refuse_after_full_withdrawal(participant)
    return _append(actor, participant, ConsentEvent.RECONSENTED, date=date, **values)
