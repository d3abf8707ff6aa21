"""What a small two-arm trial with a binary endpoint can and cannot detect.

For ``n_total`` participants at 1:1 and a control event proportion (defaults: 40 participants,
28-day mortality 40%), the power against each treatment proportion at each test setting (defaults:
two-sided 0.05, and the Phase II screening levels one-sided 0.10 and 0.20), three ways:

- the normal approximation (Fleiss, as in sample-size tables);
- the exact power of the pooled z-test that the approximation describes (exact enumeration);
- the exact power of Fisher's exact test;

with the exact size of both tests under the null (treatment = control), the smallest mortality
reduction the trial detects with the target power, and the per-arm sample size that the target
power would need at each treatment proportion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

from .exact_binary import binary_exact_oc
from .proportions import fisher_power, proportions_power, proportions_sample_size

DEFAULT_SETTINGS: tuple[tuple[float, int], ...] = ((0.05, 2), (0.10, 1), (0.20, 1))


@dataclass(frozen=True)
class Setting:
    alpha: float
    sided: int

    @property
    def label(self) -> str:
        side = "two-sided" if self.sided == 2 else "one-sided"
        return f"{side} {self.alpha:g}"


def _z_test_exact(n: int, p_c: float, p_t: float, s: Setting) -> float:
    bound = float(special.ndtri(1 - s.alpha / s.sided))
    oc = binary_exact_oc([n], [n], p_c, p_t, [bound], sided=s.sided)
    return oc.rejection_probability


def detectable_p_treatment(n: int, p_control: float, s: Setting, power: float) -> float | None:
    """Treatment proportion below control detected with ``power`` (normal approximation)."""

    def short(p_t: float) -> float:
        return proportions_power(n, p_control, p_t, alpha=s.alpha, sided=s.sided) - power

    lo = 1e-6
    if short(lo) < 0:
        return None
    return float(optimize.brentq(short, lo, p_control - 1e-9, xtol=1e-8))


def power_table(
    n_total: int = 40,
    p_control: float = 0.40,
    p_treatments: Sequence[float] = (0.10, 0.15, 0.20, 0.25, 0.30),
    settings: Sequence[tuple[float, int]] = DEFAULT_SETTINGS,
    target_power: float = 0.8,
) -> dict[str, Any]:
    """Compute the report as a JSON-ready dictionary."""
    if n_total < 4 or n_total % 2:
        raise ValueError("n_total must be an even number >= 4 (1:1 allocation)")
    if not 0 < p_control < 1:
        raise ValueError("p_control must lie in (0, 1)")
    for p in p_treatments:
        if not 0 < p < 1 or p == p_control:
            raise ValueError("each treatment proportion must lie in (0, 1) and differ from control")
    n = n_total // 2
    rows = []
    for alpha, sided in settings:
        s = Setting(alpha, sided)
        entries = []
        for p_t in p_treatments:
            entries.append(
                {
                    "p_treatment": p_t,
                    "power_normal": proportions_power(n, p_control, p_t, alpha=alpha, sided=sided),
                    "power_z_exact": _z_test_exact(n, p_control, p_t, s),
                    "power_fisher": fisher_power(n, p_control, p_t, alpha=alpha, sided=sided),
                    "n_per_arm_needed": proportions_sample_size(
                        p_control, p_t, alpha=alpha, sided=sided, power=target_power
                    ).n_per_arm,
                }
            )
        rows.append(
            {
                "setting": s.label,
                "alpha": alpha,
                "sided": sided,
                "size_z_exact": _z_test_exact(n, p_control, p_control, s),
                "size_fisher": fisher_power(
                    n, p_control, p_control, alpha=alpha, sided=sided, benefit="lower"
                ),
                "detectable_p_treatment": detectable_p_treatment(n, p_control, s, target_power),
                "entries": entries,
            }
        )
    return {
        "n_total": n_total,
        "n_per_arm": n,
        "p_control": p_control,
        "target_power": target_power,
        "settings": rows,
    }


def format_table(report: dict[str, Any]) -> str:
    """Render the report as plain text."""
    lines = [
        f"{report['n_total']} participants ({report['n_per_arm']} per arm), control event "
        f"proportion {report['p_control']:.0%}; power of a test of treatment vs control",
        "",
    ]
    target = report["target_power"]
    for row in report["settings"]:
        lines.append(
            f"{row['setting']}: exact size of the z-test {row['size_z_exact']:.4f}, "
            f"of Fisher's test {row['size_fisher']:.4f}"
        )
        lines.append(
            f"  {'treatment':>9}  {'normal':>7}  {'z exact':>7}  {'Fisher':>7}  "
            f"{'n/arm for ' + format(target, '.0%'):>14}"
        )
        for e in row["entries"]:
            lines.append(
                f"  {e['p_treatment']:>9.0%}  {e['power_normal']:>7.3f}  {e['power_z_exact']:>7.3f}"
                f"  {e['power_fisher']:>7.3f}  {e['n_per_arm_needed']:>14d}"
            )
        det = row["detectable_p_treatment"]
        lines.append(
            f"  {target:.0%} power (normal approximation) needs treatment <= {det:.1%}"
            if det is not None
            else f"  no treatment proportion reaches {target:.0%} power"
        )
        lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class PowerPlotWords:
    """The power plot's texts, English unless a caller (a page) gives its reader's. Placeholders:
    ``{setting}`` (a setting's label), ``{control}`` (the control proportion in percent, a whole
    number), ``{n_total}`` and ``{n}`` (participants in all and per arm)."""

    one_sided: str = "one-sided {alpha}"
    two_sided: str = "two-sided {alpha}"
    normal: str = "{setting}: normal approximation"
    z_exact: str = "{setting}: z-test, exact"
    fisher: str = "{setting}: Fisher, exact"
    x_label: str = "event proportion on treatment (control {control}%)"
    y_label: str = "power"
    title: str = "What {n_total} participants ({n} per arm) can detect"

    def setting(self, s: Setting) -> str:
        return (self.two_sided if s.sided == 2 else self.one_sided).format(alpha=f"{s.alpha:g}")


def plot_power(report: dict[str, Any], path: str, words: PowerPlotWords | None = None) -> None:
    """Power curves against the treatment proportion for each setting (PNG/PDF/SVG by suffix),
    labelled with ``words`` (default: English)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = words or PowerPlotWords()
    n = report["n_per_arm"]
    p_c = report["p_control"]
    grid = np.linspace(0.02, p_c - 0.01, 60)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    for color, row in zip(("C0", "C1", "C2", "C3", "C4"), report["settings"], strict=False):
        s = Setting(row["alpha"], row["sided"])
        normal = [proportions_power(n, p_c, p, alpha=s.alpha, sided=s.sided) for p in grid]
        exact = [_z_test_exact(n, p_c, p, s) for p in grid]
        fisher = [fisher_power(n, p_c, p, alpha=s.alpha, sided=s.sided) for p in grid]
        setting = words.setting(s)
        ax.plot(grid, normal, color=color, lw=2, label=words.normal.format(setting=setting))
        ax.plot(grid, exact, color=color, ls="--", lw=1.2,
                label=words.z_exact.format(setting=setting))
        ax.plot(grid, fisher, color=color, ls=":", lw=1.2,
                label=words.fisher.format(setting=setting))
    ax.axhline(report["target_power"], color="grey", lw=0.8)
    ax.set_xlabel(words.x_label.format(control=f"{100 * p_c:.0f}"))
    ax.set_ylabel(words.y_label)
    ax.set_ylim(0, 1)
    ax.set_xlim(grid[0], grid[-1])
    ax.invert_xaxis()
    ax.set_title(words.title.format(n_total=report["n_total"], n=n))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
