"""Screening values of a patient the bundled protocol (NCT04390152) finds eligible.

The one copy every test and benchmark uses: an adult with a positive SARS-CoV-2 PCR, onset within a
week, bilateral opacities not explained by cardiac failure, none of the exclusions, and a PaO2/FiO2
of 70 / 0.8 = 87.5 with PEEP 10 (the "severe" stratum; a PaO2 of 150 gives "moderate").
Copy before changing a value: ``{**ELIGIBLE_VALUES, "age": 16}``. Imports no Django.
"""

from __future__ import annotations

from typing import Any

ELIGIBLE_VALUES: dict[str, Any] = {
    "age": 54, "sars_cov2_pcr": "positive", "onset_within_week": True,
    "bilateral_opacities": True, "cardiac_failure_explains": False, "pregnant": False,
    "active_malignancy": False, "expected_death_24h": False, "other_interventional_trial": False,
    "pao2": 70, "fio2": 0.8, "peep": 10,
}


def screening_form_data(values: dict[str, Any] | None = None) -> dict[str, Any]:
    """``values`` (default ``ELIGIBLE_VALUES``) as the screening page's form posts them: yes/no
    for booleans, everything else as it is."""
    values = ELIGIBLE_VALUES if values is None else values
    return {key: ("yes" if value is True else "no" if value is False else value)
            for key, value in values.items()}
