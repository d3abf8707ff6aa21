"""A missing translation falls back to English and is listed."""

from __future__ import annotations

from pathlib import Path

from trialdesk.protocol import LocalizedText, load_protocol
from trialdesk.protocol.translations import missing_translations

FIXTURES = Path(__file__).parent / "fixtures"


def test_text_falls_back_to_english() -> None:
    text = LocalizedText({"en": "Heart rate", "es": "Frecuencia cardiaca"})
    assert text.text("es") == "Frecuencia cardiaca"
    assert text.text("es-CO") == "Frecuencia cardiaca"
    assert text.text("fr") == "Heart rate"
    assert text.missing(["en", "es", "fr"]) == ["fr"]


def test_missing_translations_are_listed_by_path() -> None:
    protocol = load_protocol(FIXTURES / "minimal.toml")
    missing = missing_translations(protocol)
    assert ("registry.official_title", "es") in missing
    assert ("forms[0].fields[0].label", "es") in missing
    assert ("registry.brief_title", "es") not in missing  # translated in the fixture
