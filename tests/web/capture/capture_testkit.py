"""Helpers of the data-capture tests: form values and paths, stored forms.

The trial, its API clients, signing in and randomized participants come from tests/helpers/
(``trial_factory``, ``api_client``, ``login``, ``enrollment``); ``ct`` is in conftest.py.
"""

from __future__ import annotations

from typing import Any

RESPIRATORY_OK = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


def form_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


def page_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/capture/participants/{code}/{visit}/{form}/"


def stored(code: str, visit: str = "day0", form: str = "respiratory") -> tuple[Any, Any]:
    """Return (values, version) of a stored form, or (None, None)."""
    from trialdesk.web.capture.models import FormInstance

    row = FormInstance.objects.filter(participant__code=code, visit=visit, form=form).values(
        "values", "version").first()
    return (row["values"], row["version"]) if row else (None, None)
