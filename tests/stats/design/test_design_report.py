"""The default-trial report: what 40 participants can and cannot detect."""

from __future__ import annotations

import pytest
from scipy import stats

from trialdesk.stats.design.proportions import fisher_power, proportions_power
from trialdesk.stats.design.report import format_table, plot_power, power_table


def test_default_report_numbers_are_consistent():
    r = power_table()
    assert (r["n_total"], r["n_per_arm"], r["p_control"]) == (40, 20, 0.4)
    labels = [row["setting"] for row in r["settings"]]
    assert labels == ["two-sided 0.05", "one-sided 0.1", "one-sided 0.2"]
    two, one10, one20 = r["settings"]
    e = {x["p_treatment"]: x for x in two["entries"]}
    assert set(e) == {0.10, 0.15, 0.20, 0.25, 0.30}
    # normal approximation: the closed form, computed here by hand
    z = stats.norm.isf(0.025)
    pbar = 0.25
    hand = stats.norm.cdf(
        (0.3 * 20**0.5 - z * (2 * pbar * (1 - pbar)) ** 0.5) / (0.4 * 0.6 + 0.1 * 0.9) ** 0.5
    )
    assert e[0.10]["power_normal"] == pytest.approx(hand)
    assert e[0.10]["power_fisher"] == pytest.approx(fisher_power(20, 0.4, 0.1))
    # 40 participants do not give 80% power against 40% -> 20% at any of these levels
    for row in r["settings"]:
        by_p = {x["p_treatment"]: x for x in row["entries"]}
        assert by_p[0.20]["power_normal"] < 0.8
        assert row["detectable_p_treatment"] < 0.2
        # power falls as the effect shrinks
        powers = [x["power_normal"] for x in row["entries"]]
        assert powers == sorted(powers, reverse=True)
    # a looser screening alpha buys power
    assert one20["entries"][2]["power_normal"] > one10["entries"][2]["power_normal"]
    assert one10["entries"][2]["power_normal"] > two["entries"][2]["power_normal"]
    # the detectable effect reaches 80% power exactly (normal approximation)
    p_det = one10["detectable_p_treatment"]
    assert proportions_power(20, 0.4, p_det, alpha=0.1, sided=1) == pytest.approx(0.8, abs=1e-6)
    # exact sizes: Fisher is conservative; the z-test's is near the nominal level
    assert two["size_fisher"] < 0.05
    assert abs(two["size_z_exact"] - 0.05) < 0.03


def test_report_text_and_plot(test_output_dir):
    r = power_table()
    text = format_table(r)
    assert "40 participants (20 per arm)" in text
    assert "one-sided 0.2" in text
    path = test_output_dir / "default_trial_power.png"
    plot_power(r, str(path))
    assert path.stat().st_size > 10_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_plot_writes_the_words_it_is_given(tmp_path):
    """A page draws the curves in its reader's language (issue 19)."""
    import matplotlib

    from trialdesk.stats.design.report import PowerPlotWords

    words = PowerPlotWords(one_sided="unilateral {alpha}", two_sided="bilateral {alpha}",
                           normal="{setting}: aproximación normal",
                           z_exact="{setting}: prueba z, exacta", fisher="{setting}: Fisher",
                           x_label="proporción (control {control} %)", y_label="potencia",
                           title="Qué pueden detectar {n_total} participantes ({n} por brazo)")
    path = tmp_path / "power.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        plot_power(power_table(), str(path), words)
    svg = path.read_text(encoding="utf-8")
    for spanish in ("unilateral 0.1: aproximación normal", "bilateral 0.05: prueba z, exacta",
                    "proporción (control 40 %)", "potencia",
                    "Qué pueden detectar 40 participantes (20 por brazo)"):
        assert spanish in svg, spanish
    for english in ("sided", "normal approximation", "exact<", "power<", "treatment",
                    "can detect"):
        assert english not in svg, english


def test_report_refuses_odd_or_invalid_input():
    with pytest.raises(ValueError, match="even"):
        power_table(n_total=41)
    with pytest.raises(ValueError, match="differ"):
        power_table(p_treatments=[0.4])
