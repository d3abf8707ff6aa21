"""``trialdesk --language es safety ...`` (issue 19): the stopping-rule table, the incidence line
and the reporting deadlines in Spanish, with the decimal comma; --json unchanged."""

from __future__ import annotations

import pytest
from cli_language import assert_in_spanish, run_in

BOUNDARY = ["boundary", "--prior", "1", "1", "--threshold", "0.3", "--cutoff", "0.9",
            "--max-n", "4"]
DEADLINES = ["deadlines", "--aware-at", "2026-03-01T03:30Z", "--day0", "2026-03-01", "--tz",
             "America/Bogota"]


@pytest.mark.parametrize(("args", "spanish", "english"), [
    (BOUNDARY, ["Detener si P(tasa > 0,3 | datos) > 0,9", "tratados", "0,9730"],
     ["Stop if", "treated", "0.9730"]),
    (["incidence", "--events", "1", "--n", "29"], ["1/29 = 0,0345;", "0,0009 a 0,1776"],
     ["0.0345", " to "]),
    (DEADLINES, ["EAG al patrocinador", "RAGI, 15 días", "vence 2026-03-01 22:30"],
     ["SAE to the sponsor", "due 2026"]),
])
def test_safety_output_in_spanish(args, spanish, english):
    assert_in_spanish(["safety", *args], spanish, english)


def test_safety_refusals_in_spanish():
    result = run_in("es", "safety", "incidence", "--events", "3", "--n", "2")
    assert result.exit_code == 2 and "3 eventos no pueden superar --n 2" in result.output
    result = run_in("es", "safety", "deadlines")
    assert result.exit_code == 2 and "indique --day0" in result.output
