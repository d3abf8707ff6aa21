"""The log's pages, in English and Spanish: report through the form (a refusal shown on its field,
nothing stored), the list with its filters and the overdue mark, the detail with its history, the
CAPA and closing through the forms, and the CSV with formulas defused."""

from __future__ import annotations

import csv
import io

from deviation_kit import LOG, body, days_ago, today
from enrollment import randomize
from login import signed_in_client

from trialdesk.web.deviations.models import Deviation


def _form(code: str = "", **values) -> dict:
    report = {"site": "CO-01", "participant": code, "category": "procedure_not_done",
              "severity": "minor", "description": "Day 3 SOFA score not taken",
              "occurred_on": days_ago(1), "discovery_method": "data_review", **values}
    return {k: v for k, v in report.items() if v is not None}


def test_report_through_the_page_then_capa_and_close(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    coordinator = signed_in_client(trial.users["coordinator-co-01"])
    form = coordinator.get("/deviations/report/").content.decode()
    assert 'id="blinding-warning"' in form and "Details that may unblind" in form
    answer = coordinator.post("/deviations/report/", _form(code))
    deviation = Deviation.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/deviations/{deviation.pk}/"
    detail = coordinator.get(answer["Location"]).content.decode()
    assert "Day 3 SOFA score not taken" in detail and "report_deviation" in detail
    changed = coordinator.post(f"/deviations/{deviation.pk}/edit/", {
        **_form(code), "corrective_action": "Score computed from the chart",
        "preventive_action": "SOFA added to the day-3 checklist",
        "capa_completed_on": today(), "reason": "CAPA done at the site"})
    assert changed.status_code == 302, changed.content.decode()[:2000]
    monitor = signed_in_client(trial.users["monitor"])
    closed = monitor.post(f"/deviations/{deviation.pk}/close/", {"reason": "Verified on site"})
    assert closed.status_code == 302
    assert Deviation.objects.get(pk=deviation.pk).status == "closed"
    assert "closed" in monitor.get(f"/deviations/{deviation.pk}/").content.decode()


def test_a_refused_report_shows_the_rule_on_its_field_and_stores_nothing(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    coordinator = signed_in_client(trial.users["coordinator-co-01"])
    answer = coordinator.post("/deviations/report/", _form(code, occurred_on="2999-01-01"))
    assert answer.status_code == 422
    assert "must not be in the future" in answer.content.decode()
    assert not Deviation.objects.exists()


def test_closing_too_early_lists_what_is_missing(trial):
    created = trial.api("monitor").ok("POST", LOG, body(None, site="CO-01", severity="major"))
    monitor = signed_in_client(trial.users["monitor"])
    page = monitor.get(f"/deviations/{created['id']}/").content.decode()
    assert 'data-field="capa_completed_on"' in page and 'data-field="ethics_reported_on"' in page
    refused = monitor.post(f"/deviations/{created['id']}/close/", {"reason": "Closing it now"})
    assert refused.status_code == 409 and "capa_incomplete" not in refused.content.decode()
    assert Deviation.objects.get().status == "open"


def test_the_pages_in_spanish(trial):
    created = trial.api("monitor").ok("POST", LOG, body(
        None, site="CO-01", severity="major", category="consent",
        discovered_on=days_ago(30), occurred_on=days_ago(31)))
    client = signed_in_client(trial.users["monitor"], language="es")
    listing = client.get("/deviations/").content.decode()
    assert "Desviaciones del protocolo" in listing and "Consentimiento informado" in listing
    # the overdue ethics report, marked and in Spanish (whichever app's catalogue says it)
    assert '<strong class="bad">' in listing and ">overdue<" not in listing
    assert ">mayor<" in listing
    detail = client.get(f"/deviations/{created['id']}/").content.decode()
    assert "Reporte al comité de ética" in detail and "Historial" in detail
    assert "Una desviación que puede afectar los derechos" in detail  # the protocol's definition
    form = client.get("/deviations/report/").content.decode()
    assert "Reportar una desviación" in form and "Detalles que pueden desenmascarar" in form


def test_the_csv_export_defuses_formulas_and_names_no_arm_column_for_blinded_roles(trial):
    trial.api("monitor").ok("POST", LOG, body(None, site="CO-01",
                                              description="=HYPERLINK(\"http://x\")"))
    answer = signed_in_client(trial.users["monitor"]).get("/deviations/export.csv")
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].startswith('attachment; filename="deviations-')
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert "unblinding_details" not in rows[0]
    assert rows[1][rows[0].index("description")] == "'=HYPERLINK(\"http://x\")"
    dsmb = list(csv.reader(io.StringIO(signed_in_client(
        trial.users["dsmb_statistician"]).get("/deviations/export.csv").content.decode())))
    assert dsmb[0][-1] == "unblinding_details"


def test_the_navigation_links_the_log_for_those_who_report_or_read_it(trial):
    link = 'href="/deviations/"'
    for name, shown in (("monitor", True), ("data_manager", True),
                        ("investigator-co-01", True), ("coordinator-co-01", True),
                        ("pharmacist-co-01", False)):
        page = signed_in_client(trial.users[name]).get("/").content.decode()
        assert (link in page) is shown, name
