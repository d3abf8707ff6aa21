"""The DSMB reports as documents: HTML from a template, PDF from that HTML (WeasyPrint).

A generation's figures are rendered once per language the server offers (English, Spanish),
each document stored with its own SHA-256 (``Report.html``/``Report.sha256`` in the trial's
reference language, ``ReportDocument`` for the others): a reader gets the generation in their
language, and each document can be checked against the hash recorded when it was made. The PDF
is rendered from a stored HTML when asked for, so it always shows the generation that was
audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import data
from trialdesk.web.trials.presenters import arm_label

BOP2_DECISIONS = {
    "not_reached": gettext_lazy("not reached"), "continue": gettext_lazy("continue"),
    "stop_futility": gettext_lazy("STOP: futility"),
    "stop_toxicity": gettext_lazy("STOP: toxicity"),
    "stop_both": gettext_lazy("STOP: futility and toxicity"),
    "promising": gettext_lazy("promising"), "not_promising": gettext_lazy("not promising")}
MEETING_KINDS = {"scheduled": gettext_lazy("Scheduled"), "ad_hoc": gettext_lazy("Ad hoc")}


def languages() -> list[str]:
    """The languages a report is made in: the reference language first, then the others."""
    codes = [code for code, _name in settings.LANGUAGES]
    reference = settings.LANGUAGE_CODE
    return [reference, *(code for code in codes if code != reference)]


def _meta(meeting, username: str, at: dt.datetime, language: str) -> dict:
    protocol = get_protocol()
    return {"meeting": meeting, "meeting_kind": MEETING_KINDS.get(meeting.kind, meeting.kind),
            "generated_by": username, "generated_at": at, "language": language,
            "trial": protocol.registry.nct_id,
            "title": protocol.registry.brief_title.text(language)}


def _rendered(template: str, context: dict, language: str) -> str:
    with translation.override(language):
        return render_to_string(template, context)


def open_html(meeting, figures: data.OpenFigures, username: str, at: dt.datetime,
              language: str = "en") -> str:
    with translation.override(language):
        rows = [(str(data.CATEGORY_LABELS[name]), figures.counts[name])
                for name in data.CATEGORIES]
        enrollment = enrollment_svg(figures) if figures.randomized_on else ""
    return _rendered("dsmb/report_open.html", {
        **_meta(meeting, username, at, language), "figures": figures, "rows": rows,
        "enrollment_svg": enrollment}, language)


def enrollment_svg(figures: data.OpenFigures | data.ClosedFigures) -> str:
    """The cumulative enrollment by the cut-off, per site and in all (pooled: no arm), as SVG
    with its title, axes and legend in the language in force; no creation time in it (the
    document is hashed)."""
    import pandas as pd

    from trialdesk.stats.analysis.enrollment import enrollment_over_time
    from trialdesk.web.reports.svg import month_names, plot_svg

    frame = pd.DataFrame(figures.randomized_on, columns=["site", "randomized"])
    result = enrollment_over_time(frame, date="randomized", site="site",
                                  target=get_protocol().design.target_enrollment)
    svg = plot_svg(lambda path: result.plot(
        path, title=_("Enrollment by the data cut-off"), date_label=_("Date randomized"),
        count_label=_("Cumulative randomized"), total_label=_("All sites"),
        target_label=_("target"), month_names=month_names()))
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)


def _number(value: float) -> str:
    """One decimal, as the language in force writes it (12.5, 12,5)."""
    return formats.number_format(round(value, 1), 1, use_l10n=True)


def _percent(value: float) -> str:
    return f"{_number(100 * value)}%"


def _incidence(found: Any) -> str:
    if found is None:
        return "-"
    return _("%(events)s/%(n)s (%(share)s; %(lower)s to %(upper)s)") % {
        "events": found.events, "n": found.n, "share": _percent(found.proportion),
        "lower": _percent(found.lower), "upper": _percent(found.upper)}


def _difference(difference: Any) -> str:
    if difference is None:
        return "-"
    return _("%(difference)s (%(lower)s to %(upper)s)") % {
        "difference": _number(100 * difference.difference),
        "lower": _number(100 * difference.lower), "upper": _number(100 * difference.upper)}


def _field_words(form_code: str, field_code: str, values: list[str], language: str
                 ) -> tuple[str, list[str]]:
    """A form field and some of its choices by their labels in ``language`` (codes when the
    protocol has no such field)."""
    form = next((f for f in get_protocol().forms if f.code == form_code), None)
    field = next((f for f in form.fields if f.code == field_code), None) if form else None
    if field is None:
        return f"{form_code}.{field_code}", list(values)
    labels = {choice.code: choice.label.text(language) for choice in field.choices or []}
    return (f"{form.title.text(language)}: {field.label.text(language)}",
            [labels.get(str(value), str(value)) for value in values])


def _toxicity(rule: Any, language: str) -> str:
    description = getattr(rule.toxicity, "description", None)
    return description.text(language) if description else _("as the protocol defines it")


def closed_html(meeting, figures: data.ClosedFigures, username: str, at: dt.datetime,
                language: str = "en") -> str:
    with translation.override(language):
        arms = [(arm.arm, arm_label(arm.arm, language), arm.n) for arm in figures.arms]
        rows = [{"label": str(data.CATEGORY_LABELS[name]),
                 "cells": [_incidence(arm.incidences[name]) for arm in figures.arms],
                 "difference": _difference(figures.differences[name])}
                for name in data.CATEGORIES]
        rule = get_protocol().safety_monitoring
        bop2 = figures.bop2
        # the same enrollment curve as the open report's (one plotting helper for both)
        enrollment = enrollment_svg(figures) if figures.randomized_on else ""
        context = {
            **_meta(meeting, username, at, language), "figures": figures, "arms": arms,
            "rows": rows, "arm_labels": {code: label for code, label, _n in arms},
            "rule": rule, "rule_arm": arm_label(rule.arm, language) if rule else "",
            "rule_toxicity": _toxicity(rule, language) if rule else "",
            "status": figures.rule, "bop2": bop2,
            "bop2_arm": arm_label(bop2.rule.arm, language) if bop2 else "",
            # the cells as the document's language writes numbers (0,18 in Spanish)
            "bop2_null": ", ".join(formats.number_format(cell) for cell in bop2.rule.null)
            if bop2 else "",
            "bop2_rows": _bop2_rows(bop2), "enrollment_svg": enrollment}
        if bop2:
            field, values = _field_words(bop2.rule.efficacy.form, bop2.rule.efficacy.field,
                                         list(bop2.rule.efficacy.values), language)
            context |= {"bop2_response_field": field, "bop2_response_values": values,
                        "bop2_toxicity": _toxicity(bop2.rule, language)}
        return render_to_string("dsmb/report_closed.html", context)


def _bop2_rows(figures: Any) -> list[dict[str, str]]:
    """The BOP2 looks as the report prints them ("-": no such boundary, or not reached), in the
    language in force."""
    if figures is None:
        return []

    def shown(value: int | None) -> str:
        return "-" if value is None or value < 0 else str(value)

    return [{"n": str(look.n), "eff_bound": shown(look.stop_if_efficacies_at_most),
             "efficacies": shown(look.efficacies),
             "tox_bound": shown(look.stop_if_toxicities_at_least),
             "toxicities": shown(look.toxicities),
             "decision": str(BOP2_DECISIONS[look.decision]) + (
                 " " + _("(first stop)") if look.first_stop else "")}
            for look in figures.looks]


def sha256(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def pdf(html: str) -> bytes:
    """The PDF of a stored report (WeasyPrint; no external resource is fetched)."""
    from weasyprint import HTML

    def no_fetch(url: str, *args, **kwargs):  # the report is self-contained
        raise ValueError(f"the DSMB report fetches no resource ({url})")

    return HTML(string=html, url_fetcher=no_fetch).write_pdf()
