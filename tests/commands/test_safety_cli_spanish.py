"""``trialdesk --language es safety ...`` (issue 19): the stopping-rule table, the incidence line
and the reporting deadlines in Spanish, with the decimal comma; --json unchanged."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from trialdesk.cli import main

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
BOUNDARY = ["boundary", "--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0.9",
            "--max-n", "4"]
DEADLINES = ["deadlines", "--aware-at", "2026-03-01T03:30Z", "--day0", "2026-03-01", "--tz",
             "America/Bogota"]


def run(language: str, *args: str):
    return CliRunner(env=NO_LOCALE).invoke(main, ["--language", language, "safety", *args],
                                           catch_exceptions=False)


@pytest.mark.parametrize(("args", "spanish", "english"), [
    (BOUNDARY, ["Detener si P(tasa > 0,3 | datos) > 0,9", "tratados", "0,9730"],
     ["Stop if", "treated", "0.9730"]),
    (["incidence", "--events", "1", "--n", "29"], ["1/29 = 0,0345;", "0,0009 a 0,1776"],
     ["0.0345", " to "]),
    (DEADLINES, ["EAG al patrocinador", "RAGI, 15 días", "vence 2026-03-01 22:30"],
     ["SAE to the sponsor", "due 2026"]),
])
def test_safety_output_in_spanish(args, spanish, english):
    result = run("es", *args)
    assert result.exit_code == 0, result.output
    for text in spanish:
        assert text in result.output
    for text in english:
        assert text not in result.output
    assert [json.loads(run(language, *args, "--json").output) for language in ("en", "es")
            ] == [json.loads(run("en", *args, "--json").output)] * 2


def test_safety_refusals_in_spanish():
    result = run("es", "incidence", "--events", "3", "--n", "2")
    assert result.exit_code == 2 and "3 eventos no pueden superar --n 2" in result.output
    result = run("es", "deadlines")
    assert result.exit_code == 2 and "indique --day0" in result.output
