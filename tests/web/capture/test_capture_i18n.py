"""The data-capture pages in Spanish: every marked string is in the app's catalogue (whose
completeness and compilation tests/web/test_web_catalogues.py checks), and the pages use it."""

from __future__ import annotations

from pathlib import Path

from capture_testkit import RESPIRATORY_OK, form_path, page_path
from catalogues import marked_strings_of_app, msgids
from login import login_page_client

import trialdesk.web.capture

APP = Path(trialdesk.web.capture.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_every_marked_string_of_the_app_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    marked = marked_strings_of_app(APP, tmp_path, monkeypatch, settings)
    assert marked, "makemessages found no strings"
    assert marked <= msgids(PO), sorted(marked - msgids(PO))


def test_a_coordinator_sees_the_form_page_in_spanish(ct):
    code = ct.randomize()
    ct.api("coordinator-co-01").put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520}})
    coordinator = login_page_client("coordinator-co-01", language="es")
    body = coordinator.get(page_path(code)).content.decode()
    assert "Guardar borrador" in body and "Valores fuera del rango esperado" in body
    assert "Relación PaO2/FiO2" in body  # the protocol's own translation
    assert "Respiratorio" in body
