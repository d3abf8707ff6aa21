"""Issue 15: the safety pages: report, case (clocks in the site's time zone, next actions),
follow-up, correction, coding queue and the pooled overview; who may open which; in Spanish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from catalogues import marked_strings_of_app, msgids
from login import signed_in_client
from safety_kit import INVESTIGATOR, randomized, report

import trialdesk.web.safety
from trialdesk.web.safety.models import AdverseEvent

APP = Path(trialdesk.web.safety.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def test_every_marked_string_of_the_app_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    marked = marked_strings_of_app(APP, tmp_path, monkeypatch, settings)
    assert marked, "makemessages found no strings"
    assert marked <= msgids(PO), sorted(marked - msgids(PO))


def test_an_investigator_reports_follows_up_and_resolves_on_the_pages(trial):
    code = randomized(trial)
    client = signed_in_client(trial.users[INVESTIGATOR])
    assert code in client.get("/safety/report/").content.decode()
    response = client.post("/safety/report/", {
        "participant": code, "term": "Pneumonia", "onset_date": _today(), "grade": "3",
        "hospitalization": "on", "relatedness": "unlikely", "expectedness": "unknown",
        "action_taken": "treatment_given", "outcome": "recovering"})
    assert response.status_code == 302, response.content.decode()
    event = AdverseEvent.objects.get()
    page = client.get(f"/safety/events/{event.pk}/").content.decode()
    assert "America/Bogota" in page and 'data-kind="sae_to_sponsor"' in page
    assert "follow-up until resolved" in page
    response = client.post(f"/safety/events/{event.pk}/follow-up/", {
        "kind": "follow_up", "text": "Discharged", "outcome": "recovered", "resolved": "on"})
    assert response.status_code == 422  # the end date is needed to resolve
    assert "is required to resolve the event" in response.content.decode()
    response = client.post(f"/safety/events/{event.pk}/follow-up/", {
        "kind": "follow_up", "text": "Discharged", "outcome": "recovered", "resolved": "on",
        "end_date": _today()})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == "resolved"
    # a correction needs its reason
    values = {"term": "Pneumonia", "onset_date": _today(), "grade": "2", "hospitalization": "on",
              "relatedness": "unlikely", "expectedness": "unknown",
              "action_taken": "treatment_given", "outcome": "recovered", "end_date": _today()}
    assert client.post(f"/safety/events/{event.pk}/edit/", values).status_code == 422
    response = client.post(f"/safety/events/{event.pk}/edit/",
                           {**values, "reason": "grade 2 on review"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.grade == 2


def test_who_may_open_which_page(trial):
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", "/api/v1/safety/adverse-events", report(code))
    pages = ["/safety/", "/safety/summary/", f"/safety/events/{event['id']}/"]
    for username in (INVESTIGATOR, "coordinator-co-01", "monitor", "data_manager"):
        client = signed_in_client(trial.users[username])
        for path in pages:
            assert client.get(path).status_code == 200, (username, path)
    assert signed_in_client(trial.users["monitor"]).get("/safety/report/").status_code == 403
    assert signed_in_client(trial.users[INVESTIGATOR]).get("/safety/coding/").status_code == 403
    other = signed_in_client(trial.users["investigator-co-02"])
    assert other.get(f"/safety/events/{event['id']}/").status_code == 404
    assert "Headache" not in other.get("/safety/").content.decode()
    assert signed_in_client(trial.users["pharmacist-co-01"]).get("/safety/").status_code == 403


def test_the_data_manager_codes_from_the_queue_page(trial):
    code = randomized(trial)
    event = trial.api(INVESTIGATOR).ok("POST", "/api/v1/safety/adverse-events",
                                       report(code, term="Head ache"))
    client = signed_in_client(trial.users["data_manager"])
    assert "Head ache" in client.get("/safety/coding/").content.decode()
    response = client.post("/safety/coding/", {"event": event["id"], "llt_code": "10019211",
                                               "pt_code": "10019211", "pt_name": "Headache"})
    assert response.status_code == 302
    assert "Head ache" not in client.get("/safety/coding/").content.decode()


def test_the_pages_in_spanish(trial):
    code = randomized(trial)
    trial.api(INVESTIGATOR).ok("POST", "/api/v1/safety/adverse-events",
                               report(code, grade=3, hospitalization=True))
    client = signed_in_client(trial.users[INVESTIGATOR], language="es")
    listing = client.get("/safety/").content.decode()
    assert "Eventos adversos" in listing and "seguimiento hasta la resolución" in listing
    overview = client.get("/safety/summary/").content.decode()
    assert "Resumen de seguridad (agrupado)" in overview
    assert "ninguna cifra de esta página es por grupo de tratamiento" in overview
