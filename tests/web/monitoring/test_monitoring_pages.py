"""Issue 16, monitoring pages: the monitor plans a visit, verifies a record and writes the visit
report on the pages, in English and in Spanish; other roles read or are refused."""

from __future__ import annotations

from pathlib import Path

from catalogues import marked_strings_of_app, msgids
from login import signed_in_client
from monitoring_kit import MONITOR, form_ref, participant_with_forms

import trialdesk.web.monitoring
from trialdesk.web.monitoring.models import Finding, MonitoringVisit, Verification

APP = Path(trialdesk.web.monitoring.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_every_marked_string_of_the_app_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    marked = marked_strings_of_app(APP, tmp_path, monkeypatch, settings)
    assert marked, "makemessages found no strings"
    assert marked <= msgids(PO), sorted(marked - msgids(PO))


def test_the_monitor_works_through_the_pages(trial):
    code = participant_with_forms(trial)
    page = signed_in_client(trial.users[MONITOR])
    overview = page.get("/monitoring/")
    assert overview.status_code == 200 and 'id="progress-sites"' in overview.content.decode()
    response = page.post("/monitoring/", {"site": "CO-01", "kind": "on_site",
                                          "planned_date": "2026-12-01", "monitor": MONITOR})
    visit = MonitoringVisit.objects.get()
    assert response.status_code == 302 and response.url == f"/monitoring/visits/{visit.pk}/"
    plan = page.get("/monitoring/plan/?site=CO-01").content.decode()
    assert f"{code} · consent<" in plan and "consent (100%)" in plan
    # a record by its visit's and form's names, not their codes (issue 19)
    assert " day0 " not in plan and "screening<" in plan
    ref = form_ref(code)
    record = page.get(f"/monitoring/records/form/{ref}/")
    assert record.status_code == 200 and 'name="fields"' in record.content.decode()
    page.post(f"/monitoring/records/form/{ref}/", {"visit": visit.pk, "status": "verified",
                                                  "fields": ["pao2", "fio2"]})
    assert set(Verification.objects.values_list("field", flat=True)) == {"pao2", "fio2"}
    page.post(f"/monitoring/visits/{visit.pk}/findings/", {
        "category": "source_documents", "severity": "minor", "text": "ICU chart pages unsigned"})
    assert Finding.objects.get().category == "source_documents"
    page.post(f"/monitoring/visits/{visit.pk}/action-items/", {
        "text": "Sign the chart pages", "owner": "ICU head nurse", "due_date": "2026-12-20"})
    shown = page.get(f"/monitoring/visits/{visit.pk}/").content.decode()
    assert "ICU chart pages unsigned" in shown and "ICU head nurse" in shown
    letter = page.get(f"/monitoring/visits/{visit.pk}/letter/")
    assert "Content-Disposition" not in letter and "Sign the chart pages" in letter.content.decode()
    assert page.get(f"/monitoring/visits/{visit.pk}/letter/?download=1")[
        "Content-Disposition"].startswith("attachment")


def test_the_pages_in_spanish(trial):
    code = participant_with_forms(trial)
    page = signed_in_client(trial.users[MONITOR])
    page.post("/i18n/setlang/", {"language": "es"})
    page.cookies["django_language"] = "es"
    overview = page.get("/monitoring/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Avance de la verificación de datos fuente" in overview
    assert "Planificar una visita" in overview
    plan = page.get("/monitoring/plan/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "consentimiento (100%)" in plan and "Plan de verificación" in plan
    assert "CO-01-0001 · consentimiento<" in plan and "selección<" in plan
    # a form's record by its visit's and form's names, not their codes (issue 19)
    record = page.get(f"/monitoring/records/form/{form_ref(code)}/",
                      HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<h1>CO-01-0001 · Día 0 (aleatorización) · Respiratorio</h1>" in record


def test_other_roles_on_the_pages(trial):
    code = participant_with_forms(trial)
    ref = form_ref(code)
    investigator = signed_in_client(trial.users["investigator-co-01"])
    assert investigator.get("/monitoring/").status_code == 403
    assert investigator.get(f"/monitoring/records/form/{ref}/").status_code == 404
    manager = signed_in_client(trial.users["data_manager"])
    assert manager.get("/monitoring/plan/").status_code == 200
    record = manager.get(f"/monitoring/records/form/{ref}/").content.decode()
    assert 'name="fields"' not in record  # reads, does not verify
    assert manager.post("/monitoring/", {"site": "CO-01", "kind": "remote",
                                         "planned_date": "2026-12-01"}).status_code == 403
    assert not MonitoringVisit.objects.exists()


def test_the_navigation_links_monitoring_for_its_readers_only(trial):
    link = 'href="/monitoring/"'
    for name, shown in (("monitor", True), ("data_manager", True),
                        ("investigator-co-01", False), ("pharmacist-co-01", False)):
        page = signed_in_client(trial.users[name]).get("/").content.decode()
        assert (link in page) is shown, name
