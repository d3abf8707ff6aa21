"""The lock readiness page: the checklist with counts and links, a lock refused with the list
shown, the override requested by the data manager and confirmed by the principal investigator
on the page, in English and in Spanish; who may open it."""

from __future__ import annotations

import re

from capture_testkit import RESPIRATORY_OK, form_path
from login import login_page_client
from trial_factory import PASSWORD

from trialdesk.web.capture.models import Lock, LockOverride

READINESS = "/capture/locks/readiness/"
COORD, DM, PI = "coordinator-co-01", "data_manager", "principal_investigator"


def _count(body: str, check: str) -> int:
    match = re.search(rf'data-check="{check}" data-count="(\d+)"', body)
    assert match, check
    return int(match.group(1))


def _participant_with_items(ct) -> str:
    code = ct.randomize()
    ct.api(COORD).ok("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    ct.api(DM).ok("POST", form_path(code) + "/queries", {"field": "pao2", "text": "Check it"})
    return code


def test_the_page_shows_the_checklist_with_counts_and_links(ct):
    code = _participant_with_items(ct)
    manager = login_page_client(DM)
    body = manager.get(READINESS, {"participant": code}).content.decode()
    assert 'data-scope="participant"' in body and f"Participant {code}" in body
    assert _count(body, "open_queries") == 1 and _count(body, "unsigned_forms") == 1
    assert _count(body, "missing_forms") > 0
    assert 'href="/capture/queries/"' in body  # where the check's items are worked on
    assert f'href="/capture/participants/{code}/day0/respiratory/?seq=1"' in body
    assert 'id="override-request"' in body and 'id="lock-form"' not in body
    other = ct.randomize()
    database = manager.get(READINESS).content.decode()
    assert 'data-scope="database"' in database and _count(database, "open_queries") == 1
    # each participant's count, most first, linking to their own checklist
    rows = re.findall(r'<tr data-participant="([^"]+)"><td><a href="\?participant=[^"]+">'
                      r'[^<]+</a></td><td>(\d+)</td>', database)
    assert [code for code, _ in rows] == [code, other]
    # every item of capture's checks names its participant (other apps' checks may add more)
    assert int(rows[0][1]) >= sum(_count(body, check) for check in (
        "open_queries", "missing_forms", "unsigned_forms", "incomplete_forms"))


def test_a_refused_lock_shows_the_list_and_locks_nothing(ct):
    code = _participant_with_items(ct)
    response = login_page_client(DM).post(READINESS, {"action": "lock", "participant": code})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-reason="checklist_outstanding"' in body
    # an item names the visit, form and field in words (issue 19)
    assert f"{code} · Day 0 (randomization) · Respiratory PaO2<" in body
    assert _count(body, "open_queries") == 1
    assert not Lock.objects.exists()


def test_the_override_on_the_page_requested_then_confirmed_by_another_person(ct):
    code = _participant_with_items(ct)
    manager = login_page_client(DM)
    reason = "Site closed: the missing forms cannot be obtained"
    wrong = manager.post(READINESS, {"action": "request", "participant": code, "reason": reason,
                                     "password": "wrong"})
    assert wrong.status_code == 422 and not LockOverride.objects.exists()
    asked = manager.post(READINESS, {"action": "request", "participant": code, "reason": reason,
                                     "password": PASSWORD})
    assert asked.status_code == 302
    override = LockOverride.objects.get()
    # the data manager sees it pending, without the means to confirm it
    body = manager.get(READINESS).content.decode()
    assert f'data-override="{override.pk}"' in body and 'value="confirm"' not in body
    investigator = login_page_client(PI)
    body = investigator.get(READINESS).content.decode()
    assert f'data-override="{override.pk}"' in body and 'value="confirm"' in body
    assert 'id="override-request"' not in body  # the PI does not request
    refused = investigator.post(READINESS, {"action": "confirm", "override": override.pk,
                                            "password": "wrong"})
    assert refused.status_code == 422 and not Lock.objects.exists()
    done = investigator.post(READINESS, {"action": "confirm", "override": override.pk,
                                         "password": PASSWORD})
    assert done.status_code == 302
    lock = Lock.objects.get()
    assert lock.participant.code == code and lock.override.pk == override.pk
    body = investigator.get(READINESS).content.decode()
    assert 'id="recent-overrides"' in body and "confirmed and locked" in body


def test_the_page_in_spanish(ct):
    code = _participant_with_items(ct)
    body = login_page_client(DM, language="es").get(
        READINESS, {"participant": code}).content.decode()
    for text in ("Preparación para el bloqueo", "Consultas abiertas",
                 "Formularios sin firmar", "Formularios esperados que faltan",
                 "Eventos adversos graves sin resolver o sin reportar",
                 "Bloquear pese a los elementos pendientes (excepción)",
                 "Su contraseña (firma electrónica)"):
        assert text in body, text
    refused = login_page_client(DM, language="es").post(
        READINESS, {"action": "lock", "participant": code}).content.decode()
    assert "Se rechazó el bloqueo" in refused
    # items by the visit's, form's and field's names, details in words (issue 19)
    text = re.sub(r'href="[^"]*"', "", body)
    assert f"{code} · Día 0 (aleatorización) · Respiratorio PaO2<" in text
    assert "· centro CO-01<" in text and f"{code}/day0/" not in text and "site CO" not in text


def test_only_the_data_manager_and_the_principal_investigator_open_it(ct):
    for username in (COORD, "investigator-co-01", "monitor", "analyst", "pharmacist-co-01",
                     "dsmb_statistician", "admin"):
        assert login_page_client(username).get(READINESS).status_code == 403, username
    for username in (DM, PI):
        assert login_page_client(username).get(READINESS).status_code == 200, username


def test_the_locks_page_shows_a_refusal_with_the_list(ct):
    code = _participant_with_items(ct)
    manager = login_page_client(DM)
    response = manager.post("/capture/locks/", {"scope": "participant", "participant": code})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-reason="checklist_outstanding"' in body and _count(body, "open_queries") == 1
    assert 'id="override-request"' in body and f'value="{code}"' in body
    # a form's refusal: its list, and no participant override offered in its place
    response = manager.post("/capture/locks/", {"scope": "form", "participant": code,
                                                "visit": "day0", "form": "respiratory"})
    body = response.content.decode()
    assert response.status_code == 409 and f"{code} · Day 0 (randomization) · Respiratory" in body
    assert _count(body, "unsigned_forms") == 1 and 'id="override-request"' not in body
    assert not Lock.objects.exists()
