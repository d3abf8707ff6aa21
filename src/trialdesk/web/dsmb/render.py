"""The DSMB reports as documents: HTML from a template, PDF from that HTML (WeasyPrint).

The HTML is what is stored and hashed (``Report.html``, ``Report.sha256``); the PDF is rendered
from the stored HTML when asked for, so the PDF always shows the generation that was audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.template.loader import render_to_string

from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import data
from trialdesk.web.trials.presenters import arm_label


def _meta(meeting, username: str, at: dt.datetime) -> dict:
    protocol = get_protocol()
    return {"meeting": meeting, "generated_by": username, "generated_at": at,
            "trial": protocol.registry.nct_id, "title": protocol.registry.brief_title.text("en"),
            "labels": data.CATEGORY_LABELS}


def open_html(meeting, figures: data.OpenFigures, username: str, at: dt.datetime) -> str:
    rows = [(data.CATEGORY_LABELS[name], figures.counts[name]) for name in data.CATEGORIES]
    return render_to_string("dsmb/report_open.html", {
        **_meta(meeting, username, at), "figures": figures, "rows": rows})


BOP2_DECISIONS = {
    "not_reached": "not reached", "continue": "continue", "stop_futility": "STOP: futility",
    "stop_toxicity": "STOP: toxicity", "stop_both": "STOP: futility and toxicity",
    "promising": "promising", "not_promising": "not promising"}


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def closed_html(meeting, figures: data.ClosedFigures, username: str, at: dt.datetime) -> str:
    arms = [(arm.arm, arm_label(arm.arm, "en"), arm.n) for arm in figures.arms]
    rows = []
    for name in data.CATEGORIES:
        cells = []
        for arm in figures.arms:
            found = arm.incidences[name]
            cells.append("-" if found is None else
                         f"{found.events}/{found.n} ({_percent(found.proportion)}; "
                         f"{_percent(found.lower)} to {_percent(found.upper)})")
        difference = figures.differences[name]
        rows.append({"label": data.CATEGORY_LABELS[name], "cells": cells,
                     "difference": "-" if difference is None else
                     f"{100 * difference.difference:.1f} ({100 * difference.lower:.1f} to "
                     f"{100 * difference.upper:.1f})"})
    rule = get_protocol().safety_monitoring
    return render_to_string("dsmb/report_closed.html", {
        **_meta(meeting, username, at), "figures": figures, "arms": arms, "rows": rows,
        "arm_labels": {code: label for code, label, _ in arms},
        "rule": rule, "rule_arm": arm_label(rule.arm, "en") if rule else "",
        "status": figures.rule, "bop2": figures.bop2,
        "bop2_arm": arm_label(figures.bop2.rule.arm, "en") if figures.bop2 else "",
        "bop2_rows": _bop2_rows(figures.bop2)})


def _bop2_rows(figures: Any) -> list[dict[str, str]]:
    """The BOP2 looks as the report prints them ("-": no such boundary, or not reached)."""
    if figures is None:
        return []

    def shown(value: int | None) -> str:
        return "-" if value is None or value < 0 else str(value)

    return [{"n": str(look.n), "eff_bound": shown(look.stop_if_efficacies_at_most),
             "efficacies": shown(look.efficacies),
             "tox_bound": shown(look.stop_if_toxicities_at_least),
             "toxicities": shown(look.toxicities),
             "decision": BOP2_DECISIONS[look.decision] + (" (first stop)" if look.first_stop
                                                          else "")}
            for look in figures.looks]


def sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def pdf(html: str) -> bytes:
    """The PDF of a stored report (WeasyPrint; no external resource is fetched)."""
    from weasyprint import HTML

    def no_fetch(url: str, *args, **kwargs):  # the report is self-contained
        raise ValueError(f"the DSMB report fetches no resource ({url})")

    return HTML(string=html, url_fetcher=no_fetch).write_pdf()
