"""Every participant page says what comes next and who does it; a failing eligibility criterion
is highlighted with the values its rule read (issue 19)."""

from __future__ import annotations

import re

from eligible import ELIGIBLE_VALUES
from enrollment import enroll, screen
from login import signed_in_client


def _page(trial, username: str, code: str, language: str = "en") -> str:
    response = signed_in_client(trial.users[username], language=language).get(
        f"/participants/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def _next_step(page: str) -> str:
    section = re.search(r'<section id="next-step".*?</section>', page, re.S)
    assert section, "no next step on the page"
    return re.sub(r"<[^>]+>", "", section.group(0))


def test_after_consent_the_coordinator_is_told_the_investigator_randomizes(trial):
    code = enroll(trial.api("coordinator-co-01"))
    told = _next_step(_page(trial, "coordinator-co-01", code))
    assert "Next: randomize the participant." in told
    assert "Waiting for: Investigator." in told
    own = _next_step(_page(trial, "investigator-co-01", code))
    assert "You can do this here." in own


def test_an_eligible_patient_waits_for_consent_in_both_languages(trial):
    code = screen(trial.api("coordinator-co-01"))["code"]
    assert "Next: record consent" in _next_step(_page(trial, "coordinator-co-01", code))
    spanish = _next_step(_page(trial, "coordinator-co-01", code, language="es"))
    assert "Siguiente: registrar el consentimiento" in spanish


def test_a_failing_criterion_is_highlighted_with_the_value_that_failed(trial):
    code = screen(trial.api("coordinator-co-01"), {**ELIGIBLE_VALUES, "age": 16})["code"]
    page = _page(trial, "coordinator-co-01", code)
    failing = re.findall(r'<li class="bad failing-criterion">(.*?)</li>', page, re.S)
    assert len(failing) == 1, failing
    assert "Age 18 years or older" in failing[0]
    assert re.search(r"Age[^:]*: 16 years", failing[0]), failing[0]
    assert "nothing more to do" in _next_step(page)
    # the criteria that hold are not highlighted
    assert page.count("failing-criterion") == 1


def test_the_next_step_is_the_same_whatever_the_arm(trial):
    """The text depends on the participant's state only: two randomized participants of
    different arms read the same to a blinded investigator."""
    from enrollment import randomize

    from trialdesk.web.trials.models import AllocationSlot

    investigator = trial.api("investigator-co-01")
    seen = {}
    for _ in range(6):
        code, kit = randomize(investigator)
        arm = AllocationSlot.objects.get(kit_code=kit).arm
        seen.setdefault(arm, _next_step(_page(trial, "investigator-co-01", code)))
    assert len(seen) == 2 and len(set(seen.values())) == 1


def test_before_randomization_each_state_reads_in_spanish_with_its_badge(trial):
    coordinator = trial.api("coordinator-co-01")
    failed = screen(coordinator, {**ELIGIBLE_VALUES, "age": 16})["code"]
    page = _page(trial, "coordinator-co-01", failed, language="es")
    assert "No elegible: el tamizaje termina aquí" in _next_step(page)
    assert '<span class="badge badge-bad" data-state="screen_failed">No elegible</span>' in page
    [failing] = re.findall(r'<li class="bad failing-criterion">(.*?)</li>', page, re.S)
    assert re.search(r"Edad[^:]*: 16 años", failing), failing
    consented = enroll(coordinator)
    page = _page(trial, "coordinator-co-01", consented, language="es")
    told = _next_step(page)
    assert "Siguiente: aleatorizar al participante." in told
    assert "En espera de: Investigador." in told
    assert 'data-state="consented">Con consentimiento</span>' in page
