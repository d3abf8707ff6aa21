"""``trialdesk --language es design ...`` (issue 19): boundaries, sample sizes and the
predictive probability in Spanish, with the decimal comma; --json unchanged. (The other design
commands, simulate, report, adaptive, bop2 and grid, still print English.)"""

from __future__ import annotations

import pytest
from cli_language import assert_in_spanish


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
    assert_in_spanish(["design", *args], spanish, english)
