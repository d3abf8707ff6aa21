"""The design app's strings are all in its Spanish catalogue (tests/web/test_web_catalogues.py
checks that the catalogue is complete, not fuzzy and compiled)."""

from __future__ import annotations

from pathlib import Path

from catalogues import marked_strings_of_app, msgids

import trialdesk.web.design

APP = Path(trialdesk.web.design.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_every_marked_string_of_the_design_app_is_in_the_catalogue(tmp_path, monkeypatch,
                                                                   settings):
    marked = marked_strings_of_app(APP, tmp_path, monkeypatch, settings)
    assert "Group-sequential boundaries" in marked  # the extraction itself works
    assert marked <= msgids(PO), sorted(marked - msgids(PO))
