"""Units as each language writes them: symbols alike, words translated (issue 19)."""

from __future__ import annotations

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.protocol.units import is_symbolic, unit_text, untranslated_units


@pytest.mark.parametrize("unit", ["kg", "cm", "mmHg", "cmH2O", "°C", "%", "mg/L", "ng/mL",
                                  "pg/mL", "10^9/L", "mL", "EU/mL", "mmol/L", "g/dL"])
def test_symbols_are_written_alike_in_every_language(unit):
    assert is_symbolic(unit)
    assert unit_text(unit, "es") == unit


@pytest.mark.parametrize(("unit", "spanish"), [
    ("years", "años"), ("beats/min", "latidos/min"), ("breaths/min", "respiraciones/min"),
    ("fraction", "fracción"), ("days", "días")])
def test_word_units_are_translated(unit, spanish):
    assert not is_symbolic(unit)
    assert unit_text(unit, "es") == spanish
    assert unit_text(unit, "en") == unit


def test_an_unknown_word_unit_is_shown_as_written_and_reported_by_protocol_check():
    protocol = load_protocol(None)
    assert untranslated_units(protocol) == []  # every unit of the bundled protocol
    field = protocol.form("vital_signs").fields[0]
    changed = protocol.model_copy(deep=True)
    changed.form("vital_signs").fields[0].unit = "widgets/min"
    assert unit_text("widgets/min", "es") == "widgets/min"
    assert untranslated_units(changed) == [
        (f"forms.vital_signs.fields.{field.code}.unit", "widgets/min")]
    assert unit_text(None, "es") == "" and unit_text("", "en") == ""
