"""Helpers of the amendment tests: the bundled protocol amended as a trial team would.

``amended_text()``: the bundled protocol with a required field added to the vital signs, the PaO2
range narrowed (max 700 -> 600 mmHg), a day-21 visit added and a consent version 2.0 added (its
approval at each site is the amendment's approval, which the server records).
"""

from __future__ import annotations

from typing import Any

NEW_FIELD = "weight_kg"
OLD_PAO2_MAX, NEW_PAO2_MAX = 700, 600
NEW_VISIT = "day21"
NEW_CONSENT = "2.0"
AMENDMENTS = "/api/v1/amendments"

_FIELD = f'''[[forms.fields]]
code = "{NEW_FIELD}"
label = {{ en = "Body weight", es = "Peso corporal" }}
type = "decimal"
unit = "kg"
decimals = 1
required = true
range = {{ min = 20, max = 300 }}
'''
_VISIT = f'''[[visits]]
code = "{NEW_VISIT}"
title = {{ en = "Day 21", es = "Día 21" }}
day = 21
window_before = 2
window_after = 2
forms = ["vital_signs"]
'''
_CONSENT = f'''[[consent.versions]]
version = "{NEW_CONSENT}"
title = {{ en = "Informed consent, version 2.0", es = "Consentimiento informado, versión 2.0" }}
languages = ["es", "en"]
'''


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the bundled protocol changed: {old!r} is not there once"
    return text.replace(old, new)


def base_text() -> str:
    from trialdesk.protocol import default_protocol_path

    return default_protocol_path().read_text(encoding="utf-8")


def amended_text(*, field: bool = True, pao2: bool = True, visit: bool = True,
                 consent: bool = True, text: str | None = None) -> str:
    """The bundled protocol (or ``text``) with the amendment's changes chosen."""
    text = text if text is not None else base_text()
    if field:
        checks = '[[forms.checks]]\ncode = "diastolic_below_systolic"\n'
        text = _replace_once(text, checks, _FIELD + checks)
    if pao2:
        text = _replace_once(text, f'code = "pao2"\nlabel = {{ en = "PaO2", es = "PaO2" }}\n'
                                   f'type = "decimal"\nunit = "mmHg"\ndecimals = 0\n'
                                   f'required = true\nrange = {{ min = 20, max = {OLD_PAO2_MAX} }}',
                             f'code = "pao2"\nlabel = {{ en = "PaO2", es = "PaO2" }}\n'
                             f'type = "decimal"\nunit = "mmHg"\ndecimals = 0\n'
                             f'required = true\nrange = {{ min = 20, max = {NEW_PAO2_MAX} }}')
    if visit:
        day28 = '[[visits]]\ncode = "day28"\n'
        text = _replace_once(text, day28, _VISIT + day28)
    if consent:
        marker = "\n# --- the cell product"
        text = _replace_once(text, marker, "\n" + _CONSENT + marker) if marker in text else (
            text + "\n" + _CONSENT)
    return text


def randomization_changed_text() -> str:
    """The bundled protocol with another block size: a randomization parameter."""
    return _replace_once(base_text(), "block_sizes = [2, 4]", "block_sizes = [4, 6]")


def amend(client: Any, text: str, *, effective_date: str, reason: str = "Amendment 1") -> Any:
    return client.post(AMENDMENTS, {"toml_text": text, "effective_date": effective_date,
                                    "reason": reason})
