"""The optional [bop2_monitoring] section (issue 23): read into a BOP2 design problem; a wrong arm,
an unknown efficacy field or impossible cells are refused naming the section and the rule."""

from __future__ import annotations

import re

import pytest

from trialdesk.protocol import ProtocolError, default_protocol_path, parse_protocol

SECTION = """
[bop2_monitoring]
arm = "msc"
looks = [4, 8, 12]
null = [0.15, 0.30, 0.15, 0.40]
alternative = [0.18, 0.42, 0.02, 0.38]
lambda = 0.7
gamma = 1.0
[bop2_monitoring.efficacy]
form = "end_of_study"
field = "vital_status_day28"
values = ["alive"]
[bop2_monitoring.toxicity]
min_grade = 4
serious_related = true
"""


def without_bop2(text: str) -> str:
    """The protocol text with its [bop2_monitoring] section (and its sub-tables) cut out."""
    return re.sub(r"\n\[bop2_monitoring\].*?(?=\n# ---)", "\n", text, flags=re.S)


def _with(section: str):
    text = without_bop2(default_protocol_path().read_text(encoding="utf-8"))
    assert "[bop2_monitoring" not in text
    return parse_protocol(text + section)


def test_the_default_protocol_declares_the_calibrated_rule():
    # NCT04390152's rule (an assumption): looks every 5 to 20, null survival 0.60 and toxicity
    # 0.30, alternative 0.80 and 0.10, lambda 0.69, gamma 1.4 as `trialdesk design bop2`
    # calibrates them at alpha 0.1 (the grid's optimum, checked here again)
    from trialdesk.protocol import load_protocol
    from trialdesk.stats.design import bop2

    rule = load_protocol().bop2_monitoring
    problem = rule.problem()
    design = bop2.calibrate(problem, 0.1)
    assert (design.lam, design.gamma) == (rule.lam, rule.gamma) == (0.69, 1.4)
    assert design.bounds.eff_stop == (1, 4, 8, 13) and design.bounds.tox_stop == (4, 5, 5, 6)
    assert design.null_oc.p_promising == pytest.approx(0.0943, abs=1e-4)
    assert design.alt_oc.p_promising == pytest.approx(0.8943, abs=1e-4)


def test_the_section_reads_into_a_design_problem():
    rule = _with(SECTION).bop2_monitoring
    assert (rule.arm, rule.lam, rule.gamma) == ("msc", 0.7, 1.0)
    problem = rule.problem()
    assert problem.looks == (4, 8, 12) and problem.n_max == 12
    assert problem.phi_eff == pytest.approx(0.45) and problem.phi_tox == pytest.approx(0.30)
    assert rule.toxicity.counts(grade=4, serious=False, related=False)
    assert problem.dirichlet.sum() == pytest.approx(1.0)  # default prior sample size 1
    stronger = _with(SECTION.replace("gamma = 1.0", "gamma = 1.0\nprior_ess = 2.0"))
    assert stronger.bop2_monitoring.problem().dirichlet.sum() == pytest.approx(2.0)
    assert _with("").bop2_monitoring is None


@pytest.mark.parametrize("change,words", [
    (('arm = "msc"', 'arm = "placebo"'), "not an arm of the design"),
    (('field = "vital_status_day28"', 'field = "no_such_field"'), "no field 'no_such_field'"),
    (("null = [0.15, 0.30, 0.15, 0.40]", "null = [0.5, 0.5, 0.5, 0.5]"), "four cell"),
    (("looks = [4, 8, 12]", "looks = [8, 4, 12]"), "increasing"),
])
def test_a_wrong_section_is_refused_naming_the_rule(change, words):
    with pytest.raises(ProtocolError) as refused:
        _with(SECTION.replace(*change))
    assert "bop2_monitoring" in str(refused.value) and words in str(refused.value)


def test_the_dsmb_is_convened_on_pooled_counts_scaled_by_the_allocation_ratio():
    rule = _with(SECTION).bop2_monitoring
    assert rule.pooled_looks({"msc": 1, "standard": 1}) == [8, 16, 24]
    # 2:1 for the watched arm: 4 of the arm are expected among 6 participants
    assert rule.pooled_looks({"msc": 2, "standard": 1}) == [6, 12, 18]
    # 1:2: the arm's share is a third; 4 / (1/3) is 12 exactly, not 12.000...1 rounded up to 13
    assert rule.pooled_looks({"msc": 1, "standard": 2}) == [12, 24, 36]
    # a share that does not divide the look rounds up: 3:4, 4 / (3/7) = 9.33
    assert rule.pooled_looks({"msc": 3, "standard": 4}) == [10, 19, 28]
