"""``trialdesk --language es design ...`` (issue 19): boundaries, sample sizes and the
predictive probability in Spanish, with the decimal comma; --json unchanged. (The other design
commands, simulate, report, adaptive, bop2 and grid, still print English.)"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from trialdesk.cli import main

NO_LOCALE = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}


def run(language: str, *args: str):
    return CliRunner(env=NO_LOCALE).invoke(main, ["--language", language, "design", *args],
                                           catch_exceptions=False)


@pytest.mark.parametrize(("args", "spanish", "english"), [
    (["boundaries", "--looks", "3", "--futility", "obf", "--effect", "0.2", "--n-fixed", "100"],
     ["alfa unilateral 0,025, potencia 0,8", "factor de inflación 1,10433", "z superior",
      "no vinculante", "0,4366; 0,2089; 0,1354", "tamaño muestral: máximo 110,4"],
     ["inflation factor", "upper z", "power", "sample size"]),
    (["sample-size", "proportions", "--p-control", "0.3", "--p-treatment", "0.15"],
     ["n por brazo (exacto): 120,472", "n total: 242"], ["n_per_arm", "n_total"]),
    (["predictive", "--events", "5", "--n", "10", "--n-max", "20", "--p0", "0.3"],
     ["P a posteriori(p > 0,3) = 0,9218", "probabilidad predictiva de éxito con n = 20: 0,7551"],
     ["posterior P(", "predictive probability"]),
], ids=["boundaries", "sample-size", "predictive"])
def test_design_output_in_spanish(args, spanish, english):
    result = run("es", *args)
    assert result.exit_code == 0, result.output
    for text in spanish:
        assert text in result.output
    for text in english:
        assert text not in result.output
        assert text in run("en", *args).output
    assert json.loads(run("es", *args, "--json").output) == json.loads(
        run("en", *args, "--json").output)
