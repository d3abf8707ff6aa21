"""The public registry in Spanish: headings, codes and dates translated, the protocol's own Spanish
texts for the trial this server runs, a language switch without JavaScript, English unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogues import marked_strings_of_app, msgids
from django.test import Client
from django.utils import translation
from registry_seed_page import html_text, seed_facts, seeded_registry, tight

import trialdesk.web.registry
from trialdesk.protocol import load_protocol
from trialdesk.protocol.registry import PHASE_DISPLAY, format_partial_date, format_status
from trialdesk.web.registry.labels import CODE_LABELS, PHASE_LABELS, partial_date, words

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_registry")]
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
RECORD = "/registry/NCT04390152"
APP = Path(trialdesk.web.registry.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _spanish_record(client: Client) -> str:
    response = client.get(RECORD, {"lang": "es"})
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    return response.content.decode()


def test_the_spanish_record_shows_spanish_headings_and_the_protocols_spanish_texts(client):
    html = _spanish_record(client)
    text = tight(html_text(html))  # each masked role is an element of its own
    registry = load_protocol().registry
    assert '<html lang="es">' in html
    for heading in ("Datos del ensayo", "Resumen breve", "Descripción detallada",
                    "Diseño del estudio", "Afecciones relacionadas y términos MeSH",
                    "Véase también"):
        assert f">{heading}</h2>" in html, heading
    assert registry.brief_summary.text("es") in text
    assert registry.detailed_description.text("es") in text
    assert registry.brief_title.text("es") in text
    assert registry.brief_summary.text("en") not in text
    assert 'lang="es">' + registry.brief_title.text("es") in html
    for expected in ("Estado Reclutando", "Fase Fase 1/Fase 2",
                     "Fecha de inicio 13 de enero de 2020", "Fecha de finalización abril de 2022",
                     "Asignación Aleatorizada",
                     "Enmascaramiento Cuádruple (Participante, Profesional asistencial, "
                     "Investigador, Evaluador de desenlaces)",
                     "Terapia estándar más CMM Experimental",
                     "Terapia estándar sola Comparador placebo",
                     "Biológico: Células madre mesenquimales (intravenosas)",
                     "Término MeSH: Respiratory Distress Syndrome (inferido)",
                     "listado como relacionado en la página del registro"):
        assert expected in text, expected


def test_the_language_is_kept_by_the_cookie_and_switched_back_by_a_link(client):
    _spanish_record(client)
    assert "Datos del ensayo" in client.get(RECORD).content.decode()  # no ?lang: the cookie
    html = client.get(RECORD, {"lang": "en"}).content.decode()
    assert '<html lang="en">' in html and "Trial facts" in html
    assert 'href="/registry/NCT04390152?lang=es" hreflang="es" lang="es">Español</a>' in html
    assert "<script" not in html


def test_search_in_spanish_keeps_its_filters_in_the_switch_links(client):
    response = client.get("/registry", {"q": "stem cells", "status": "WITHDRAWN", "lang": "es"})
    html = response.content.decode()
    assert '<label for="id_q">Palabras de búsqueda</label>' in html
    assert "1 ensayo encontrado" in html_text(html)
    assert 'href="/registry?q=stem+cells&amp;status=WITHDRAWN&amp;lang=en"' in html


def test_english_mode_still_shows_every_fact_of_the_seed_page(client, test_data):
    client.get(RECORD, {"lang": "es"})
    text = html_text(client.get(RECORD, {"lang": "en"}).content.decode())
    assert [fact for fact in seed_facts(test_data).expected_texts() if fact not in text] == []


def test_english_labels_are_the_registry_pages_words():
    with translation.override("en"):
        assert {code: words(code) for code in CODE_LABELS} == {
            code: format_status(code) for code in CODE_LABELS}
        assert {code: str(label) for code, label in PHASE_LABELS.items()} == PHASE_DISPLAY
        for date in ("2020-01-13", "2022-04", "2021"):
            assert partial_date(date) == format_partial_date(date)


def test_every_marked_string_of_the_registry_is_in_its_catalogue(tmp_path, monkeypatch, settings):
    marked = marked_strings_of_app(APP, tmp_path, monkeypatch, settings)
    assert "registry\x04Recruiting" in marked and "Brief summary" in marked
    assert marked <= msgids(PO), sorted(marked - msgids(PO))
