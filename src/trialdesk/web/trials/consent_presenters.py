"""A participant's consent as the API and pages show it: the record, its events, where it stands.

Nothing here depends on the arm: the same answer for every role that may read the participant.
"""

from __future__ import annotations

from typing import Any

from trialdesk.web.trials.consent_state import withdrawal
from trialdesk.web.trials.models import Consent, ConsentEvent, Participant


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def consent_view(consent: Consent) -> dict[str, Any]:
    """Return the first consent's fields."""
    return {
        "consent_date": consent.consent_date.isoformat(),
        "consented_at": consent.consented_at.isoformat() if consent.consented_at else None,
        "form_version": consent.form_version, "language": consent.language,
        "signer": consent.signer, "lar_name": consent.lar_name,
        "lar_relationship": consent.lar_relationship,
        "signer_can_read": consent.signer_can_read, "witness_name": consent.witness_name,
        "obtained_by": _username(consent.obtained_by),
        "document": ({"name": consent.document_name, "sha256": consent.document_sha256}
                     if consent.document_sha256 else None),
        "recorded_by": _username(consent.recorded_by),
        "recorded_at": consent.recorded_at.isoformat(),
    }


def event_view(event: ConsentEvent) -> dict[str, Any]:
    """Return one later consent event (the empty fields of other kinds left out)."""
    view: dict[str, Any] = {"id": event.pk, "kind": event.kind, "date": event.date.isoformat()}
    for name in ("level", "data_rule", "form_version", "language", "signer", "lar_name",
                 "lar_relationship", "witness_name", "note"):
        if getattr(event, name):
            view[name] = getattr(event, name)
    if event.data_use is not None:
        view["data_use"] = event.data_use
    if event.obtained_by_id is not None:
        view["obtained_by"] = _username(event.obtained_by)
    view["recorded_by"] = _username(event.recorded_by)
    view["recorded_at"] = event.recorded_at.isoformat()
    return view


def consent_history(participant: Participant) -> dict[str, Any]:
    """Return the consent, its events in order, and the strongest withdrawal in force."""
    consent = Consent.objects.select_related("obtained_by", "recorded_by").filter(
        participant=participant).first()
    events = ConsentEvent.objects.select_related("obtained_by", "recorded_by").filter(
        participant=participant).order_by("pk")
    found = withdrawal(participant)
    return {
        "participant": participant.code,
        "consent": consent_view(consent) if consent is not None else None,
        "events": [event_view(event) for event in events],
        "withdrawal": ({"level": found.level, "date": found.date.isoformat(),
                        "data_use": found.data_use} if found is not None else None),
    }
