"""A site's status in the write path (issue 24's gap): a site that is not active neither screens,
consents nor randomizes, and says so naming the site and its status; the patients it already has
are followed as before (forms, adverse events, queries, withdrawal). A refusal writes nothing and
tells nothing about any arm. The rule itself: tests/test_site_status.py."""

from __future__ import annotations

import datetime as dt

import pytest
from eligible import ELIGIBLE_VALUES, screening_form_data
from enrollment import CONSENT, enroll, randomize, screen
from login import signed_in_client
from trial_factory import make_trial

from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import AuditRecord, Site
from trialdesk.web.trials import actions
from trialdesk.web.trials.models import (
    AllocationSlot,
    Consent,
    Participant,
    Randomization,
    RestrictedAllocationLog,
    ScreeningRecord,
    StratumCursor,
)
from trialdesk.web.trials.site_rules import SiteNotActive

INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"
PARTICIPANTS = "/api/v1/participants"
MODERATE = {**ELIGIBLE_VALUES, "pao2": 150}  # the other stratum (P/F 187.5)
RESPIRATORY = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


def _set_status(trial, status: str, code: str = "CO-01") -> None:
    response = trial.api("admin").post(f"/api/v1/sites/{code}/status", {
        "status": status, "reason": f"Sponsor's decision: the site is {status}."})
    assert response.status_code == 200, response.content


def _stored() -> dict[str, object]:
    """Everything an enrolment writes, counted: a refusal must leave all of it as it was."""
    return {
        "participants": Participant.objects.count(),
        "screenings": ScreeningRecord.objects.count(),
        "consents": Consent.objects.count(),
        "randomizations": Randomization.objects.count(),
        "used_slots": AllocationSlot.objects.filter(used=True).count(),
        "restricted_log": RestrictedAllocationLog.objects.count(),
        "cursors": sorted(StratumCursor.objects.values_list("stratum", "allocated")),
        "audit": AuditRecord.objects.count(),
    }


def _refusal(activity: str, status: str = "closed") -> dict[str, str]:
    return {"error": "site_not_active",
            "detail": f"site CO-01 is {status}: {activity} is open only at an active site"}


@pytest.fixture
def planned_trial(db, settings):
    """The trial as the server stores it before any site is activated."""
    return make_trial(settings, open_sites=False)


@pytest.mark.parametrize("status", ["closed", "planned"])
def test_screening_is_refused_at_a_site_that_is_not_active_and_nothing_is_stored(
        trial, status):
    if status == "closed":
        _set_status(trial, "closed")
    else:  # the server stores a site planned; nothing reopens a site to planned
        Site.objects.filter(code="CO-01").update(status="planned", activated_on=None)
    before = _stored()
    response = trial.api(INVESTIGATOR).post(PARTICIPANTS, {"values": ELIGIBLE_VALUES})
    assert response.status_code == 409, response.content
    assert response.json() == _refusal("screening", status)
    assert _stored() == before
    # the other sites are not affected
    assert screen(trial.api("investigator-co-02"))["code"] == "CO-02-0001"


def test_a_server_stores_its_sites_planned_and_screens_nowhere_until_one_is_activated(
        planned_trial):
    investigator = planned_trial.api(INVESTIGATOR)
    assert investigator.post(PARTICIPANTS, {"values": ELIGIBLE_VALUES}).status_code == 409
    _set_status(planned_trial, "active")
    assert screen(investigator)["code"] == "CO-01-0001"


def test_consent_is_refused_at_a_closed_site_and_nothing_is_stored(trial):
    code = screen(trial.api(INVESTIGATOR))["code"]
    _set_status(trial, "closed")
    before = _stored()
    response = trial.api(INVESTIGATOR).post(f"{PARTICIPANTS}/{code}/consent", CONSENT)
    assert response.status_code == 409, response.content
    assert response.json() == _refusal("consent")
    assert _stored() == before


def test_randomization_is_refused_at_a_closed_site_without_using_a_slot(trial):
    investigator = trial.api(INVESTIGATOR)
    codes = [enroll(investigator), enroll(investigator, MODERATE)]  # one in each stratum
    next_slots = {stratum: AllocationSlot.objects.filter(stratum=stratum, used=False)
                  .order_by("sequence").first().kit_code
                  for stratum in ScreeningRecord.objects.values_list("stratum", flat=True)}
    _set_status(trial, "closed")
    before = _stored()
    answers = [investigator.post(f"{PARTICIPANTS}/{code}/randomize", {}) for code in codes]
    assert [a.status_code for a in answers] == [409, 409]
    # the same words for every participant of the site: nothing about a stratum or an arm
    assert [a.json() for a in answers] == [_refusal("randomization")] * 2
    assert answers[0].content == answers[1].content
    assert _stored() == before
    _set_status(trial, "active")  # reopened: each takes the slot it would have taken
    kits = [investigator.post(f"{PARTICIPANTS}/{code}/randomize", {}).json()["kit_code"]
            for code in codes]
    strata = [ScreeningRecord.objects.get(participant__code=code).stratum for code in codes]
    assert kits == [next_slots[stratum] for stratum in strata]


def test_a_retry_of_a_randomization_made_before_the_site_closed_returns_its_result(trial):
    investigator = trial.api(INVESTIGATOR)
    code = enroll(investigator)
    first = investigator.post(f"{PARTICIPANTS}/{code}/randomize",
                              {"idempotency_key": "before-closing-01"})
    _set_status(trial, "closed")
    again = investigator.post(f"{PARTICIPANTS}/{code}/randomize",
                              {"idempotency_key": "before-closing-01"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["kit_code"] == first.json()["kit_code"]
    # without the key it is a new request, refused for the site before anything else
    assert investigator.post(f"{PARTICIPANTS}/{code}/randomize", {}).json() == _refusal(
        "randomization")


def test_the_rule_is_enforced_in_the_actions_not_only_by_the_api(trial):
    actor = actor_for(trial.users[INVESTIGATOR])
    participant = actions.do_screen(actor, values=ELIGIBLE_VALUES)
    actions.do_consent(actor, participant, form_version="1.0",
                       consent_date=dt.date.fromisoformat(CONSENT["consent_date"]))
    _set_status(trial, "closed")
    before = _stored()
    with pytest.raises(SiteNotActive) as refused:
        actions.do_randomize(actor, participant)
    assert (refused.value.site, refused.value.status, refused.value.reason) == (
        "CO-01", "closed", "site_not_active")
    with pytest.raises(SiteNotActive):
        actions.do_screen(actor, values=ELIGIBLE_VALUES)
    assert _stored() == before


def test_a_closed_site_still_follows_its_patients(trial):
    """Forms, an adverse event, a query raised and answered, a screening correction and a
    withdrawal, all for a patient randomized before the site closed."""
    code, _ = randomize(trial.api(INVESTIGATOR))
    _set_status(trial, "closed")
    coordinator, investigator = trial.api(COORDINATOR), trial.api(INVESTIGATOR)
    form = f"{PARTICIPANTS}/{code}/visits/day0/forms/respiratory"
    saved = coordinator.put(form, {"values": RESPIRATORY, "complete": True})
    assert saved.status_code in (200, 201), saved.content
    event = investigator.post("/api/v1/safety/adverse-events", {
        "participant": code, "term": "Pneumonia", "onset_date": CONSENT["consent_date"],
        "grade": 3, "hospitalization": True, "relatedness": "unlikely"})
    assert event.status_code == 201, event.content
    query = trial.api("data_manager").post(f"{form}/queries", {
        "field": "pao2", "text": "Is the PaO2 from the same blood gas?"})
    assert query.status_code == 201, query.content
    answer = coordinator.post(f"/api/v1/queries/{query.json()['id']}/answer", {
        "text": "corrected", "correction": {"pao2": 85},
        "reason": "PaO2 corrected from the blood gas print-out"})
    assert answer.status_code == 200, answer.content
    participant = Participant.objects.get(code=code)
    record = actions.do_correct_screening(actor_for(trial.users[INVESTIGATOR]), participant,
                                          values={"age": 55},
                                          reason="age misread from the admission sheet")
    assert record.values["age"] == 55
    withdrawal = investigator.post(f"{PARTICIPANTS}/{code}/consent/withdrawal", {
        "date": CONSENT["consent_date"], "level": "follow_up", "data_use": True})
    assert withdrawal.status_code == 201, withdrawal.content


@pytest.mark.parametrize(("language", "words"), [
    ("en", "Site CO-01 is closed: patients are screened only at an active site."),
    ("es", "El centro CO-01 está cerrado: solo un centro activo tamiza pacientes."),
])
def test_the_screening_page_shows_the_refusal_beside_the_form(trial, language, words):
    _set_status(trial, "closed")
    client = signed_in_client(trial.users[INVESTIGATOR], language=language)
    before = _stored()
    response = client.post("/screen/", screening_form_data(ELIGIBLE_VALUES))
    assert response.status_code == 409
    body = response.content.decode()
    assert words in body
    assert 'id="screening-form"' in body  # the form, with what was typed, stays
    assert _stored() == before


def test_the_screening_page_says_so_before_anything_is_typed(trial):
    client = signed_in_client(trial.users[INVESTIGATOR], language="en")
    assert 'id="site-notice"' not in client.get("/screen/").content.decode()
    _set_status(trial, "suspended")
    page = client.get("/screen/").content.decode()
    assert "Site CO-01 is suspended: patients are screened only at an active site." in page
    # the staff of another site see no notice
    other = signed_in_client(trial.users["investigator-co-02"], language="en")
    assert 'id="site-notice"' not in other.get("/screen/").content.decode()


def test_the_consent_and_randomization_pages_show_the_refusal(trial):
    investigator = trial.api(INVESTIGATOR)
    screened = screen(investigator)["code"]
    consented = enroll(investigator)
    _set_status(trial, "closed")
    client = signed_in_client(trial.users[INVESTIGATOR], language="es")
    before = _stored()
    response = client.post(f"/participants/{screened}/", {
        "consent_date": CONSENT["consent_date"], "form_version": "1.0", "language": "es",
        "signer": "participant", "signer_can_read": "on"})
    assert response.status_code == 409
    assert "El centro CO-01 está cerrado: solo en un centro activo se registra el " \
           "consentimiento." in response.content.decode()
    response = client.post(f"/participants/{consented}/randomize/",
                           {"idempotency_key": "page-closed-site-01", "confirm": "on"},
                           follow=True)
    assert "El centro CO-01 está cerrado: solo un centro activo aleatoriza pacientes." in (
        response.content.decode())
    assert _stored() == before


def test_a_suspended_site_enrols_no_one_until_the_suspension_is_lifted(trial):
    investigator = trial.api(INVESTIGATOR)
    consented = enroll(investigator)
    opened_on = Site.objects.get(code="CO-01").activated_on
    _set_status(trial, "suspended")
    before = _stored()
    screened = investigator.post(PARTICIPANTS, {"values": ELIGIBLE_VALUES})
    randomized = investigator.post(f"{PARTICIPANTS}/{consented}/randomize", {})
    assert [screened.json(), randomized.json()] == [_refusal("screening", "suspended"),
                                                    _refusal("randomization", "suspended")]
    assert _stored() == before
    # lifting it keeps the day the site opened: a new day is refused, naming the field
    admin = trial.api("admin")
    moved = admin.post("/api/v1/sites/CO-01/status", {
        "status": "active", "reason": "Finding resolved.", "activated_on": "2020-01-13"})
    assert moved.status_code == 422 and "activated_on" in moved.content.decode()
    assert AuditRecord.objects.count() == before["audit"]
    _set_status(trial, "active")
    assert Site.objects.get(code="CO-01").activated_on == opened_on
    assert investigator.post(f"{PARTICIPANTS}/{consented}/randomize", {}).status_code == 201


@pytest.mark.parametrize(("old", "new", "answer"), [
    ("suspended", "suspended", 409), ("suspended", "closed", 200), ("closed", "suspended", 409)])
def test_the_changes_to_and_from_suspended(trial, old, new, answer):
    _set_status(trial, old)
    response = trial.api("admin").post("/api/v1/sites/CO-01/status", {
        "status": new, "reason": "Sponsor's decision."})
    assert response.status_code == answer, response.content
    if answer == 409:
        assert response.json()["detail"] == f"site CO-01 is {old}: it cannot become {new}"


def test_the_administrators_site_page_suspends_a_site_and_names_the_status(trial):
    admin = signed_in_client(trial.users["admin"], language="es")
    suspended = admin.post("/administration/sites/CO-01/status",
                           {"status": "suspended", "reason": "Hallazgo de monitoreo."})
    assert suspended.status_code == 302, suspended.content.decode()
    assert Site.objects.get(code="CO-01").status == "suspended"
    assert 'data-state="suspended">suspendido</span>' in admin.get(
        "/administration/sites/CO-01/").content.decode()
    assert trial.api(INVESTIGATOR).post(PARTICIPANTS, {"values": ELIGIBLE_VALUES}).json() == (
        _refusal("screening", "suspended"))
