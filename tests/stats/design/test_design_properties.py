"""Property tests: random designs checked against independent computations."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from trialdesk.stats.design.boundaries import group_sequential_design
from trialdesk.stats.design.exact_binary import binary_exact_oc


def _cov(t):
    return np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))


@st.composite
def designs(draw):
    k = draw(st.integers(2, 4))
    gaps = draw(st.lists(st.floats(0.1, 1.0), min_size=k, max_size=k))
    t = np.cumsum(gaps) / np.sum(gaps)
    family = draw(st.sampled_from(["obf", "pocock", "hsd", "kd"]))
    gamma = draw(st.floats(-6.0, 2.0))
    rho = draw(st.floats(0.75, 4.0))
    alpha = draw(st.sampled_from([0.01, 0.025, 0.05, 0.1]))
    sided = draw(st.sampled_from([1, 2]))
    return {
        "k": k,
        "information_rates": t,
        "spending": family,
        "gamma": gamma,
        "rho": rho,
        "alpha": alpha,
        "sided": sided,
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs())
def test_any_spending_design_has_exact_size_alpha_by_mvn(kwargs):
    d = group_sequential_design(**kwargs)
    t = d.information_rates
    # P(no crossing) of the symmetric or one-sided region, by scipy's MVN integration
    lower = d.lower if d.sided == 2 else np.full(t.size, -np.inf)
    inside = stats.multivariate_normal.cdf(
        d.upper,
        np.zeros(t.size),
        _cov(t),
        lower_limit=lower,
        abseps=1e-9,
        releps=1e-9,
        maxpts=1_000_000,
    )
    assert abs((1 - inside) - d.alpha) < 5e-6
    # and the power at the design drift is 1 - beta (upper crossings only)
    assert abs(d.power() - (1 - d.beta)) < 1e-6


@st.composite
def binary_designs(draw):
    k = draw(st.integers(1, 3))
    inc_c = draw(st.lists(st.integers(1, 4), min_size=k, max_size=k))
    inc_t = draw(st.lists(st.integers(1, 4), min_size=k, max_size=k))
    upper = draw(st.lists(st.floats(0.5, 3.0), min_size=k, max_size=k))
    lower = [u - draw(st.floats(0.2, 3.0)) for u in upper]
    pc = draw(st.floats(0.05, 0.95))
    pt = draw(st.floats(0.05, 0.95))
    return np.cumsum(inc_c), np.cumsum(inc_t), upper, lower, pc, pt


@settings(max_examples=25, deadline=None)
@given(binary_designs())
def test_exact_binary_oc_matches_monte_carlo_of_the_same_design(args):
    n_c, n_t, upper, lower, pc, pt = args
    oc = binary_exact_oc(n_c, n_t, pc, pt, upper, lower)
    total = oc.upper.sum() + oc.lower.sum()
    assert total <= 1 + 1e-12
    rng = np.random.default_rng(0)
    reps = 20_000
    xc = np.cumsum(np.stack([rng.binomial(m, pc, reps) for m in np.diff(n_c, prepend=0)], 1), 1)
    xt = np.cumsum(np.stack([rng.binomial(m, pt, reps) for m in np.diff(n_t, prepend=0)], 1), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pbar = (xc + xt) / (n_c + n_t)
        var = pbar * (1 - pbar) * (1 / n_c + 1 / n_t)
        z = np.where(var > 0, (xc / n_c - xt / n_t) / np.sqrt(np.where(var > 0, var, 1)), 0.0)
    up = z >= np.asarray(upper) - 1e-12
    lo = (z <= np.asarray(lower) + 1e-12) & ~up
    stop = up | lo
    stop[:, -1] = True
    first = np.argmax(stop, axis=1)
    mc_up = np.bincount(first[up[np.arange(reps), first]], minlength=len(upper)) / reps
    se = np.sqrt(np.maximum(oc.upper * (1 - oc.upper), 1e-12) / reps)
    assert np.all(np.abs(mc_up - oc.upper) < 5 * se + 1e-9)
