"""The demo's signing sessions (issue 13): a site's investigator signs, with one password entry,
every visit whose forms are all complete and every complete entry of a repeating form; a visit
with a form missing waits (the final review signs whatever is complete)."""

from __future__ import annotations

import datetime as dt

import pytest
from api_client import ApiClient
from django.contrib.auth.models import User
from enrollment import randomize
from trial_factory import PASSWORD

from trialdesk.web.capture.models import FormInstance, Signature
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.simulation.cast import SiteTeam
from trialdesk.web.simulation.signing import sign_session, signable
from trialdesk.web.trials.models import Participant, Randomization

INV, COORD = "investigator-co-01", "coordinator-co-01"
VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}


def _form(code: str, visit: str, form: str, seq: int = 1) -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}?seq={seq}"


def _save(coordinator: ApiClient, path: str, values: dict) -> None:
    response = coordinator.put(path, {"values": values, "complete": True})
    assert response.status_code in (200, 201), response.content


def _episode(coordinator: ApiClient, code: str, seq: int) -> None:
    start = Randomization.objects.get(participant__code=code).randomized_at.date()
    _save(coordinator, _form(code, "log", "ventilation_episode", seq), {
        "ventilation_start": f"{start + dt.timedelta(days=2 * seq - 2)}T10:00",
        "ventilation_stop": f"{start + dt.timedelta(days=2 * seq - 1)}T10:00",
        "ventilation_episode_mode": "ett"})


@pytest.fixture
def site(trial):
    """Participant ``partial``: day 1 half entered, two ventilation episodes; ``whole``: day 1
    complete."""
    investigator, coordinator = ApiClient(trial.users[INV]), ApiClient(trial.users[COORD])
    partial, _ = randomize(investigator, days_ago=30)
    whole, kit = randomize(investigator, days_ago=30)
    for code in (partial, whole):
        _save(coordinator, _form(code, "day1", "vital_signs"), VITALS)
    day0 = Randomization.objects.get(participant__code=whole).randomized_at.date()
    _save(coordinator, _form(whole, "day1", "infusion"), {
        "kit_code": kit, "infusion_start": f"{day0 + dt.timedelta(days=1)}T10:00",
        "infusion_end": f"{day0 + dt.timedelta(days=1)}T11:00", "infusion_reaction": "no"})
    _episode(coordinator, partial, 1)
    _episode(coordinator, partial, 2)
    team = SiteTeam(actor_for(User.objects.get(username=INV)),
                    actor_for(User.objects.get(username=COORD)), None)
    participants = {p.code: p for p in Participant.objects.filter(code__in=[partial, whole])}
    return team, participants[partial], participants[whole]


def _keys(instances) -> list[str]:
    return [(i.participant.code, i.visit, i.form, i.seq) for i in instances]


def test_only_whole_visits_and_repeating_entries_are_ready(site):
    _, partial, whole = site
    ready = _keys(signable(whole.site_id))
    assert ready == sorted(ready)  # in the order of their keys
    assert set(ready) == {(partial.code, "log", "ventilation_episode", 1),
                          (partial.code, "log", "ventilation_episode", 2),
                          (whole.code, "day1", "infusion", 1),
                          (whole.code, "day1", "vital_signs", 1)}
    # only the participants named (those with forms entered since the last session)
    assert {key[0] for key in _keys(signable(whole.site_id, participants={whole.pk}))} == {
        whole.code}
    # the final review: whatever is complete
    assert (partial.code, "day1", "vital_signs", 1) in _keys(
        signable(whole.site_id, whole_visits_only=False))


def test_a_session_signs_with_one_password_check_and_a_signature_per_form(site, monkeypatch):
    team, partial, whole = site
    checks = []
    original = User.check_password

    def counted(user, raw):
        checks.append(user.username)
        return original(user, raw)

    monkeypatch.setattr(User, "check_password", counted)
    assert sign_session(team, {INV: PASSWORD}, whole.site_id) == 4
    assert checks == [INV]
    assert Signature.objects.count() == 4 == AuditRecord.objects.filter(
        action="sign_form", actor=INV).count()
    assert list(FormInstance.objects.filter(signed=False).values_list(
        "participant__code", "visit", "form")) == [(partial.code, "day1", "vital_signs")]
    assert sign_session(team, {INV: PASSWORD}, whole.site_id) == 0  # nothing new: no password
    assert checks == [INV]
    assert sign_session(team, {INV: PASSWORD}, whole.site_id, whole_visits_only=False) == 1
    assert not FormInstance.objects.filter(signed=False).exists()
