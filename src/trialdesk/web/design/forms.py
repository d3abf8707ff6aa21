"""The design pages' forms: each rule names its field, in the user's language."""

from __future__ import annotations

import itertools
import math
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

SPENDING = [
    ("obf", _("O'Brien-Fleming type (Lan-DeMets)")),
    ("pocock", _("Pocock type (Lan-DeMets)")),
    ("hsd", _("Hwang-Shih-DeCani (gamma)")),
    ("kd", _("Kim-DeMets power family (rho)")),
    ("classical-obf", _("Classical O'Brien-Fleming")),
    ("classical-pocock", _("Classical Pocock")),
]
FUTILITY = [("none", _("No futility bound")), *SPENDING[:4]]
SIDED = [("1", _("One-sided")), ("2", _("Two-sided"))]
MAX_LOOKS = 20


def _number(label: Any, initial: float | None = None, *, required: bool = True,
            help_text: Any = "") -> forms.FloatField:
    return forms.FloatField(label=label, initial=initial, required=required, help_text=help_text,
                            widget=forms.NumberInput(attrs={"step": "any"}))


def _open_unit(form: forms.Form, name: str, *, closed_below: bool = False) -> None:
    """Add an error to ``name`` unless its value lies in (0, 1) (or [0, 1))."""
    value = form.cleaned_data.get(name)
    if value is None:
        return
    low_ok = value >= 0 if closed_below else value > 0
    if not (low_ok and value < 1):
        form.add_error(name, _("Must lie between 0 and 1.") if not closed_below
                       else _("Must be at least 0 and below 1."))


def parse_numbers(text: str) -> list[float]:
    """Parse "0.2, 0.5, 1" (a comma or a semicolon between numbers)."""
    parts = [p for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise forms.ValidationError(_("Expected numbers separated by commas.")) from None
    if not all(math.isfinite(v) for v in values):
        raise forms.ValidationError(_("Expected numbers separated by commas."))
    return values


class _GroupSequentialFields(forms.Form):
    """Alpha, sidedness, power, dropout, and the looks that inflate a fixed design."""

    alpha = _number(_("Alpha"), 0.05, help_text=_("Total type I error (two-sided: both sides)."))
    sided = forms.TypedChoiceField(label=_("Sides"), choices=SIDED, coerce=int, initial="2")
    power = _number(_("Power"), 0.8)
    dropout = _number(_("Dropout"), 0.0, help_text=_(
        "Fraction without a primary outcome; n is divided by 1 - dropout."))
    looks = forms.IntegerField(label=_("Looks"), initial=1, min_value=1, max_value=MAX_LOOKS,
                               help_text=_("More than one look inflates the sample size."))
    spending = forms.ChoiceField(label=_("Alpha spending"), choices=SPENDING, initial="obf")
    futility = forms.ChoiceField(label=_("Futility (beta spending)"), choices=FUTILITY,
                                 initial="none")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "alpha")
        _open_unit(self, "power")
        _open_unit(self, "dropout", closed_below=True)
        if data.get("futility", "none") != "none" and data.get("sided") == 2:
            self.add_error("futility", _("Futility bounds are for one-sided designs."))
        if data.get("futility", "none") != "none" and str(data.get("spending", "")).startswith(
                "classical"):
            self.add_error("futility", _("Futility bounds need an alpha-spending design."))
        return data


class ProportionsForm(_GroupSequentialFields):
    p_control = _number(_("Event proportion, control"), 0.4)
    p_treatment = _number(_("Event proportion, treatment"), 0.2)
    ratio = _number(_("Allocation ratio (treatment / control)"), 1.0)
    continuity_correction = forms.BooleanField(label=_("Continuity correction (Fleiss)"),
                                               required=False)
    fisher = forms.BooleanField(label=_("Fisher's exact test (exact power, 1:1, one look)"),
                                required=False)
    field_order = ("p_control", "p_treatment", "alpha", "sided", "power", "ratio",
                   "continuity_correction", "fisher", "dropout", "looks", "spending", "futility")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "p_control")
        _open_unit(self, "p_treatment")
        if data.get("p_control") is not None and data.get("p_control") == data.get("p_treatment"):
            self.add_error("p_treatment", _("Must differ from the control proportion."))
        if data.get("ratio") is not None and data["ratio"] <= 0:
            self.add_error("ratio", _("Must be greater than 0."))
        if data.get("fisher") and (data.get("ratio") != 1 or data.get("looks") != 1):
            self.add_error("fisher", _("Fisher's exact test is sized for one look at 1:1."))
        return data


class SurvivalForm(_GroupSequentialFields):
    hazard_ratio = _number(_("Hazard ratio"), 0.6)
    method = forms.ChoiceField(label=_("Events formula"), initial="schoenfeld",
                               choices=[("schoenfeld", "Schoenfeld"), ("freedman", "Freedman")])
    allocation = _number(_("Fraction allocated to treatment"), 0.5)
    median_control = _number(_("Median survival, control"), required=False,
                             help_text=_("Give median, accrual and follow-up together "
                                         "(same time unit) for the number of participants."))
    accrual_time = _number(_("Accrual period"), required=False)
    follow_up = _number(_("Follow-up after the last entry"), required=False)
    dropout_hazard = _number(_("Dropout hazard"), 0.0)
    field_order = ("hazard_ratio", "method", "alpha", "sided", "power", "allocation",
                   "median_control", "accrual_time", "follow_up", "dropout_hazard", "dropout",
                   "looks", "spending", "futility")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hr = data.get("hazard_ratio")
        if hr is not None and (hr <= 0 or hr == 1):
            self.add_error("hazard_ratio", _("Must be positive and not 1."))
        _open_unit(self, "allocation")
        timing = ("median_control", "accrual_time", "follow_up")
        given = [data.get(name) is not None for name in timing]
        if any(given) and not all(given):
            for name, there in zip(timing, given, strict=True):
                if not there:
                    self.add_error(name, _("Give median, accrual and follow-up together."))
        for name in timing:
            if data.get(name) is not None and data[name] <= 0:
                self.add_error(name, _("Must be greater than 0."))
        if data.get("dropout_hazard") is not None and data["dropout_hazard"] < 0:
            self.add_error("dropout_hazard", _("Must be at least 0."))
        return data


class MeansForm(_GroupSequentialFields):
    delta = _number(_("Difference in means"), 0.5)
    sd = _number(_("Standard deviation"), 1.0)
    test_type = forms.ChoiceField(label=_("Test"), initial="two.sample", choices=[
        ("two.sample", _("Two-sample t-test")), ("one.sample", _("One-sample t-test")),
        ("paired", _("Paired t-test"))])
    field_order = ("delta", "sd", "test_type", "alpha", "sided", "power", "dropout", "looks",
                   "spending", "futility")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("delta") == 0:
            self.add_error("delta", _("Must not be 0."))
        if data.get("sd") is not None and data["sd"] <= 0:
            self.add_error("sd", _("Must be greater than 0."))
        return data


class BoundariesForm(forms.Form):
    looks = forms.IntegerField(label=_("Looks"), initial=3, min_value=1, max_value=MAX_LOOKS)
    alpha = _number(_("Alpha"), 0.025, help_text=_("Total type I error (two-sided: both sides)."))
    sided = forms.TypedChoiceField(label=_("Sides"), choices=SIDED, coerce=int, initial="1")
    spending = forms.ChoiceField(label=_("Alpha spending"), choices=SPENDING, initial="obf")
    gamma = _number(_("Gamma (Hwang-Shih-DeCani)"), -4.0)
    rho = _number(_("Rho (Kim-DeMets)"), 3.0)
    information_rates = forms.CharField(
        label=_("Information rates"), required=False, max_length=400,
        help_text=_("Optional, e.g. 0.2, 0.5, 0.7, 1: increasing, ending at 1; "
                    "they set the number of looks."))
    beta = _number(_("Beta (1 - power)"), 0.2)
    futility = forms.ChoiceField(label=_("Futility (beta spending)"), choices=FUTILITY,
                                 initial="none")
    futility_gamma = _number(_("Futility gamma"), -2.0)
    futility_rho = _number(_("Futility rho"), 2.0)
    binding = forms.BooleanField(label=_("Binding futility bounds"), required=False)
    n_fixed = _number(_("Fixed-design sample size"), required=False,
                      help_text=_("Optional: adds the maximum and expected sample sizes."))

    def clean_information_rates(self) -> list[float] | None:
        text = self.cleaned_data.get("information_rates", "")
        if not text.strip():
            return None
        rates = parse_numbers(text)
        if not rates or rates[0] <= 0 or any(
                b <= a for a, b in itertools.pairwise(rates)):
            raise forms.ValidationError(_("Must be positive and strictly increasing."))
        if not math.isclose(rates[-1], 1.0, abs_tol=1e-9):
            raise forms.ValidationError(_("The last information rate must be 1."))
        if len(rates) > MAX_LOOKS:
            raise forms.ValidationError(_("At most %(n)d looks.") % {"n": MAX_LOOKS})
        return rates

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "alpha")
        _open_unit(self, "beta")
        futility = data.get("futility", "none") != "none"
        if futility and data.get("sided") == 2:
            self.add_error("futility", _("Futility bounds are for one-sided designs."))
        if futility and str(data.get("spending", "")).startswith("classical"):
            self.add_error("futility", _("Futility bounds need an alpha-spending design."))
        if data.get("spending") == "kd" and data.get("rho") is not None and data["rho"] <= 0:
            self.add_error("rho", _("Must be greater than 0."))
        if data.get("futility") == "kd" and (data.get("futility_rho") or 0) <= 0:
            self.add_error("futility_rho", _("Must be greater than 0."))
        if data.get("n_fixed") is not None and data["n_fixed"] <= 0:
            self.add_error("n_fixed", _("Must be greater than 0."))
        return data


class ReportForm(forms.Form):
    n_total = forms.IntegerField(label=_("Participants (1:1)"), initial=40, min_value=4,
                                 max_value=400)
    p_control = _number(_("Event proportion, control"), 0.4,
                        help_text=_("28-day mortality on standard therapy."))
    p_treatments = forms.CharField(label=_("Event proportions on treatment"), max_length=200,
                                   initial="0.10, 0.15, 0.20, 0.25, 0.30")
    settings = forms.CharField(label=_("Test settings (alpha:sides)"), max_length=200,
                               initial="0.05:2, 0.10:1, 0.20:1",
                               help_text=_("Pairs alpha:sides, e.g. 0.10:1 for a one-sided "
                                           "Phase II screening level of 0.10."))
    power = _number(_("Target power"), 0.8)
    plot = forms.BooleanField(label=_("Draw power curves"), required=False, initial=True)

    def clean_n_total(self) -> int:
        n = self.cleaned_data["n_total"]
        if n % 2:
            raise forms.ValidationError(_("Must be even (1:1 allocation)."))
        return n

    def clean_p_treatments(self) -> list[float]:
        values = parse_numbers(self.cleaned_data["p_treatments"])
        if not 1 <= len(values) <= 10 or not all(0 < v < 1 for v in values):
            raise forms.ValidationError(_("Give 1 to 10 proportions between 0 and 1."))
        return values

    def clean_settings(self) -> list[tuple[float, int]]:
        pairs = []
        for item in self.cleaned_data["settings"].split(","):
            if not item.strip():
                continue
            try:
                alpha, sided = item.split(":")
                pair = (float(alpha), int(sided))
            except ValueError:
                raise forms.ValidationError(
                    _("%(item)s: expected alpha:sides, e.g. 0.05:2") % {"item": item.strip()}
                ) from None
            if not 0 < pair[0] < 1 or pair[1] not in (1, 2):
                raise forms.ValidationError(
                    _("%(item)s: alpha between 0 and 1, sides 1 or 2") % {"item": item.strip()})
            pairs.append(pair)
        if not 1 <= len(pairs) <= 5:
            raise forms.ValidationError(_("Give 1 to 5 settings."))
        return pairs

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _open_unit(self, "p_control")
        _open_unit(self, "power")
        if data.get("p_control") in (data.get("p_treatments") or []):
            self.add_error("p_treatments", _("Must differ from the control proportion."))
        return data


class SimulationForm(forms.Form):
    spec = forms.CharField(label=_("Simulation SPEC (TOML)"), widget=forms.Textarea(
        attrs={"rows": 22, "cols": 90, "spellcheck": "false"}),
        help_text=_("The format of trialdesk design simulate SPEC.toml."))
    sims = forms.IntegerField(label=_("Simulated trials per scenario"), initial=100_000,
                              min_value=1_000, max_value=500_000)
    seed = forms.IntegerField(label=_("Seed"), required=False, min_value=0, max_value=2**63 - 1,
                              help_text=_("Optional; overrides the SPEC's seed."))

    def clean_spec(self) -> Any:
        from trialdesk.stats.design.spec import SpecError
        from trialdesk.web.design.jobs import load_spec_text

        text = self.cleaned_data["spec"]
        try:
            self.cleaned_data["parsed"] = load_spec_text(text)
        except (SpecError, ValueError) as error:
            raise forms.ValidationError(
                _("The SPEC is not valid: %(error)s") % {"error": error}) from None
        return text
