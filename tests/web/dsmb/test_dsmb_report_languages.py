"""Issue 19, the DSMB report in the reader's language: one generation's figures rendered in
English and in Spanish, each document stored with its own SHA-256 (the open report's hashes in
the audit trail), a Spanish-speaking DSMB member reading, downloading and checking the Spanish
one; the meeting page's decisions, responses and signing statement in Spanish."""

from __future__ import annotations

import hashlib
import re

import pytest
from dsmb_kit import DSMB, MEETINGS, SPONSOR, add_event, days_ago, participants
from login import signed_in_client

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.dsmb.models import Report, ReportDocument

SPANISH_HEADINGS = {
    "open": ["INFORME DE LA SESIÓN ABIERTA DEL DSMB", "Participantes aleatorizados",
             # the enrollment plot's title, axes and legend
             "Inclusión hasta el corte de datos", "Fecha de aleatorización",
             "Aleatorizados (acumulado)", "Todos los centros",
             "Participantes con eventos adversos (todos los participantes)",
             "Cualquier evento adverso", "Evento adverso grave", "Reunión", "Programada"],
    "closed": ["INFORME DE LA SESIÓN CERRADA DEL DSMB",
               # the open report's enrollment plot, drawn by the same helper
               "Inclusión hasta el corte de datos", "Aleatorizados (acumulado)",
               "Participantes con eventos adversos por brazo",
               "Diferencia de riesgos, puntos porcentuales (IC 95%)", "Evento adverso relacionado",
               "Regla bayesiana de detención por seguridad", "Brazo vigilado",
               "Monitoreo BOP2 de eficacia y toxicidad", "no alcanzado", "Eventos adversos graves",
               "Relación causal", "hospitalización", "probable", "Muertes"],
}
ENGLISH_HEADINGS = {
    "open": ["DSMB OPEN SESSION REPORT", "Participants randomized", "Any adverse event",
             "Enrollment by the data cut-off", "Date randomized", "Cumulative randomized",
             "All sites",
             "Data cut-off", "Scheduled", "however many events"],
    "closed": ["DSMB CLOSED SESSION REPORT", "Enrollment by the data cut-off",
               "Cumulative randomized", "Participants with adverse events by arm",
               "Risk difference", "Watched arm", "Serious adverse events", "Relatedness",
               "not reached", "Deaths", "hospitalization"],
}


@pytest.fixture
def meeting(trial):
    codes = sorted(participants(trial, 6))
    add_event(trial, codes[0], onset=days_ago(20), grade=3, hospitalization=True,
              relatedness="probable")
    add_event(trial, codes[1], onset=days_ago(12), grade=5, death=True)
    return trial.api(DSMB).ok("POST", MEETINGS, {"date": days_ago(1).isoformat(),
                                                 "kind": "scheduled",
                                                 "cutoff": days_ago(2).isoformat()})


def _text(html: str) -> str:
    return " ".join(re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S).split())


# a date as each language writes it (Spanish day first, English month first), read back as ISO
DAY_FIRST = {"es": True, "en": False}


def _numbers(html: str, language: str) -> list[str]:
    """The figures of a document, dates read as ISO and decimal commas as points: the same in
    every language."""
    def iso(match: re.Match) -> str:
        first, second, year = match.groups()
        day, month = (first, second) if DAY_FIRST[language] else (second, first)
        return f"{year}-{month}-{day}"

    text = re.sub(r"\b(\d\d)/(\d\d)/(\d{4})\b", iso, _text(html))
    return re.findall(r"\d+(?:[.,]\d+)?", text.replace(",", "."))


@pytest.mark.parametrize("kind", ["open", "closed"])
def test_each_language_is_stored_with_its_own_hash_and_the_same_figures(trial, meeting, kind):
    made = trial.api(DSMB).ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": kind})
    report = Report.objects.get(pk=made["id"])
    [spanish] = ReportDocument.objects.filter(report=report)
    assert (report.language, spanish.language) == ("en", "es")
    for stored in (report, spanish):
        assert stored.sha256 == hashlib.sha256(stored.html.encode()).hexdigest()
    assert made["documents"] == {"en": report.sha256, "es": spanish.sha256}
    assert '<html lang="es">' in spanish.html and '<html lang="en">' in report.html
    for words in SPANISH_HEADINGS[kind]:
        assert words in _text(spanish.html), words
    for words in ENGLISH_HEADINGS[kind]:
        assert words in _text(report.html), words
        assert words not in _text(spanish.html), words
    # one generation: the same figures, dates and author in both documents
    assert _numbers(report.html, "en") == _numbers(spanish.html, "es")
    # the dates as each language writes them, not as stored
    assert re.search(r"\d\d/\d\d/\d{4}", _text(spanish.html))
    assert not re.search(r"\d{4}-\d\d-\d\d", _text(spanish.html) + _text(report.html))
    # the open report's hashes, both, are in the audit trail; a closed report's in neither
    record = AuditRecord.objects.get(action="generate_dsmb_report", object_id=str(report.pk))
    expected = {"sha256": report.sha256, "sha256_es": spanish.sha256} if kind == "open" else {}
    assert {name: change["new"] for name, change in record.changes.items()
            if name.startswith("sha256")} == expected


def test_the_reader_gets_the_document_of_their_language(trial, meeting, test_output_dir):
    api = trial.api(DSMB)
    closed = api.ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "closed"})
    report = Report.objects.get(pk=closed["id"])
    spanish = report.documents.get(language="es")
    user = trial.users[DSMB]
    for language, document in (("es", spanish), ("en", report)):
        client = signed_in_client(user, language=language)
        page = client.get(f"/dsmb/reports/{report.pk}/")
        assert page.status_code == 200 and page.content.decode() == document.html
        meeting_page = client.get(f"/dsmb/meetings/{meeting['id']}/").content.decode()
        assert document.sha256 in meeting_page  # the hash of what this reader opens
        pdf = client.get(f"/dsmb/reports/{report.pk}/pdf/")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert f"dsmb-report-{report.pk}-{language}.pdf" in pdf["Content-Disposition"]
        (test_output_dir / f"dsmb-closed-report-{language}.pdf").write_bytes(pdf.content)
    # the API: the reference document unless asked for another language
    assert api.ok("GET", f"/api/v1/dsmb/reports/{report.pk}")["html"] == report.html
    asked = api.ok("GET", f"/api/v1/dsmb/reports/{report.pk}?language=es")
    assert (asked["html"], asked["language"], asked["sha256_shown"]) == (
        spanish.html, "es", spanish.sha256)


def test_a_spanish_pdf_reads_in_spanish(trial, meeting):
    import pypdfium2

    made = trial.api(DSMB).ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "open"})
    pdf = signed_in_client(trial.users[DSMB], language="es").get(
        f"/dsmb/reports/{made['id']}/pdf/").content
    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "INFORME DE LA SESIÓN ABIERTA DEL DSMB" in text and "1 / 1" in text


def test_a_report_made_before_spanish_documents_is_read_in_its_own_language(trial, meeting):
    made = trial.api(DSMB).ok("POST", f"{MEETINGS}/{meeting['id']}/reports", {"kind": "open"})
    report = Report.objects.get(pk=made["id"])
    report.documents.all().delete()  # as a generation stored before issue 19 stands
    page = signed_in_client(trial.users[DSMB], language="es").get(f"/dsmb/reports/{report.pk}/")
    assert page.content.decode() == report.html


def test_the_meeting_page_speaks_spanish_to_the_dsmb_and_the_sponsor(trial, meeting):
    from trial_factory import PASSWORD

    dsmb = signed_in_client(trial.users[DSMB], language="es")
    page = dsmb.get(f"/dsmb/meetings/{meeting['id']}/").content.decode()
    for words in ("Continuar con modificaciones", "Detener por seguridad",
                  "Firmo esta recomendación en nombre del Comité"):
        assert words in page, words
    assert "Continue with modifications" not in page and "I sign this" not in page
    dsmb.post(f"/dsmb/meetings/{meeting['id']}/recommendation/",
              {"decision": "pause_enrollment", "rationale": "Pausa hasta revisar los eventos.",
               "password": PASSWORD})
    sponsor = signed_in_client(trial.users[SPONSOR], language="es")
    page = sponsor.get(f"/dsmb/meetings/{meeting['id']}/").content.decode()
    assert "Pausar la inclusión" in page and "Aceptada con cambios" in page
