"""The consent pages (issue 17): a representative's consent recorded on the participant's page
with its scan, the consent history, the later events, the dashboard's "ask for own consent"
task with its overdue flag, refusals naming the field, the upload limit, and Spanish."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from eligible import ELIGIBLE_VALUES, screening_form_data
from login import login_page_client

from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import Consent, ConsentEvent

NOW = dt.datetime(2026, 6, 15, 15, 0, tzinfo=dt.UTC)  # 10:00 in Bogotá
TODAY = NOW.date().isoformat()
SCAN = b"%PDF-1.4 signed consent form"
LAR_FORM = {"consent_date": TODAY, "consent_time": "10:00", "form_version": "1.0",
            "language": "es", "signer": "lar", "lar_name": "Ana Gómez",
            "lar_relationship": "esposa", "signer_can_read": "on", "witness_name": "",
            "obtained_by": "coordinator-co-01"}


@pytest.fixture(autouse=True)
def _still_clock(tmp_path, settings):
    settings.DATA_DIR = tmp_path
    with clock.use_clock(clock.SimulatedClock(NOW)) as still:
        yield still


def _screened(client) -> str:
    response = client.post("/screen/", screening_form_data(ELIGIBLE_VALUES))
    assert response.status_code == 302, response.content.decode()
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def test_a_representatives_consent_with_its_scan_then_the_participants_own(trial):
    client = login_page_client("investigator-co-01")
    code = _screened(client)
    page = client.get(f"/participants/{code}/").content.decode()
    assert 'name="lar_relationship"' in page and 'enctype="multipart/form-data"' in page
    response = client.post(f"/participants/{code}/", {
        **LAR_FORM, "document": SimpleUploadedFile("scan.pdf", SCAN)})
    assert response.status_code == 302, response.content.decode()
    consent = Consent.objects.get(participant__code=code)
    assert consent.obtained_by.username == "coordinator-co-01"
    assert consent.document_sha256 == hashlib.sha256(SCAN).hexdigest()
    stored = Path(settings.DATA_DIR) / consent.document_path
    assert stored.read_bytes() == SCAN and code not in stored.name
    history = client.get(f"/participants/{code}/consent/").content.decode()
    assert "Ana Gómez (esposa)" in history and consent.document_sha256 in history
    assert client.post(f"/participants/{code}/consent/capacity-regained/",
                       {"date": TODAY}).status_code == 302
    dashboard = client.get("/").content.decode()
    assert f'data-participant="{code}" data-overdue="no"' in dashboard
    with clock.use_clock(clock.SimulatedClock(NOW + dt.timedelta(days=8))):
        late = client.get("/").content.decode()
    assert f'data-participant="{code}" data-overdue="yes"' in late and "Overdue" in late
    assert client.post(f"/participants/{code}/consent/confirmation/",
                       {"date": TODAY, "note": "awake"}).status_code == 302
    assert 'id="consent-tasks"' not in client.get("/").content.decode()
    assert list(ConsentEvent.objects.filter(participant__code=code).values_list(
        "kind", flat=True)) == ["capacity_regained", "confirmed"]


def test_a_refused_consent_names_the_field_and_stores_nothing(trial):
    client = login_page_client("investigator-co-01")
    code = _screened(client)
    before = AuditRecord.objects.count()
    response = client.post(f"/participants/{code}/", {**LAR_FORM, "lar_relationship": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "is required when a legally authorized representative signs" in body
    response = client.post(f"/participants/{code}/", {
        **LAR_FORM, "document": SimpleUploadedFile("scan.pdf", b"not a pdf")})
    assert response.status_code == 422 and "must be a PDF, PNG or JPEG scan" in (
        response.content.decode())
    assert not Consent.objects.filter(participant__code=code).exists()
    assert AuditRecord.objects.count() == before


def test_a_scan_over_the_upload_limit_is_413_and_stores_nothing(trial, settings):
    settings.TRIALDESK_UPLOAD_MAX_BYTES = 100
    client = login_page_client("investigator-co-01")
    code = _screened(client)
    response = client.post(f"/participants/{code}/", {
        **LAR_FORM, "document": SimpleUploadedFile("scan.pdf", b"%PDF" + b"x" * 500)})
    assert response.status_code == 413
    assert not Consent.objects.filter(participant__code=code).exists()


def test_a_withdrawal_on_the_page(trial):
    client = login_page_client("investigator-co-01")
    code = _screened(client)
    client.post(f"/participants/{code}/", {**LAR_FORM, "signer": "participant", "lar_name": "",
                                           "lar_relationship": ""})
    response = client.post(f"/participants/{code}/consent/withdrawal/", {
        "date": TODAY, "level": "follow_up", "data_use": "no", "reason": "moving abroad"})
    assert response.status_code == 302
    page = client.get(f"/participants/{code}/consent/").content.decode()
    assert 'id="withdrawal"' in page and "From the follow-up visits" in page
    event = ConsentEvent.objects.get(participant__code=code)
    assert (event.level, event.data_use) == ("follow_up", False)


def test_a_monitor_reads_the_history_but_records_nothing(trial):
    investigator = login_page_client("investigator-co-01")
    code = _screened(investigator)
    investigator.post(f"/participants/{code}/", LAR_FORM)
    monitor = login_page_client("monitor")
    assert monitor.get(f"/participants/{code}/consent/").status_code == 200
    response = monitor.post(f"/participants/{code}/consent/capacity-regained/", {"date": TODAY})
    assert response.status_code == 403
    assert not ConsentEvent.objects.exists()
    # another site's investigator does not find the participant
    other = login_page_client("investigator-co-02")
    assert other.get(f"/participants/{code}/consent/").status_code == 404


def test_the_consent_pages_in_spanish(trial):
    client = login_page_client("investigator-co-01", language="es")
    code = _screened(client)
    page = client.get(f"/participants/{code}/").content.decode()
    assert "Parentesco o relación del representante con el paciente" in page
    client.post(f"/participants/{code}/", LAR_FORM)
    client.post(f"/participants/{code}/consent/capacity-regained/", {"date": TODAY})
    history = client.get(f"/participants/{code}/consent/").content.decode()
    assert f"Consentimiento de {code}" in history and "Capacidad recuperada" in history
    assert "El participante consiente" in history
    assert "Pedir el consentimiento propio" in client.get("/").content.decode()
