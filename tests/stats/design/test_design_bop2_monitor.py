"""BOP2 look by look for a running trial: the counts at each look against the boundaries, the
decision checked against the posterior rule computed here from its definition (Beta marginals of
the Dirichlet posterior, Zhou, Lee and Yuan 2017, section 2)."""

from __future__ import annotations

import pytest
from scipy import stats

from trialdesk.stats.design import bop2
from trialdesk.stats.design.bop2_monitor import look_statuses

NULL = (0.15, 0.30, 0.15, 0.40)  # p_E = 0.45, p_T = 0.30 (BOP2FE README's joint example)
ALT = (0.18, 0.42, 0.02, 0.38)
LOOKS = (10, 20, 30, 40)
LAM, GAMMA = 0.7, 1.0


def posterior_says(n: int, eff: int, tox: int) -> tuple[bool, bool]:
    """(futile, toxic) by the posterior rule: prior Dirichlet(NULL), marginals Beta."""
    c = 1 - LAM * (n / LOOKS[-1]) ** GAMMA
    a_e, b_e = NULL[0] + NULL[1], NULL[2] + NULL[3]
    a_t, b_t = NULL[0] + NULL[2], NULL[1] + NULL[3]
    futile = stats.beta.cdf(0.45, a_e + eff, b_e + n - eff) > c
    toxic = stats.beta.sf(0.30, a_t + tox, b_t + n - tox) > c
    return bool(futile), bool(toxic)


def outcomes(pattern: str) -> list[tuple[bool, bool]]:
    """'E' efficacy only, 'T' toxicity only, 'B' both, '.' neither."""
    return [(c in "EB", c in "TB") for c in pattern]


def test_each_reached_look_agrees_with_the_posterior_rule():
    problem = bop2.Bop2Problem(LOOKS, NULL, ALT)
    # 25 evaluable: looks 10 and 20 reached; 30 and 40 not yet.
    seq = outcomes("E.T.EB..E." + "....T....E" + "TTTTT")
    rows = look_statuses(problem, LAM, GAMMA, seq)
    assert [r.n for r in rows] == list(LOOKS)
    for row in rows[:2]:
        eff = sum(e for e, _ in seq[:row.n])
        tox = sum(t for _, t in seq[:row.n])
        assert (row.efficacies, row.toxicities) == (eff, tox)
        futile, toxic = posterior_says(row.n, eff, tox)
        assert (row.decision in ("stop_futility", "stop_both")) == futile
        assert (row.decision in ("stop_toxicity", "stop_both")) == toxic
    assert [r.decision for r in rows] == ["continue", "stop_futility", "not_reached",
                                          "not_reached"]
    assert [r.first_stop for r in rows] == [False, True, False, False]
    assert rows[2].efficacies is None
    # the boundaries printed are the design's, fixed in advance
    bounds = bop2.boundaries(problem, LAM, GAMMA)
    assert [r.stop_if_efficacies_at_most for r in rows] == list(bounds.eff_stop)
    assert [r.stop_if_toxicities_at_least for r in rows] == list(bounds.tox_stop)


def test_the_first_stop_is_marked_and_the_last_look_says_promising_or_not():
    problem = bop2.Bop2Problem(LOOKS, NULL, ALT)
    bounds = bop2.boundaries(problem, LAM, GAMMA)
    # at 10: stop if <= 3 responses or >= 5 toxicities (BOP2FE README, the same design)
    assert (bounds.eff_stop[0], bounds.tox_stop[0]) == (3, 5)
    # look 10: exactly the toxicity boundary reached, efficacy above its bound
    rows = look_statuses(problem, LAM, GAMMA, outcomes("BBBBB....." + "E" * 30))
    assert rows[0].decision == "stop_toxicity" and rows[0].first_stop
    assert not any(r.first_stop for r in rows[1:])
    # all responders, no toxicity: continue, then promising at N
    good = look_statuses(problem, LAM, GAMMA, outcomes("E" * 40))
    assert [r.decision for r in good] == ["continue"] * 3 + ["promising"]
    # no responder at all: futility from the first look; at N it reads "not promising"
    bad = look_statuses(problem, LAM, GAMMA, outcomes("." * 40))
    assert bad[0].decision == "stop_futility" and bad[0].first_stop
    assert bad[-1].decision == "not_promising" and not bad[-1].first_stop


def test_an_efficacy_only_design_never_stops_for_toxicity():
    problem = bop2.single_endpoint(LOOKS, 0.2, 0.4)
    rows = look_statuses(problem, 0.909, 1.0, outcomes("T" * 40))
    assert all(r.stop_if_toxicities_at_least is None for r in rows)
    assert all(r.decision in ("stop_futility", "not_promising") for r in rows)


@pytest.mark.parametrize("count", [0, 9])
def test_no_look_reached(count):
    problem = bop2.Bop2Problem(LOOKS, NULL, ALT)
    rows = look_statuses(problem, LAM, GAMMA, outcomes("E" * count))
    assert {r.decision for r in rows} == {"not_reached"}
