"""Units of measurement as each language writes them.

Symbols (kg, mmHg, cmH2O, pg/mL, 10^9/L, %) are written alike in English and Spanish, as the SI
and UCUM write them; words (years, beats/min) are not. A protocol's unit is its English text; a
word unit not listed here is reported by ``protocol check`` (``untranslated_units``) and shown
as written until it is added.
"""

from __future__ import annotations

import re

from trialdesk.protocol.schema import Protocol

WORDS: dict[str, dict[str, str]] = {
    "years": {"es": "años"},
    "months": {"es": "meses"},
    "weeks": {"es": "semanas"},
    "days": {"es": "días"},
    "hours": {"es": "horas"},
    "minutes": {"es": "minutos"},
    "fraction": {"es": "fracción"},
    "beats/min": {"es": "latidos/min"},
    "breaths/min": {"es": "respiraciones/min"},
    "cells/kg": {"es": "células/kg"},
    "cells": {"es": "células"},
    "kits": {"es": "kits"},
    "ng/mL FEU": {"es": "ng/mL UEF"},  # fibrinogen-equivalent units (unidades equivalentes)
}
# a unit made of symbols only: letters of SI/UCUM symbols, digits, ^ / % ° and the like
_SYMBOLS = re.compile(r"^(?:[%°µ/^.·\d]|mm|cm|mL|dL|L|mg|ng|pg|µg|g|kg|Hg|H2O|mol|mmol|"
                      r"µmol|U|IU|EU|min|h|s|C|m|x)+$")


def is_symbolic(unit: str) -> bool:
    """Return True if ``unit`` is written alike in every language (symbols, no words)."""
    return bool(_SYMBOLS.match(unit.replace(" ", "")))


def unit_text(unit: str | None, language: str) -> str:
    """Return ``unit`` as ``language`` writes it (the protocol's own text when it is English, a
    symbol, or not yet listed)."""
    if not unit:
        return ""
    return WORDS.get(unit, {}).get(language, unit)


def untranslated_units(protocol: Protocol) -> list[tuple[str, str]]:
    """Return (field path, unit) for each form field's unit that is a word with no text in one
    of the protocol's languages."""
    missing = []
    for form in protocol.forms:
        for field in form.fields:
            unit = field.unit
            if not unit or is_symbolic(unit):
                continue
            for language in protocol.languages:
                if language != "en" and language not in WORDS.get(unit, {}):
                    missing.append((f"forms.{form.code}.fields.{field.code}.unit", unit))
    return missing
