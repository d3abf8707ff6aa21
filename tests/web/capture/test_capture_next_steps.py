"""Issue 19, next steps after randomization: the participant page says what comes next and who
does it in every state data capture decides (awaiting dispensing, dispensed, infused, in
follow-up, completed, withdrawn, died), in English and in Spanish, with the state as a badge.
Whether the kit is dispensed is told only to a viewer who sees the arm (the pharmacy's timings
sort participants by arm): a blinded investigator reads the same page before and after."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from enrollment import CONSENT, enroll, randomize
from login import signed_in_client

from trialdesk.web.trials.models import Randomization

INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"
PHARMACIST = "pharmacist-co-01"
DSMB = "dsmb_statistician"


def _page(trial, username: str, code: str, language: str = "en") -> str:
    response = signed_in_client(trial.users[username], language=language).get(
        f"/participants/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def _next_step(page: str) -> str:
    section = re.search(r'<section id="next-step".*?</section>', page, re.S)
    assert section, "no next step on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group(0))).split())


def _badge(page: str) -> tuple[str, str]:
    found = re.search(r'<strong id="status"[^>]*><span class="badge badge-\w+" '
                      r'data-state="([a-z_]+)">([^<]+)</span>', page)
    assert found, "the status is no badge"
    return found.group(1), found.group(2)


def _infuse(trial, code: str, day: dt.date) -> None:
    kit = Randomization.objects.get(participant__code=code).slot.kit_code
    trial.api(COORDINATOR).ok("PUT", f"/api/v1/participants/{code}/visits/day1/forms/infusion",
                              {"values": {"kit_code": kit,
                                          "infusion_start": f"{day.isoformat()}T10:00",
                                          "infusion_end": f"{day.isoformat()}T11:00",
                                          "infusion_reaction": "no"}})


def _days_ago(days: int) -> dt.date:
    from django.utils import timezone

    return timezone.now().date() - dt.timedelta(days=days)


def test_before_dispensing_the_blinded_read_the_same_step_as_after(trial):
    code, kit = randomize(trial.api(INVESTIGATOR))
    before = _page(trial, INVESTIGATOR, code)
    told = _next_step(before)
    assert ("Next: the treatment once the pharmacy has dispensed the kit, recorded on the form "
            "Infusion at Day 1 (infusion).") in told
    assert "Day 1 (infusion)" in told and "You can do this here." in told
    assert _badge(before) == ("randomized", "Randomized")
    # the DSMB sees the arm: it is told the kit waits for the pharmacist
    unblinded = _page(trial, DSMB, code)
    assert f"Next: dispense kit {kit}." in _next_step(unblinded)
    assert "Waiting for: Pharmacist" in _next_step(unblinded)
    assert _badge(unblinded) == ("awaiting_dispensing", "Randomized, awaiting dispensing")
    trial.api(PHARMACIST).ok("POST", f"/api/v1/kits/{kit}/dispense", {"lot": "LOT-2026-01"})
    after = _page(trial, INVESTIGATOR, code)
    assert _next_step(after) == told and _badge(after) == _badge(before)
    dispensed = _page(trial, DSMB, code)
    assert ("Kit dispensed. Next: the treatment, recorded on the form Infusion at Day 1 "
            "(infusion).") in (
        _next_step(dispensed))
    assert _badge(dispensed) == ("dispensed", "Kit dispensed")


def test_once_infused_the_next_visit_is_named_with_its_day(trial):
    code, _kit = randomize(trial.api(INVESTIGATOR))
    _infuse(trial, code, _days_ago(0))
    page = _page(trial, COORDINATOR, code)
    told = _next_step(page)
    # nothing of the day-0 visit is entered yet: it is the next encounter
    assert "In follow-up. Next: Day 0 (randomization) (due), on" in told
    assert "You can do this here." in told
    assert _badge(page) == ("follow_up", "In follow-up")
    spanish = _page(trial, COORDINATOR, code, language="es")
    assert "En seguimiento. Siguiente: Día 0 (aleatorización) (pendiente), el" in (
        _next_step(spanish))
    assert _badge(spanish) == ("follow_up", "En seguimiento")


def test_in_follow_up_the_next_visit_is_the_first_still_to_take_place(trial):
    code, _kit = randomize(trial.api(INVESTIGATOR), days_ago=5)
    _infuse(trial, code, _days_ago(4))
    told = _next_step(_page(trial, INVESTIGATOR, code))
    target = _days_ago(5) + dt.timedelta(days=3)
    assert f"Next: Day 3 (overdue), on {target:%m/%d/%Y}." in told
    spanish = _next_step(_page(trial, INVESTIGATOR, code, language="es"))
    assert f"Siguiente: Día 3 (atrasada), el {target:%d/%m/%Y}." in spanish


def test_after_the_last_visit_the_data_manager_locks(trial):
    code, _kit = randomize(trial.api(INVESTIGATOR), days_ago=40)
    missing = _next_step(_page(trial, COORDINATOR, code))
    # a visit that took place stays asked for (the screening's own forms), and the
    # end-of-study record after its window, however late; the missed visits are not
    assert ("Visits over. Next: the forms still missing at Screening, Day 28 (end of study)."
            in missing)
    trial.api(COORDINATOR).ok("POST", f"/api/v1/participants/{code}/visits/screening/not-done",
                              {"reason": "screened on paper"})
    trial.api(COORDINATOR).ok(
        "PUT", f"/api/v1/participants/{code}/visits/day28/forms/end_of_study",
        {"values": {"vital_status_day28": "alive",
                    "last_contact_date": _days_ago(12).isoformat()}, "complete": True})
    page = _page(trial, COORDINATOR, code)
    told = _next_step(page)
    assert "Follow-up completed. Next: lock the participant's data once every form is signed." in (
        told)
    assert "Waiting for: Data manager." in told
    assert _badge(page) == ("completed", "Follow-up completed")
    spanish = _page(trial, COORDINATOR, code, language="es")
    assert _badge(spanish) == ("completed", "Seguimiento completado")
    assert "Siguiente: bloquear los datos del participante" in _next_step(spanish)


@pytest.mark.parametrize(("kind", "headline", "badge", "spanish"), [
    ("died", "Died: no further visits.", "Died", "Falleció: no hay más visitas."),
    ("withdrew", "Withdrawn: no further visits.", "Withdrawn", "Retirado: no hay más visitas."),
])
def test_after_a_death_or_a_withdrawal_the_closing_record_then_the_lock(
        trial, kind, headline, badge, spanish):
    code, _kit = randomize(trial.api(INVESTIGATOR), days_ago=3)
    trial.api(COORDINATOR).ok("POST", f"/api/v1/participants/{code}/discontinue",
                              {"kind": kind, "date": _days_ago(1).isoformat()})
    page = _page(trial, INVESTIGATOR, code)
    told = _next_step(page)
    assert f"{headline} Next: the closing record at Day 28 (end of study)." in told
    assert _badge(page)[1] == badge
    assert spanish in _next_step(_page(trial, INVESTIGATOR, code, language="es"))
    values = ({"vital_status_day28": "dead", "death_date": _days_ago(1).isoformat()}
              if kind == "died" else
              {"vital_status_day28": "alive", "last_contact_date": _days_ago(1).isoformat()})
    trial.api(COORDINATOR).ok(
        "PUT", f"/api/v1/participants/{code}/visits/day28/forms/end_of_study",
        {"values": values, "complete": True})
    assert f"{headline} Next: lock the participant's data once every form is signed." in (
        _next_step(_page(trial, INVESTIGATOR, code)))


def test_a_withdrawal_of_consent_from_follow_up_ends_the_visits(trial):
    code, _kit = randomize(trial.api(INVESTIGATOR), days_ago=3)
    trial.api(INVESTIGATOR).ok("POST", f"/api/v1/participants/{code}/consent/withdrawal",
                               {"date": CONSENT["consent_date"], "level": "follow_up",
                                "data_use": True})
    page = _page(trial, COORDINATOR, code)
    # no closing record after a withdrawal of consent: the lock is next
    assert "Withdrawn: no further visits. Next: lock the participant's data" in _next_step(page)
    assert _badge(page) == ("withdrawn", "Withdrawn")


def test_a_consent_withdrawn_before_randomization_ends_the_way(trial):
    code = enroll(trial.api(COORDINATOR))
    trial.api(COORDINATOR).ok("POST", f"/api/v1/participants/{code}/consent/withdrawal",
                              {"date": CONSENT["consent_date"], "level": "all_data",
                               "data_use": True})
    page = _page(trial, COORDINATOR, code)
    assert "Withdrawn before randomization: not to be randomized" in _next_step(page)
    assert "Waiting for" not in _next_step(page)
    spanish = _page(trial, COORDINATOR, code, language="es")
    assert "Retirado antes de la aleatorización" in _next_step(spanish)


def test_the_visits_page_says_the_same_next_step(trial):
    code, _kit = randomize(trial.api(INVESTIGATOR), days_ago=5)
    _infuse(trial, code, _days_ago(4))
    client = signed_in_client(trial.users[COORDINATOR], language="es")
    visits = client.get(f"/capture/participants/{code}/").content.decode()
    record = client.get(f"/participants/{code}/").content.decode()
    assert _next_step(visits) == _next_step(record)
    assert "En seguimiento. Siguiente: Día 3 (atrasada)" in _next_step(visits)
    assert 'data-state="follow_up">En seguimiento</span>' in visits
