"""The adaptive-design page: a combination test's boundaries, conditional power at an interim, the
re-estimated stage size, and a plot of the re-estimation rule against the interim z.

Read-only (GET computes, nothing is stored), like the boundaries page. Kept apart from
``views.py``/``forms.py`` so the design app's other pages are untouched.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET
from matplotlib.figure import Figure

from trialdesk.stats.design import (
    combination,
    conditional_power,
    conditional_power_fisher,
    ssr,
    ssr_fisher,
)
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import USE_DESIGN
from trialdesk.web.design.forms import SPENDING, _number, _open_unit, parse_numbers
from trialdesk.web.design.plots import _svg

TESTS = [("inverse-normal", _lazy("Inverse normal")), ("fisher", _lazy("Fisher"))]
STAGES = [("2", "2"), ("3", "3")]
DECISIONS = {"reject": _lazy("reject the null hypothesis"), "continue": _lazy("continue"),
             "futility": _lazy("stop for futility"),
             "accept": _lazy("do not reject the null hypothesis")}


class AdaptiveForm(forms.Form):
    test = forms.ChoiceField(label=_lazy("Combination test"), choices=TESTS,
                             initial="inverse-normal")
    stages = forms.TypedChoiceField(label=_lazy("Stages"), choices=STAGES, coerce=int,
                                    initial="2")
    alpha = _number(_lazy("Alpha (one-sided)"), 0.025)
    kind = forms.ChoiceField(label=_lazy("Boundaries (inverse normal)"), choices=SPENDING,
                             initial="classical-obf")
    information_rates = forms.CharField(
        label=_lazy("Information rates"), required=False, max_length=200,
        help_text=_lazy("Optional, e.g. 0.5, 1: one per stage, ending at 1."))
    alpha0 = _number(_lazy("Futility level alpha0 (Fisher)"), 1.0,
                     help_text=_lazy("Stop when a stage p-value exceeds it; 1: never."))
    stage_n = forms.CharField(label=_lazy("Planned patients per stage"), initial="221, 221",
                              max_length=200, help_text=_lazy("Both arms, e.g. 221, 221."))
    effect = _number(_lazy("Planned difference of means"), 2.0)
    sd = _number(_lazy("Standard deviation"), 7.5)
    interim_z = forms.CharField(
        label=_lazy("Interim stage-wise z"), required=False, max_length=200,
        help_text=_lazy("Optional: the z of each stage done, e.g. 1.3."))
    target_cp = _number(_lazy("Target conditional power"), 0.8)
    n_max = _number(_lazy("Largest re-estimated stage"), 663.0, required=False,
                    help_text=_lazy("Empty: no re-estimation."))
    promising_low = _number(_lazy("Promising zone: lowest CP"), 0.36, required=False)
    promising_high = _number(_lazy("Promising zone: highest CP"), 0.8, required=False,
                             help_text=_lazy("Both empty: re-estimate at every interim."))

    def _numbers(self, name: str) -> list[float] | None:
        text = self.cleaned_data.get(name, "") or ""
        return parse_numbers(text) if text.strip() else None

    def clean_information_rates(self) -> list[float] | None:
        return self._numbers("information_rates")

    def clean_stage_n(self) -> list[float] | None:
        values = self._numbers("stage_n")
        if not values or min(values) <= 0:
            raise forms.ValidationError(_("Give one positive size per stage."))
        return values

    def clean_interim_z(self) -> list[float] | None:
        return self._numbers("interim_z")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "alpha")
        _open_unit(self, "target_cp")
        k = data.get("stages")
        if k is None:
            return data
        rates, n, z = data.get("information_rates"), data.get("stage_n"), data.get("interim_z")
        if rates is not None and len(rates) != k:
            self.add_error("information_rates", _("Give one rate per stage."))
        if n is not None and len(n) != k:
            self.add_error("stage_n", _("Give one positive size per stage."))
        if z is not None and not 1 <= len(z) < k:
            self.add_error("interim_z", _("Give the z of the stages done, fewer than all."))
        if data.get("sd") is not None and data["sd"] <= 0:
            self.add_error("sd", _("Must be positive."))
        low, high = data.get("promising_low"), data.get("promising_high")
        if (low is None) != (high is None):
            self.add_error("promising_high", _("Give both edges of the zone, or neither."))
        elif low is not None and not 0 <= low < high <= 1:
            self.add_error("promising_high", _("Need 0 <= lowest < highest <= 1."))
        return data


def _significant(value: float) -> str:
    """Eight significant digits with the language's decimal separator (Fisher's critical values
    run down to 1e-7, which a fixed number of decimals would flatten)."""
    return f"{value:.8g}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))


def _rule(data: dict[str, Any], theta: float) -> ssr.SampleSizeRule:
    low, high = data["promising_low"], data["promising_high"]
    return ssr.SampleSizeRule(
        tuple(data["stage_n"]), target=data["target_cp"], n_max=data["n_max"],
        promising=(low, high) if low is not None else None)


def _compute(data: dict[str, Any]) -> dict[str, Any]:
    k = data["stages"]
    if data["test"] == "fisher":
        design: Any = combination.fisher_design(
            k, alpha=data["alpha"], alpha0=data["alpha0"],
            information_rates=data["information_rates"])
    else:
        design = combination.inverse_normal_design(
            k, alpha=data["alpha"], kind=data["kind"], information_rates=data["information_rates"])
    summary = design.summary()
    rows = [{"stage": i + 1, "information": t, "weight": summary["weights"][i],
             "critical": _significant(summary["critical_values"][i]),
             "level": summary["stage_levels"][i], "spent": summary["alpha_spent"][i]}
            for i, t in enumerate(summary["information_rates"])]
    out: dict[str, Any] = {"design": design, "rows": rows, "fisher": data["test"] == "fisher"}
    if out["fisher"]:
        return _compute_fisher(data, design, out)
    theta = conditional_power.theta_means(data["effect"], data["sd"])
    n = data["stage_n"]
    rule = _rule(data, theta)
    z = data["interim_z"]
    if z is not None:
        remaining = n[len(z):]
        out["interim"] = {
            "decision": DECISIONS[design.decision(z)],
            "combination_z": float(design.combination_z(z)[-1]),
            "cp_observed": conditional_power.conditional_power_observed(design, z, n, remaining),
            "cp_planned": conditional_power.conditional_power(design, z, remaining, theta),
            "next_n": ssr.next_size(design, rule, z),
            "planned_n": n[len(z)],
        }
    if k == 2:
        out["oc"] = [ssr.oc_integration(design, rule, th) for th in (0.0, theta)]
    return out


def _compute_fisher(data: dict[str, Any], design: combination.FisherDesign,
                    out: dict[str, Any]) -> dict[str, Any]:
    """Interim and operating characteristics of a Fisher design. With two stages left the
    conditional power is simulated (seeded), as rpact does; the page says so."""
    theta = conditional_power.theta_means(data["effect"], data["sd"])
    n = data["stage_n"]
    rule = _rule(data, theta)
    z = data["interim_z"]
    if z is not None:
        p = conditional_power_fisher.p_from_z(z)
        remaining = n[len(z):]
        observed = conditional_power_fisher.conditional_power_fisher_observed(
            design, p, n, remaining)
        out["interim"] = {
            "decision": DECISIONS[design.decision(p)],
            "product": _significant(float(design.combination(p)[-1])),
            "cp_observed": observed.value,
            "cp_planned": conditional_power_fisher.conditional_power_fisher(
                design, p, remaining, theta).value,
            "next_n": ssr_fisher.next_size_fisher(design, rule, p),
            "planned_n": n[len(z)],
            "simulated": observed.method == "simulation",
            "sims": observed.sims, "seed": observed.seed,
        }
    if data["stages"] == 2:
        out["oc"] = [ssr_fisher.oc_integration_fisher(design, rule, th) for th in (0.0, theta)]
    return out


def _first_stage_curves(design: Any, rule: ssr.SampleSizeRule
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-stage z from the futility bound (or -1) to the efficacy bound; there the conditional
    power (observed effect, planned size) and the re-estimated second-stage size."""
    n1 = rule.n_planned[0]
    if isinstance(design, combination.FisherDesign):
        # Fisher: only two-stage designs are plotted, where the conditional power is exact.
        z_reject = float(conditional_power_fisher.z_from_p(design.critical_values[0]))
        a0 = float(design.alpha0[0])
        lo = float(conditional_power_fisher.z_from_p(a0)) if a0 < 1 else -1.0
        z1 = np.linspace(lo, z_reject, 300)
        theta_hat = z1 / math.sqrt(n1)
        p1 = conditional_power_fisher.p_from_z(z1)
        n2 = ssr_fisher.next_sizes_fisher(design, rule, 0, design.weights[0] * np.log(p1),
                                          theta_hat)
        cp = np.array([conditional_power_fisher.conditional_power_next_stage(
            design, [p], rule.n_planned[1], th) for p, th in zip(p1, theta_hat, strict=True)])
        return z1, cp, n2
    lo = design.futility_bounds[0] if np.isfinite(design.futility_bounds[0]) else -1.0
    z1 = np.linspace(lo, design.critical_values[0], 300)
    theta_hat = z1 / math.sqrt(n1)
    n2 = ssr.next_sizes(design, rule, 0, design.weights[0] * z1, theta_hat)
    cp = np.array([conditional_power.conditional_power(design, [z], rule.n_planned[1:], th)
                   for z, th in zip(z1, theta_hat, strict=True)])
    return z1, cp, n2


def rule_svg(design: Any, rule: ssr.SampleSizeRule, *, title: str,
             x_label: str, cp_label: str, n_label: str) -> str:
    """Conditional power (observed effect, planned size) and the re-estimated second-stage size
    against the first-stage z, between the futility bound (or -1) and the efficacy bound."""
    z1, cp, n2 = _first_stage_curves(design, rule)
    fig = Figure(figsize=(6.5, 3.8), dpi=100)
    ax = fig.subplots()
    ax.plot(z1, cp, color="#12355b", label=cp_label)
    ax.set_ylim(0, 1)
    ax.set_xlabel(x_label)
    ax.set_ylabel(cp_label)
    right = ax.twinx()
    right.plot(z1, n2, "--", color="#a40000", label=n_label)
    right.set_ylabel(n_label)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper left")
    fig.tight_layout()
    return _svg(fig)


@require_GET
@page(USE_DESIGN, record_readers=None)
def adaptive_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AdaptiveForm(request.GET) if request.GET else AdaptiveForm()
    context: dict[str, Any] = {"actor": actor, "form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = _compute(data)
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            context["result"] = result
            if not result["fisher"] or data["stages"] == 2:
                theta = conditional_power.theta_means(data["effect"], data["sd"])
                context["plot"] = rule_svg(
                    result["design"], _rule(data, theta),
                    title=_("Re-estimation at the first interim"),
                    x_label=_("First-stage z"),
                    cp_label=_("Conditional power (observed effect)"),
                    n_label=_("Second-stage patients"))
    return render(request, "design/adaptive.html", context,
                  status=400 if form.is_bound and form.errors else 200)
