"""Validation messages in the reader's language, one per rule kind, with the field's label, the
protocol's own text for its checks and numbers written as the language writes them; no rule
codes or expressions on the page (issue 19). The API keeps the rule codes."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from capture_testkit import RESPIRATORY_OK, page_path
from django.utils import translation
from login import login_page_client

from trialdesk.protocol import load_protocol
from trialdesk.protocol.validation import validate_form
from trialdesk.web.capture.messages import field_labels, problem_text

COORD = "coordinator-co-01"
PAGE_OK = {k: str(v) for k, v in RESPIRATORY_OK.items()}
PROTOCOL = load_protocol(None)


def _problems(form_code: str, values: dict, **options) -> list:
    result = validate_form(PROTOCOL.form(form_code), values, **options)
    return [*result.errors, *result.warnings]


@pytest.mark.parametrize(("form", "values", "options", "english", "spanish"), [
    ("respiratory", {**RESPIRATORY_OK, "fio2": 1.5}, {},
     "1.5 fraction is outside the allowed range, 0.21 to 1 fraction.",
     "1,5 fracción está fuera del rango permitido, de 0,21 a 1 fracción."),
    ("respiratory", {**RESPIRATORY_OK, "pao2": 520}, {},
     "520 mmHg is outside the expected range, 40 to 500 mmHg: confirm the value.",
     "520 mmHg está fuera del rango esperado, de 40 a 500 mmHg: confirme el valor."),
    ("respiratory", {**RESPIRATORY_OK, "pao2": "eighty"}, {},
     "Not a valid value: enter a number.", "Valor no válido: escriba un número."),
    ("respiratory", {**RESPIRATORY_OK, "peep": ""}, {"complete": True},
     "Required to mark the form complete.",
     "Obligatorio para marcar el formulario como completo."),
    ("respiratory", {**RESPIRATORY_OK, "peep": 3}, {},
     "PEEP below 5 cmH2O during invasive ventilation: please confirm.",
     "PEEP menor de 5 cmH2O en ventilación invasiva: confirme, por favor."),
])
def test_each_rule_kind_reads_in_english_and_spanish(form, values, options, english, spanish):
    problems = [p for p in _problems(form, values, **options)
                if p.rule not in ("soft_range",) or "peep" not in p.field]
    problem = problems[0]
    definition = PROTOCOL.form(form)
    with translation.override("en"):
        assert problem_text(problem, definition, "en") == english
    with translation.override("es"):
        assert problem_text(problem, definition, "es") == spanish


def test_a_date_outside_the_window_and_a_limit_of_quantification():
    form = PROTOCOL.form("cytokines")
    problems = _problems("cytokines", {"il6": "0.5"})
    below = next(p for p in problems if p.rule == "below_lloq")
    with translation.override("es"):
        text = problem_text(below, form, "es")
    assert text.startswith("0,5 pg/mL está por debajo del límite inferior") and "<" in text
    dated = next(f for f in PROTOCOL.forms for field in f.fields
                 if field.type == "date" and not field.history)
    field = next(f for f in dated.fields if f.type == "date" and not f.history)
    future = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=3)).isoformat()
    problem = next(p for p in _problems(dated.code, {field.code: future})
                   if p.rule == "date_window")
    with translation.override("es"):
        assert problem_text(problem, dated, "es") == "La fecha no puede ser futura."
        assert field_labels(problem, dated, "es") == field.label.text("es")


def test_the_spanish_page_shows_labels_and_words_not_codes_or_expressions(ct):
    code = ct.randomize()
    client = login_page_client(COORD, language="es")
    response = client.post(page_path(code), {**PAGE_OK, "peep": "3", "action": "draft"},
                           follow=True)  # kept as a draft, the warning waits to be confirmed
    body = html.unescape(response.content.decode())
    assert "PEEP menor de 5 cmH2O en ventilación invasiva" in body
    assert "peep >= 5" not in body and "[check:" not in body and "[soft_range]" not in body
    live = client.post(page_path(code) + "check/", {**PAGE_OK, "pao2": "520"}).json()
    assert live["problems"][0]["label"] == "PaO2"
    assert live["problems"][0]["message"].startswith("520 mmHg está fuera del rango esperado")
    assert live["problems"][0]["rule"] == "soft_range"  # the page's script keys on it
