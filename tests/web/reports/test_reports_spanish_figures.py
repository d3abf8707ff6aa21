"""The report's figures in the reader's language: the CONSORT diagram's boxes and stages
(issue 19)."""

from __future__ import annotations

import re

from login import signed_in_client
from reports_testkit import build_trial


def _consort_texts(body: str) -> str:
    section = re.search(r'<section id="consort">(.*?)</section>', body, re.S).group(1)
    return " ".join(re.findall(r"<text[^>]*>(.*?)</text>", section, re.S))


def test_the_consort_diagram_reads_in_spanish(trial):
    build_trial(trial, per_site=2)
    spanish = _consort_texts(signed_in_client(trial.users["analyst"], "es").get(
        "/reports/").content.decode())
    for words in ("Evaluados para elegibilidad", "Aleatorizados", "Asignados a",
                  "Inclusión", "Seguimiento", "Análisis"):
        assert words in spanish, words
    assert "Assessed for eligibility" not in spanish and "Allocated to" not in spanish
    english = _consort_texts(signed_in_client(trial.users["analyst"], "en").get(
        "/reports/").content.decode())
    assert "Assessed for eligibility" in english


def test_the_coded_groups_read_in_spanish(trial):
    """A blinded reader's coded groups: "grupo 1" in Spanish (diagram, tables, notes), the
    number alone being the code (issue 19)."""
    build_trial(trial, per_site=2)
    analyst = trial.users["analyst"]
    spanish = signed_in_client(analyst, "es").get("/reports/").content.decode()
    assert "Asignados a grupo 1" in _consort_texts(spanish)
    assert "grupo 2" in spanish and not re.search(r"\bgroup [12]\b", spanish)
    english = signed_in_client(analyst, "en").get("/reports/").content.decode()
    assert "Allocated to group 1" in _consort_texts(english) and "grupo 1" not in english
