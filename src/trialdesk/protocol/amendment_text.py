"""An amendment's changes as text, grouped by category, in English or Spanish (issue 17).

What it prints may go to the sites and to blinded roles: confidential values arrive masked
(``amendment.CONFIDENTIAL``) and are shown as such, never looked up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialdesk.protocol.amendment import Change

CONFIDENTIAL = "<confidential>"  # what a confidential value is replaced by in a change
LONGEST = 160  # characters of a text value shown

TEXTS = {
    "en": {
        "none": "No changes.",
        "title": "{count} change(s):",
        "form_added": "Forms added", "form_removed": "Forms removed",
        "field_added": "Fields added", "field_removed": "Fields removed",
        "field_changed": "Fields and forms changed",
        "range_changed": "Ranges changed", "choices_changed": "Choices changed",
        "visit_added": "Visits added", "visit_removed": "Visits removed",
        "visit_changed": "Visits changed", "eligibility_changed": "Eligibility changed",
        "consent_changed": "Consent changed",
        "randomization_changed": ("Randomization changed (refused once the allocation list is "
                                  "loaded)"),
        "other": "Other changes",
        "in_force": "Consent document in force at {site}: {old} -> {new} (re-consent due)",
        "confidential": "(confidential)", "empty": "(none)",
        "yes": "yes", "no": "no", "required": "required", "day": "day", "window": "window",
        "fields": "{count} field(s)", "forms": "forms", "range": "range",
        "soft_range": "soft range",
    },
    "es": {
        "none": "Sin cambios.",
        "title": "{count} cambio(s):",
        "form_added": "Formularios añadidos", "form_removed": "Formularios eliminados",
        "field_added": "Campos añadidos", "field_removed": "Campos eliminados",
        "field_changed": "Campos y formularios modificados",
        "range_changed": "Rangos modificados", "choices_changed": "Opciones modificadas",
        "visit_added": "Visitas añadidas", "visit_removed": "Visitas eliminadas",
        "visit_changed": "Visitas modificadas", "eligibility_changed": "Elegibilidad modificada",
        "consent_changed": "Consentimiento modificado",
        "randomization_changed": ("Aleatorización modificada (se rechaza una vez cargada la "
                                  "lista de asignación)"),
        "other": "Otros cambios",
        "in_force": ("Documento de consentimiento vigente en {site}: {old} -> {new} "
                     "(se debe pedir de nuevo el consentimiento)"),
        "confidential": "(confidencial)", "empty": "(ninguno)",
        "yes": "sí", "no": "no", "required": "obligatorio", "day": "día", "window": "ventana",
        "fields": "{count} campo(s)", "forms": "formularios", "range": "rango",
        "soft_range": "rango esperado",
    },
}


def render_changes(changes: Sequence[Change], consent_in_force: Sequence[tuple[str, Any, Any]],
                   language: str, categories: Sequence[str]) -> str:
    """Return the changes grouped by category in the order of ``categories``."""
    text = _texts(language)
    if not changes:
        return text["none"]
    lines = [text["title"].format(count=len(changes))]
    for category in categories:
        group = [change for change in changes if change.category == category]
        if not group:
            continue
        lines += ["", f"{category_heading(category, language)} ({len(group)}):"]
        lines += [f"  {change_line(change, language)}" for change in group]
        if category == "consent_changed":
            lines += ["  " + text["in_force"].format(site=site, old=_value(old, text, language),
                                                     new=_value(new, text, language))
                      for site, old, new in consent_in_force]
    return "\n".join(lines)


def category_heading(category: str, language: str = "en") -> str:
    """The heading of a category of changes ("Fields added"), for pages that group them."""
    return _texts(language)[category]


def change_line(change: Change, language: str = "en") -> str:
    """One change in a line: ``+ path: new`` when added, ``- path: old`` when removed, else
    ``~ path: old -> new`` (a list also says what it gained and lost)."""
    text = _texts(language)
    if change.old is None:
        return f"+ {change.path}: {_value(change.new, text, language)}"
    if change.new is None:
        return f"- {change.path}: {_value(change.old, text, language)}"
    old, new = _value(change.old, text, language), _value(change.new, text, language)
    line = f"~ {change.path}: {old} -> {new}"
    if isinstance(change.old, list) and isinstance(change.new, list) and all(
        isinstance(item, str) for item in [*change.old, *change.new]
    ):
        gained = [item for item in change.new if item not in change.old]
        lost = [item for item in change.old if item not in change.new]
        delta = [f"+ {', '.join(gained)}"] if gained else []
        delta += [f"- {', '.join(lost)}"] if lost else []
        line += f" ({'; '.join(delta)})" if delta else ""
    return line


def _texts(language: str) -> dict[str, str]:
    return TEXTS.get(language.split("-")[0].lower(), TEXTS["en"])


def _value(value: Any, text: dict[str, str], language: str) -> str:
    """A value in a few words: a text in the language, a table by its name and main facts."""
    if value == CONFIDENTIAL:
        return text["confidential"]
    if value is None or value == [] or value == {}:
        return text["empty"]
    if isinstance(value, bool):
        return text["yes" if value else "no"]
    if isinstance(value, float):
        return _number(value, language)
    if isinstance(value, list):
        return ", ".join(_value(item, text, language) for item in value)
    if isinstance(value, dict):
        return _table(value, text, language)
    return _short(str(value))


def _short(shown: str) -> str:
    # a registry summary is a page long: the line says that it changed, the file says how
    return shown if len(shown) <= LONGEST else shown[: LONGEST - 3].rstrip() + "..."


def _number(value: float, language: str) -> str:
    shown = f"{value:g}"
    return shown.replace(".", ",") if language.startswith("es") else shown


def _is_text(value: dict[str, Any]) -> bool:
    return "en" in value and all(isinstance(item, str) for item in value.values())


def _table(value: dict[str, Any], text: dict[str, str], language: str) -> str:
    if _is_text(value):
        return _short(value.get(language, value.get(language.split("-")[0], value["en"])))
    if set(value) <= {"min", "max"}:
        low, high = (_value(value.get(key), text, language) if value.get(key) is not None
                     else "" for key in ("min", "max"))
        return f"[{low}, {high}]"
    name = next((value[key] for key in ("label", "title", "text") if isinstance(value.get(key),
                                                                                dict)), None)
    facts = [_table(name, text, language)] if name is not None else []
    if "type" in value and "label" in value:  # a field
        facts += [str(value["type"])]
        facts += [str(value["unit"])] if value.get("unit") else []
        facts += [text["required"]] if value.get("required") else []
        for key in ("range", "soft_range"):
            if value.get(key):
                facts.append(f"{text[key]} {_table(value[key], text, language)}")
    elif "day" in value and "forms" in value:  # a visit
        facts += [f"{text['day']} {value['day']}",
                  f"{text['window']} -{value['window_before']}/+{value['window_after']}",
                  f"{text['forms']}: {', '.join(value['forms'])}"]
    elif "fields" in value and isinstance(value["fields"], list):  # a form
        facts.append(text["fields"].format(count=len(value["fields"])))
    elif "rule" in value or "all" in value or "any" in value:  # a criterion
        facts += [str(value[key]) if key == "rule" else f"{key}: {'; '.join(value[key])}"
                  for key in ("rule", "all", "any") if value.get(key)]
    elif "version" in value and "languages" in value:  # a consent version
        facts += [str(value["version"]), ", ".join(value["languages"])]
    if facts:
        return "; ".join(facts)
    return ", ".join(f"{key} = {_value(item, text, language)}" for key, item in value.items())
