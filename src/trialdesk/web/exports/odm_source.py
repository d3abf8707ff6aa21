"""The trial's data for the ODM, CSV and FHIR writers (``standards.export_data``), read from the
database a batch of participants at a time so that memory stays bounded.

Per participant: the forms with their values, every audited save (the audit trail's
``save_form`` records: field, old, new, who, when, why), the signatures (voided ones too), the
consent in force, the protocol version each form was captured under (every recorded version
described: ``version_source``), the arm of the export's allocation (``ExportContext``: decided by
the framework; the dummy allocation's group labelled as such, never a real arm's code or label).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model

from trialdesk.standards.export_data import (
    ArmAssignment,
    ConsentRecord,
    FormChange,
    FormRecord,
    FormSignature,
    SiteRecord,
    SubjectRecord,
    TrialExport,
    UserRecord,
)
from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.web.capture.models import Discontinuation, FormInstance, Signature
from trialdesk.web.core.models import AuditRecord, Membership, Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.exports.arms import arm_cells
from trialdesk.web.exports.formats import ExportContext
from trialdesk.web.exports.version_source import in_force_from, recorded_versions
from trialdesk.web.trials.consent_state import data_use_flags
from trialdesk.web.trials.models import Consent, ConsentEvent, Participant, Randomization
from trialdesk.web.trials.presenters import arm_label

BATCH = 200
KEYS_PER_QUERY = 20_000  # SQLite allows 32,766 parameters (3.32+); each query scans the trail once
STATUS_KEY = "status"


def arm_assignments(context: ExportContext) -> dict[str, ArmAssignment]:
    """Participant code -> the arm the export may show (empty for allocation "none")."""
    if context.allocation == "real":
        return {code: ArmAssignment(arm, arm_label(arm, "en"), dummy=False)
                for code, arm in context.arm_of.items()}
    if context.allocation == "dummy":
        return {code: ArmAssignment(cell.code, cell.label, dummy=True)
                for code, cell in arm_cells(context).items()}
    return {}


def _users() -> list[UserRecord]:
    # one record per user: their first active membership (several roles share one account)
    memberships = {m.user_id: m for m in Membership.objects.select_related("site")
                   .order_by("active", "-pk")}
    users = []
    for user in get_user_model().objects.order_by("username"):
        membership = memberships.get(user.pk)
        users.append(UserRecord(
            username=user.username, full_name=user.get_full_name(),
            role=membership.role if membership else "",
            site=membership.site.code if membership and membership.site else None))
    return users


def _changes(record: AuditRecord) -> FormChange:
    values: dict[str, tuple[Any, Any]] = {}
    status = None
    for key, change in (record.changes or {}).items():
        if not isinstance(change, dict) or "old" not in change:
            continue
        if key == STATUS_KEY:
            status = (change["old"], change["new"])
        elif key not in ("prefilled_from", "confirmed"):
            values[key] = (change["old"], change["new"])
    return FormChange(audit_seq=record.seq, at=record.at, user=record.actor,
                      reason=record.reason, values=values, status=status)


def _void_actors(signature_ids: list[int]) -> dict[str, str]:
    rows = AuditRecord.objects.filter(model="signature", action="void_signature",
                                      object_id__in=[str(pk) for pk in signature_ids])
    return dict(rows.values_list("object_id", "actor"))


def _consent(participant: Participant, withdrawn: dict[int, dt.date]) -> ConsentRecord | None:
    consent = getattr(participant, "consent", None)
    if consent is None:
        return None
    at = consent.consented_at or dt.datetime.combine(consent.consent_date, dt.time(),
                                                     tzinfo=dt.UTC)
    when = withdrawn.get(participant.pk)
    return ConsentRecord(
        consented_at=at, signer="participant" if consent.signer == Consent.PARTICIPANT
        else "representative", document_version=consent.form_version,
        withdrawn_at=dt.datetime.combine(when, dt.time(), tzinfo=dt.UTC) if when else None)


def _batch(participants: list[Participant], arms: dict[str, ArmAssignment], *, forms: bool,
           history: bool) -> Iterator[SubjectRecord]:
    ids = [p.pk for p in participants]
    instances = list(FormInstance.objects.filter(participant_id__in=ids).order_by("pk")) \
        if forms else []
    codes = {p.pk: p.code for p in participants}
    keys = {f"{codes[i.participant_id]}/{i.visit}/{i.form}/{i.seq}": i for i in instances}
    saves: dict[str, list[FormChange]] = defaultdict(list)
    names = list(keys) if history else []
    for start in range(0, len(names), KEYS_PER_QUERY):  # within any database's parameter limit
        audit = AuditRecord.objects.filter(
            model="form_instance", action="save_form",
            object_id__in=names[start:start + KEYS_PER_QUERY]).order_by("seq")
        for record in audit.iterator(chunk_size=2000):
            saves[record.object_id].append(_changes(record))
    signatures: dict[int, list[Signature]] = defaultdict(list)
    for signature in Signature.objects.filter(
            form_instance__in=instances if history else []).select_related(
            "signed_by").order_by("pk"):
        signatures[signature.form_instance_id].append(signature)
    voiders = _void_actors([s.pk for group in signatures.values() for s in group if s.voided_at])
    use = data_use_flags(ids)
    withdrawn = dict(ConsentEvent.objects.filter(participant_id__in=ids,
                                                 kind=ConsentEvent.WITHDRAWN)
                     .order_by("date").values_list("participant_id", "date"))
    enrolled = dict(Randomization.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "randomized_at"))
    stopped = dict(Discontinuation.objects.filter(participant_id__in=ids).values_list(
        "participant_id", "kind"))
    by_participant: dict[int, list[FormRecord]] = defaultdict(list)
    for key, instance in keys.items():
        by_participant[instance.participant_id].append(FormRecord(
            visit=instance.visit, form=instance.form, seq=instance.seq, status=instance.status,
            values=instance.values or {}, version=instance.version,
            protocol_version=instance.protocol_version, changes=saves.get(key, []),
            signatures=[FormSignature(
                signature_id=s.pk, user=s.signed_by.username, at=s.signed_at,
                meaning=s.meaning, voided_at=s.voided_at,
                voided_by=voiders.get(str(s.pk), ""), void_reason=s.void_reason)
                for s in signatures.get(instance.pk, [])]))
    for participant in participants:
        randomized = enrolled.get(participant.pk)
        status = "on-study" if randomized else "candidate"
        if participant.pk in stopped:
            status = "withdrawn" if stopped[participant.pk] == Discontinuation.WITHDREW \
                else "off-study"
        yield SubjectRecord(
            code=participant.code, site=participant.site.code,
            enrolled_on=randomized.date() if randomized else None,
            forms=by_participant.get(participant.pk, []), arm=arms.get(participant.code),
            consent=_consent(participant, withdrawn), status=status,
            data_use="Y" if use.get(participant.pk, True) else "N")


def subjects(context: ExportContext, *, forms: bool = True,
             history: bool = True) -> Iterator[SubjectRecord]:
    """Every participant, by code, with their consent and (``forms``) their forms, (``history``)
    with each form's audit trail and signatures."""
    arms = arm_assignments(context)
    query = Participant.objects.select_related("site", "consent").order_by("code")
    batch: list[Participant] = []
    for participant in query.iterator(chunk_size=BATCH):
        batch.append(participant)
        if len(batch) == BATCH:
            yield from _batch(batch, arms, forms=forms, history=history)
            batch = []
    if batch:
        yield from _batch(batch, arms, forms=forms, history=history)


def trial_export(context: ExportContext, *, forms: bool = True,
                 history: bool = True) -> TrialExport:
    """The writers' view of the trial under ``context``'s allocation (subjects read lazily; a
    writer that needs no forms, or no history, does not have them read)."""
    from trialdesk import __version__

    return TrialExport(
        protocol=get_protocol(), allocation=context.allocation,
        created_at=context.requested_at, users=_users(),
        subjects=subjects(context, forms=forms, history=history),
        sites=[SiteRecord(code, name) for code, name in Site.objects.values_list("code", "name")],
        source_version=__version__,
        subject_count=Participant.objects.count(), arm_choices=arm_choices(context),
        versions=recorded_versions(), in_force_from=in_force_from())


def arm_choices(context: ExportContext) -> list[tuple[str, str]]:
    """What the arm columns may hold: the arms (real), the dummy groups (dummy), nothing."""
    arms = get_protocol().design.arms
    if context.allocation == "real":
        return [(arm.code, arm_label(arm.code, "en")) for arm in arms]
    if context.allocation == "dummy":
        cells = [ArmCell.dummy_group(number) for number in range(1, len(arms) + 1)]
        return [(cell.code, cell.label) for cell in cells]
    return []


def signature_meanings() -> list[str]:
    """Every meaning a signature carries (the ODM file's SignatureDefs)."""
    return sorted(set(Signature.objects.values_list("meaning", flat=True)))
