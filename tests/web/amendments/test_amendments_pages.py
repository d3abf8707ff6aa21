"""The amendment pages in English and Spanish: the versions, a version's changes grouped by
category, the approval form (the administrator's), and who sees them."""

from __future__ import annotations

import datetime as dt

from amendment_kit import amended_text
from login import signed_in_client

TODAY = dt.datetime.now(dt.UTC).date()


def record_amendment(trial) -> None:
    from trialdesk.web.amendments.actions import do_amend_protocol
    from trialdesk.web.core.actor import actor_for

    do_amend_protocol(actor_for(trial.users["admin"]), amended_text(),
                      effective_date=TODAY, reason="Amendment 1")


def test_the_versions_and_a_version_grouped_by_category_in_english(trial):
    record_amendment(trial)
    admin = signed_in_client(trial.users["admin"], "en")
    listed = admin.get("/amendments/").content.decode()
    assert "Protocol amendments" in listed and 'data-version="2"' in listed
    assert 'href="/amendments/"' in admin.get("/").content.decode()  # the nav link
    page = admin.get("/amendments/2/").content.decode()
    for category, label in (("field_added", "Fields added"), ("range_changed", "Ranges changed"),
                            ("visit_added", "Visits added"),
                            ("consent_changed", "Consent changed")):
        assert f'data-category="{category}"' in page and label in page
    assert "forms.respiratory.fields.pao2.range.max" in page
    assert 'id="approval-form"' in page


def test_the_approval_form_records_an_approval_and_refuses_a_future_date(trial):
    record_amendment(trial)
    admin = signed_in_client(trial.users["admin"], "en")
    future = admin.post("/amendments/2/approve/", {
        "site": "CO-01", "approval_date": (TODAY + dt.timedelta(days=2)).isoformat()})
    assert future.status_code == 422
    assert "must not be in the future" in future.content.decode()
    done = admin.post("/amendments/2/approve/", {"site": "CO-01",
                                                 "approval_date": TODAY.isoformat()})
    assert done.status_code == 302
    listed = admin.get("/amendments/").content.decode()
    assert '<tr data-site="CO-01"><td>CO-01</td><td>2</td></tr>' in listed
    assert '<tr data-site="CO-02"><td>CO-02</td><td>1</td></tr>' in listed


def test_the_pages_in_spanish(trial):
    record_amendment(trial)
    admin = signed_in_client(trial.users["admin"], "es")
    listed = admin.get("/amendments/").content.decode()
    assert "Enmiendas del protocolo" in listed and "Versión vigente en cada centro" in listed
    page = admin.get("/amendments/2/").content.decode()
    for label in ("Campos añadidos", "Rangos modificados", "Visitas añadidas",
                  "Consentimiento modificado", "Registrar la aprobación"):
        assert label in page
    assert "+ visits.day21: Día 21" in page  # the change itself in the reader's language


def test_readers_see_the_pages_without_the_form_and_others_are_refused(trial):
    record_amendment(trial)
    investigator = signed_in_client(trial.users["investigator-co-01"], "en")
    page = investigator.get("/amendments/2/")
    assert page.status_code == 200 and 'id="approval-form"' not in page.content.decode()
    assert investigator.post("/amendments/2/approve/", {
        "site": "CO-01", "approval_date": TODAY.isoformat()}).status_code == 403
    assert signed_in_client(trial.users["pharmacist-co-01"]).get(
        "/amendments/").status_code == 403
    assert signed_in_client(trial.users["admin"]).get("/amendments/7/").status_code == 404
