"""What the design pages show, with labels in the user's language; numbers stay the core's."""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trialdesk.stats.design.boundaries import GroupSequentialDesign

SAMPLE_SIZE_LABELS = {
    "n_per_arm": gettext_lazy("Participants per arm (control)"),
    "n_treatment": gettext_lazy("Participants, treatment arm"),
    "n_total": gettext_lazy("Participants in total"),
    "n_per_arm_exact": gettext_lazy("Per arm, fixed design, unrounded"),
    "n_treatment_exact": gettext_lazy("Treatment arm, fixed design, unrounded"),
    "n_per_arm_unrounded": gettext_lazy("Per arm after inflation, unrounded"),
    "events": gettext_lazy("Events"),
    "events_exact": gettext_lazy("Events, unrounded"),
    "event_probability": gettext_lazy("Probability of an event"),
    "n_total_exact": gettext_lazy("Participants in total, unrounded"),
    "inflation_factor": gettext_lazy("Group-sequential inflation factor"),
    "dropout": gettext_lazy("Dropout"),
    "method": gettext_lazy("Method"),
}


def sample_size_kinds() -> list[tuple[str, str]]:
    return [("proportions", _("Two proportions")), ("survival", _("Time to event")),
            ("means", _("Two means"))]


def _value(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else "—"
    return "—" if value is None else value


def sample_size_rows(result: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(label, value, key) for each figure of the core's result, headline figures first."""
    order = [key for key in SAMPLE_SIZE_LABELS if key in result]
    return [(str(SAMPLE_SIZE_LABELS[key]), _value(result[key]), key) for key in order]


def design_table(design: GroupSequentialDesign, n_fixed: float | None) -> dict[str, Any]:
    """The boundary table of a design: one row per look, and the design's summary figures."""
    summary = design.summary()
    h0, h1 = summary["exit_probability_h0"], summary["exit_probability_h1"]
    has_lower = "lower" in summary
    rows = []
    for i, t in enumerate(summary["information_rates"]):
        rows.append({
            "look": i + 1, "information": t, "upper": summary["upper"][i],
            "nominal_p": summary["nominal_p"][i],
            "cumulative_alpha": summary["cumulative_alpha"][i],
            "lower": summary["lower"][i] if has_lower else None,
            "cumulative_beta": summary["cumulative_beta"][i] if has_lower else None,
            "stop_h0": h0["upper"][i] + h0["lower"][i],
            "stop_h1": h1["upper"][i] + h1["lower"][i],
        })
    out: dict[str, Any] = {
        "rows": rows, "has_lower": has_lower, "sided": design.sided,
        "inflation_factor": summary["inflation_factor"], "power": summary["power"],
        "ess_h0": summary["expected_sample_size_ratio_h0"],
        "ess_h1": summary["expected_sample_size_ratio_h1"],
        "binding": summary.get("binding"),
    }
    if n_fixed:
        out["n_fixed"] = n_fixed
        out["n_max"] = design.max_sample_size(n_fixed)
        out["n_h0"] = summary["expected_sample_size_ratio_h0"] * n_fixed
        out["n_h1"] = summary["expected_sample_size_ratio_h1"] * n_fixed
    return out


def setting_label(alpha: float, sided: int) -> str:
    if sided == 2:
        return _("two-sided %(alpha)s") % {"alpha": f"{alpha:g}"}
    return _("one-sided %(alpha)s") % {"alpha": f"{alpha:g}"}


def report_settings(table: dict[str, Any]) -> list[dict[str, Any]]:
    """The design report's settings with labels in the user's language."""
    return [{**row, "label": setting_label(row["alpha"], row["sided"])}
            for row in table["settings"]]


def simulation_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per scenario: the simulated figures next to the exact and approximate ones, by look."""
    rows = []
    for s in result["scenarios"]:
        exact = s.get("exact")
        looks = []
        for j, (up, lo) in enumerate(zip(s["stop_upper_by_look"], s["stop_lower_by_look"],
                                         strict=True)):
            looks.append({"look": j + 1, "upper": up, "lower": lo,
                          "exact_upper": exact["upper"][j] if exact else None,
                          "normal_upper": s["normal_approximation"]["upper"][j]})
        rows.append({**s, "looks": looks, "exact_rejection": (
            exact["rejection_probability"] if exact else None),
            "normal_rejection": s["normal_approximation"]["rejection_probability"]})
    return rows


def as_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
