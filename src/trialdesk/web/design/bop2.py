"""The BOP2 page: a Bayesian optimal phase II design monitoring efficacy and toxicity together
(Zhou, Lee and Yuan 2017): calibrated lambda and gamma, the boundary table at each look, the
operating characteristics, and a plot of the boundaries.

Read-only (GET computes, nothing is stored), like the adaptive page.
"""

from __future__ import annotations

import itertools
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET
from matplotlib.figure import Figure

from trialdesk.stats.design import bop2
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.pages import page
from trialdesk.web.core.permissions import USE_DESIGN
from trialdesk.web.design.forms import _number, _open_unit, parse_numbers
from trialdesk.web.design.plots import _svg

ENDPOINTS = [("joint", _lazy("Efficacy and toxicity")), ("efficacy", _lazy("Efficacy only"))]
MAX_N = 100  # the page computes in the request: calibration ~3 s CPU at N = 100, 10 looks


class Bop2Form(forms.Form):
    endpoint = forms.ChoiceField(label=_lazy("Endpoints"), choices=ENDPOINTS, initial="joint")
    looks = forms.CharField(label=_lazy("Patients at each look"), initial="10, 20, 30, 40",
                            max_length=200,
                            help_text=_lazy("Cumulative, e.g. 10, 20, 30, 40; the last is N."))
    null_cells = forms.CharField(
        label=_lazy("Null cell probabilities"), initial="0.15, 0.30, 0.15, 0.40",
        max_length=200, required=False,
        help_text=_lazy("Efficacy and toxicity: efficacy & toxicity, efficacy & no toxicity, "
                        "no efficacy & toxicity, neither."))
    alt_cells = forms.CharField(
        label=_lazy("Alternative cell probabilities"), initial="0.18, 0.42, 0.02, 0.38",
        max_length=200, required=False, help_text=_lazy("Same order as the null."))
    p0 = _number(_lazy("Null response rate"), 0.2, required=False,
                 help_text=_lazy("Efficacy only."))
    p1 = _number(_lazy("Alternative response rate"), 0.4, required=False,
                 help_text=_lazy("Efficacy only."))
    alpha = _number(_lazy("Type I error"), 0.1,
                    help_text=_lazy("Largest probability of claiming promising under the null."))
    prior_ess = _number(_lazy("Prior effective sample size"), 1.0)

    def _cells(self, name: str) -> tuple[float, ...] | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        values = parse_numbers(text)
        if len(values) != 4 or min(values) < 0 or abs(sum(values) - 1) > 1e-6:
            raise forms.ValidationError(_("Give four probabilities, at least 0, summing to 1."))
        return tuple(values)

    def clean_looks(self) -> list[int]:
        values = parse_numbers(self.cleaned_data["looks"])
        if (not values or any(v != int(v) or v < 1 for v in values)
                or any(b <= a for a, b in itertools.pairwise(values))):
            raise forms.ValidationError(_("Give increasing whole numbers of patients."))
        if values[-1] > MAX_N:
            raise forms.ValidationError(
                _("At most %(n)d patients on this page; use the command line beyond.")
                % {"n": MAX_N})
        return [int(v) for v in values]

    def clean_null_cells(self) -> tuple[float, ...] | None:
        return self._cells("null_cells")

    def clean_alt_cells(self) -> tuple[float, ...] | None:
        return self._cells("alt_cells")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "alpha")
        if data.get("prior_ess") is not None and data["prior_ess"] <= 0:
            self.add_error("prior_ess", _("Must be positive."))
        if data.get("endpoint") == "efficacy":
            p0, p1 = data.get("p0"), data.get("p1")
            if p0 is None or p1 is None or not 0 < p0 < p1 < 1:
                self.add_error("p1", _("Need 0 < null rate < alternative rate < 1."))
        elif data.get("endpoint") == "joint":
            for name in ("null_cells", "alt_cells"):
                if name not in self.errors and data.get(name) is None:
                    self.add_error(name, _("Required for efficacy and toxicity."))
        return data


def _problem(data: dict[str, Any]) -> bop2.Bop2Problem:
    if data["endpoint"] == "efficacy":
        return bop2.single_endpoint(data["looks"], data["p0"], data["p1"], data["prior_ess"])
    return bop2.Bop2Problem(tuple(data["looks"]), data["null_cells"], data["alt_cells"],
                            prior_ess=data["prior_ess"])


def boundary_svg(bounds: bop2.Bop2Boundaries, *, title: str, x_label: str, y_label: str,
                 eff_label: str, tox_label: str | None) -> str:
    """The count boundaries against the number of patients."""
    fig = Figure(figsize=(6.5, 3.8), dpi=100)
    ax = fig.subplots()
    looks = list(bounds.looks)
    ax.plot(looks, bounds.eff_stop, "o-", color="#12355b", label=eff_label)
    if tox_label is not None:
        ax.plot(looks, bounds.tox_stop, "s--", color="#a40000", label=tox_label)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return _svg(fig)


@require_GET
@page(USE_DESIGN, record_readers=None)
def bop2_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = Bop2Form(request.GET) if request.GET else Bop2Form()
    context: dict[str, Any] = {"actor": actor, "form": form}
    if form.is_bound and form.is_valid():
        try:
            design = bop2.calibrate(_problem(form.cleaned_data), form.cleaned_data["alpha"])
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            tox = design.problem.phi_tox is not None
            context["design"] = design
            context["toxicity"] = tox
            context["rows"] = [
                {**row, "eff": row["stop_if_eff_at_most"] if row["stop_if_eff_at_most"] >= 0
                 else None,
                 "tox": row["stop_if_tox_at_least"] if row["stop_if_tox_at_least"] <= row["n"]
                 else None}
                for row in design.bounds.rows()]
            context["ocs"] = [(_("Null"), design.null_oc), (_("Alternative"), design.alt_oc)]
            context["plot"] = boundary_svg(
                design.bounds, title=_("BOP2 stopping boundaries"), x_label=_("Patients"),
                y_label=_("Count"), eff_label=_("Stop if efficacies at most"),
                tox_label=_("Stop if toxicities at least") if tox else None)
    return render(request, "design/bop2.html", context,
                  status=400 if form.is_bound and form.errors else 200)
