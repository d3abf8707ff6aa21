"""The report's figures in the reader's language: the CONSORT diagram's boxes and stages, the
Kaplan-Meier plot's and the enrollment plot's words (issue 19)."""

from __future__ import annotations

import re

from login import signed_in_client
from reports_testkit import build_trial, generated


def _svg_texts(body: str, section_id: str) -> str:
    section = re.search(rf'<section id="{section_id}">(.*?)</section>', body, re.S).group(1)
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", section, re.S))


def _consort_texts(body: str) -> str:
    return _svg_texts(body, "consort")


def test_the_consort_diagram_reads_in_spanish(trial):
    build_trial(trial, per_site=2)
    spanish = _consort_texts(
        generated(signed_in_client(trial.users["analyst"], "es")).content.decode())
    for words in ("Evaluados para elegibilidad", "Aleatorizados", "Asignados a",
                  "Inclusión", "Seguimiento", "Análisis"):
        assert words in spanish, words
    assert "Assessed for eligibility" not in spanish and "Allocated to" not in spanish
    english = _consort_texts(
        generated(signed_in_client(trial.users["analyst"], "en")).content.decode())
    assert "Assessed for eligibility" in english


def test_the_coded_groups_read_in_spanish(trial):
    """A blinded reader's coded groups: "grupo 1" in Spanish (diagram, tables, notes), the
    number alone being the code (issue 19)."""
    build_trial(trial, per_site=2)
    analyst = trial.users["analyst"]
    spanish = generated(signed_in_client(analyst, "es")).content.decode()
    assert "Asignados a grupo 1" in _consort_texts(spanish)
    assert "grupo 2" in spanish and not re.search(r"\bgroup [12]\b", spanish)
    english = generated(signed_in_client(analyst, "en")).content.decode()
    assert "Allocated to group 1" in _consort_texts(english) and "grupo 1" not in english


def test_the_kaplan_meier_plot_reads_in_spanish(trial):
    build_trial(trial)  # enough participants that each group is analysed, whatever the groups
    analyst = trial.users["analyst"]
    spanish = _svg_texts(generated(signed_in_client(analyst, "es")).content.decode(),
                         "survival")
    for words in ("Probabilidad de supervivencia", "Estimación de Kaplan-Meier",
                  "bandas puntuales del 95 %", "razón de riesgos", "Número en riesgo", "Días",
                  "grupo 1 (n = ", ", eventos = "):
        assert words in spanish, words
    for english in ("Survival probability", "Kaplan-Meier estimate", "pointwise",
                    "hazard ratio", "Number at risk", "events", "Days", " to "):
        assert english not in spanish, english
    english = _svg_texts(generated(signed_in_client(analyst, "en")).content.decode(),
                         "survival")
    for words in ("Survival probability", "Kaplan-Meier estimate, 95% pointwise bands",
                  "Number at risk", "group 1 (n = ", ", events = "):
        assert words in english, words


def test_the_enrollment_plot_writes_months_in_the_readers_language(trial):
    from django.utils import translation

    from trialdesk.web.reports.svg import month_names

    with translation.override("es"):
        assert month_names() == ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep",
                                 "Oct", "Nov", "Dic"]
    with translation.override("en"):
        assert month_names()[0] == "Jan"
    build_trial(trial, per_site=2)
    spanish = _svg_texts(
        generated(signed_in_client(trial.users["analyst"], "es")).content.decode(), "enrollment")
    assert "Reclutamiento en el tiempo" in spanish
    # the randomizations are dated by the days before the test runs: an English-only month
    # abbreviation would show if the axis's months were strftime's
    assert not re.search(r"\b(?:Jan|Apr|Aug|Dec)\b", spanish), spanish
