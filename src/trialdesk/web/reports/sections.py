"""The report's sections: each calls one core analysis on the report's frames and lays it out.

A section states its method and what is missing; where the data are too few for the analysis
(fewer than ``MIN_PER_GROUP`` participants with a value in a group) it says so instead of failing.
Group labels go into the core functions verbatim, so coded groups stay coded in every figure.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from trialdesk.stats.analysis import (
    AnalysisInputError,
    ArmFlow,
    ConsortCounts,
    change_from_baseline,
    repeated_measures,
    survival_analysis,
    two_proportions_from_frame,
    ventilator_free_days_analysis,
)
from trialdesk.stats.analysis.censored import censored_geometric_means
from trialdesk.stats.analysis.enrollment import enrollment_over_time
from trialdesk.stats.analysis.repeated import plot_geometric_means
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.reports.data import CYTOKINES, HORIZON, ReportData
from trialdesk.web.reports.svg import month_names, plot_svg

MIN_PER_GROUP = 2


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Section:
    key: str
    title: str
    method: str = ""
    missing: str = ""
    note: str = ""
    tables: list[Table] = field(default_factory=list)
    svg: str = ""
    result: Any = None  # the core's result object, for whoever wants the exact figures
    by_group: bool = True  # False: a figure over everyone (pooled, or per site)


def num(value: float | None, digits: int = 2) -> str:
    """A number for a table cell: fixed decimals, written as the reader's language writes them
    (0.25, 0,25: the pages' floatformat), an en dash where there is none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return str(floatformat(value, digits))


def p_value(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"< {num(0.0001, 4)}" if value < 0.0001 else num(value, 4)


def plain(value: float) -> str:
    """A number without trailing zeros (a day, an assay's limit), as the reader's language
    writes it."""
    return formats.number_format(f"{value:g}", use_l10n=True)


def interval(lower: float | None, upper: float | None, digits: int = 2) -> str:
    return f"{num(lower, digits)} – {num(upper, digits)}"


def _missing(frame: pd.DataFrame, columns: list[str], groups: tuple[str, ...]) -> str:
    lacking = frame[columns].isna().any(axis=1)
    per_group = ", ".join(f"{g}: {int(lacking[frame['group'] == g].sum())}" for g in groups)
    return _("Missing: %(n)d of %(total)d randomized participants (%(groups)s).") % {
        "n": int(lacking.sum()), "total": len(frame), "groups": per_group}


def _too_few(frame: pd.DataFrame, columns: list[str], groups: tuple[str, ...]) -> str:
    """Return the note that the data are too few, or "" when each group has enough."""
    complete = frame.dropna(subset=columns)
    counts = {g: int((complete["group"] == g).sum()) for g in groups}
    if all(n >= MIN_PER_GROUP for n in counts.values()):
        return ""
    shown = ", ".join(f"{g}: {n}" for g, n in counts.items())
    return _("Too few data for this analysis: it needs at least %(min)d participants with a "
             "value in each group (%(counts)s).") % {"min": MIN_PER_GROUP, "counts": shown}


def _failed(error: Exception) -> str:
    return _("The analysis could not be computed from these data: %(error)s") % {"error": error}


def _analyse(section: Section, frame: pd.DataFrame, columns: list[str],
             groups: tuple[str, ...], compute: Callable[[], Any]) -> Any:
    """Run ``compute`` when each group has enough complete data; else say why in the section.

    Fill the section's missing-data line either way; return the core's result, or None.
    """
    section.missing = _missing(frame, columns, groups)
    section.note = _too_few(frame, columns, groups)
    if section.note:
        return None
    try:
        return compute()
    except (AnalysisInputError, ValueError) as error:
        section.note = _failed(error)
        return None


# --- CONSORT and enrollment ------------------------------------------------------------------


def consort_section(data: ReportData, language: str) -> Section:
    protocol = get_protocol()
    criteria = {c.code: c.text.text(language)
                for c in [*protocol.eligibility.inclusion, *protocol.eligibility.exclusion]}
    excluded: dict[str, int] = {}
    for row in data.screening:
        if row.randomized:
            continue
        if not row.eligible:
            reason = _("Not eligible: %(criterion)s") % {
                "criterion": criteria.get(row.failed_criterion or "", row.failed_criterion or "")}
        elif not row.consented:
            reason = _("No consent recorded")
        else:
            reason = _("Consented, not randomized")
        excluded[reason] = excluded.get(reason, 0) + 1
    people = data.participants
    arms = []
    for group in data.groups:
        rows = people[people["group"] == group]
        allocated = len(rows)
        received = int(rows["received"].sum())
        unknown = int((rows["vital_status"] == "unknown").sum())
        no_form = int((~rows["end_of_study"].astype(bool)).sum())
        withdrew = int(rows["participant"].isin(data.withdrawn).sum())
        arms.append(ArmFlow(
            label=group, allocated=allocated, received=received,
            did_not_receive=_nonzero({_("Infusion not recorded"): allocated - received}),
            lost_to_follow_up=_nonzero({_("Vital status at day 28 unknown"): unknown}),
            discontinued=_nonzero({_("Withdrew"): withdrew}),
            analysed=allocated - unknown - no_form,
            excluded_from_analysis=_nonzero({_("Vital status unknown"): unknown,
                                             _("End-of-study form missing"): no_form}),
        ))
    counts = ConsortCounts(assessed=len(data.screening), excluded=excluded,
                           randomized=len(people), arms=arms)
    return Section(
        "consort", _("CONSORT flow diagram"),
        method=_("Counts from the screening log, the randomizations and the complete forms. "
                 "Received: an infusion form on day 1. Analysed: vital status at day 28 known "
                 "(the primary outcome)."),
        svg=counts.to_svg(consort_labels()), result=counts)


def consort_labels() -> dict[str, str]:
    """The CONSORT diagram's words in the reader's language (their own context: "Randomized"
    is a participant's status elsewhere)."""
    return {
        "enrollment": pgettext("consort", "Enrollment"),
        "assessed": pgettext("consort", "Assessed for eligibility"),
        "excluded": pgettext("consort", "Excluded"),
        "randomized": pgettext("consort", "Randomized"),
        "allocation": pgettext("consort", "Allocation"),
        "allocated_to": pgettext("consort", "Allocated to %(group)s") % {"group": "{group}"},
        "received": pgettext("consort", "Received allocated intervention"),
        "did_not_receive": pgettext("consort", "Did not receive allocated intervention"),
        "follow_up": pgettext("consort", "Follow-up"),
        "lost": pgettext("consort", "Lost to follow-up"),
        "discontinued": pgettext("consort", "Discontinued intervention"),
        "analysis": pgettext("consort", "Analysis"),
        "analysed": pgettext("consort", "Analysed"),
        "excluded_from_analysis": pgettext("consort", "Excluded from analysis"),
    }


def _nonzero(reasons: dict[str, int]) -> dict[str, int]:
    return {reason: n for reason, n in reasons.items() if n}


def _day(day: dt.date) -> str:
    """A date as the reader's language writes it (07/06/2020 in Spanish)."""
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def enrollment_section(data: ReportData) -> Section:
    result = enrollment_over_time(data.participants, date="randomized", site="site",
                                  target=get_protocol().design.target_enrollment)
    section = Section(
        "enrollment", _("Enrollment over time"),
        method=_("Cumulative number of participants randomized by date, per site and in all "
                 "(not by group)."),
        tables=[Table([_("Site"), _("Randomized"), _("First"), _("Last")],
                      [[c.label if c is not result.overall else _("All sites"), c.total,
                        _day(c.dates[0]) if c.dates else "–",
                        _day(c.dates[-1]) if c.dates else "–"]
                       for c in [*result.sites, result.overall]])],
        result=result, by_group=False)
    if not result.overall.dates:
        section.note = _("No participant has been randomized yet.")
        return section
    section.svg = plot_svg(lambda path: result.plot(
        path, title=_("Enrollment over time"), date_label=_("Date randomized"),
        count_label=_("Cumulative randomized"), total_label=_("All sites"),
        target_label=_("target"), month_names=month_names()))
    return section


# --- efficacy ----------------------------------------------------------------------------------


def mortality_section(data: ReportData) -> Section:
    people = data.participants
    section = Section(
        "mortality", _("28-day mortality"),
        method=_("Proportion dead by day 28 per group with Wilson intervals; risk difference "
                 "(Newcombe), relative risk (Katz) and conditional odds ratio of the first group "
                 "against the second; Pearson's chi-squared test, or Fisher's exact test when an "
                 "expected count is below 5. Complete cases."))
    result = _analyse(section, people, ["dead"], data.groups, lambda: two_proportions_from_frame(
        people, group="group", event="dead", groups=data.groups, outcome=_("28-day mortality")))
    if result is None:
        return section
    section.result = result
    section.tables = [
        Table([_("Group"), _("Deaths"), _("Participants"), _("Proportion"), _("95% CI")],
              [[g.label, g.events, g.n, num(g.proportion.estimate, 3),
                interval(g.proportion.lower, g.proportion.upper, 3)]
               for g in (result.a, result.b)]),
        Table([_("Comparison"), _("Estimate"), _("95% CI")],
              [[_("Risk difference"), num(result.risk_difference.estimate, 3),
                interval(result.risk_difference.lower, result.risk_difference.upper, 3)],
               [_("Relative risk"), num(result.relative_risk.estimate),
                interval(result.relative_risk.lower, result.relative_risk.upper)],
               [_("Odds ratio"), num(result.odds_ratio.estimate),
                interval(result.odds_ratio.lower, result.odds_ratio.upper)]]),
    ]
    section.note = _("Test: %(test)s; p = %(p)s.") % {"test": result.test.name,
                                                      "p": p_value(result.test.p_value)}
    return section


def survival_section(data: ReportData) -> Section:
    people = data.participants
    columns = ["time", "event"]
    section = Section(
        "survival", _("Time to death: Kaplan-Meier, log-rank, Cox"),
        method=_("Kaplan-Meier estimates with log(-log) pointwise intervals; log-rank test; Cox "
                 "proportional hazards model (Efron ties), Wald interval. Death to day %(h)d is "
                 "the event; participants alive at day %(h)d are censored then, those lost to "
                 "follow-up on the day last known alive.") % {"h": HORIZON})
    result = _analyse(section, people, columns, data.groups, lambda: survival_analysis(
        people, time="time", event="event", group="group", groups=data.groups, at=[HORIZON],
        outcome=_("death")))
    if result is None:
        return section
    section.result = result
    hr = result.hazard_ratio
    section.tables = [
        Table([_("Group"), _("Participants"), _("Deaths"), _("Survival at day 28"), _("95% CI")],
              [[g.label, g.n, g.events, num(g.at_times[0].survival, 3),
                interval(g.at_times[0].lower, g.at_times[0].upper, 3)]
               for g in (result.a, result.b)]),
        Table([_("Comparison"), _("Estimate"), _("95% CI"), _("p")],
              [[_("Log-rank chi-squared"), num(result.logrank.statistic),
                "", p_value(result.logrank.p_value)],
               [_("Hazard ratio (Cox)"), num(hr.estimate), interval(hr.lower, hr.upper),
                p_value(hr.p_value)]]),
    ]
    if hr.note:
        section.note = _("Hazard ratio: %(note)s") % {"note": hr.note}
    section.svg = plot_svg(lambda path: result.plot(path, **kaplan_meier_words(result)))
    return section


def kaplan_meier_words(result: Any) -> dict[str, str]:
    """The Kaplan-Meier plot's title, axes, legend and numbers-at-risk heading in the language
    in force, its figures written as the section's tables write them."""
    hr, p = result.hazard_ratio, p_value(result.logrank.p_value)
    title = _("Kaplan-Meier estimate, %(level)d%% pointwise bands\n"
              "log-rank p %(p)s; hazard ratio %(hr)s (%(lower)s to %(upper)s)") % {
        "level": round(result.level * 100), "p": p if p.startswith("<") else f"= {p}",
        "hr": num(hr.estimate), "lower": num(hr.lower), "upper": num(hr.upper)}
    return {"time_label": _("Days"), "survival_label": _("Survival probability"),
            "title": title, "at_risk_label": _("Number at risk"),
            # {label}, {n} and {events} are the plot's own placeholders, filled per group
            "group_label": _("%(label)s (n = %(n)s, events = %(events)s)") % {
                "label": "{label}", "n": "{n}", "events": "{events}"}}


def vfd_section(data: ReportData) -> Section:
    people = data.participants
    section = Section(
        "vfd", _("Ventilator-free days to day 28"),
        method=_("Ventilator-free days derived from the recorded invasive ventilation episodes "
                 "by the protocol's rule (Schoenfeld and Bernard 2002): whole days 0 to 27 "
                 "without invasive ventilation, 0 for a death by day 28. Mann-Whitney test "
                 "(exact without ties, else normal approximation) and Hodges-Lehmann shift "
                 "with its interval."))
    result = _analyse(section, people, ["vfd"], data.groups, lambda: ventilator_free_days_analysis(
        people, vfd="vfd", group="group", groups=data.groups))
    if result is None:
        return section
    section.result = result
    shift = result.shift
    section.tables = [
        Table([_("Group"), _("Participants"), _("Median"), _("Interquartile range"), _("Mean"),
               _("Zero days")],
              [[g.label, g.n, num(g.median, 1), interval(g.q1, g.q3, 1), num(g.mean),
                g.zero_count] for g in (result.a, result.b)]),
        Table([_("Comparison"), _("Estimate"), _("95% CI"), _("p")],
              [[_("Hodges-Lehmann shift"), num(shift.estimate), interval(shift.lower, shift.upper),
                p_value(result.test.p_value)]]),
    ]
    return section


def pf_section(data: ReportData) -> Section:
    people = data.participants
    columns = ["pf_day0", "pf_day7"]
    section = Section(
        "pao2_fio2", _("Change in PaO2/FiO2 from day 0 to day 7"),
        method=_("ANCOVA: the change from day 0 to day 7 on group and the day-0 value (ordinary "
                 "least squares), with a t interval for the adjusted difference. Complete "
                 "cases."))
    result = _analyse(section, people, columns, data.groups, lambda: change_from_baseline(
        people, group="group", baseline="pf_day0", followup="pf_day7", groups=data.groups,
        outcome="PaO2/FiO2"))
    if result is None:
        return section
    section.result = result
    d = result.difference
    section.tables = [
        Table([_("Group"), _("Participants"), _("Day 0 mean (SD)"), _("Day 7 mean (SD)"),
               _("Change mean (SD)")],
              [[g.label, g.n, f"{num(g.baseline_mean, 1)} ({num(g.baseline_sd, 1)})",
                f"{num(g.followup_mean, 1)} ({num(g.followup_sd, 1)})",
                f"{num(g.change_mean, 1)} ({num(g.change_sd, 1)})"]
               for g in (result.a, result.b)]),
        Table([_("Comparison"), _("Estimate"), _("95% CI"), _("p")],
              [[_("Adjusted difference in change"), num(d.estimate, 1),
                interval(d.lower, d.upper, 1), p_value(d.p_value)]]),
    ]
    return section


def _limit(values: pd.Series, lloq: float | None) -> float | None:
    """The limit below which a value is censored: the assay's LLOQ the protocol declares; for a
    field without one (older protocols entered 0), the smallest positive value measured."""
    if lloq is not None:
        return lloq
    numbers = pd.to_numeric(values, errors="coerce")
    positive = numbers[numbers > 0]
    return None if positive.empty else float(positive.min())


def cytokine_sections(data: ReportData, language: str) -> list[Section]:
    fields = get_protocol().all_fields()
    return [_cytokine(data, code, fields[code].label.text(language)) for code in CYTOKINES]


RULE_TEXT = {"half": "LLOQ/2", "lod": "LLOQ", "sqrt2": "LLOQ/√2"}


def _cytokine(data: ReportData, code: str, name: str) -> Section:
    frame = data.cytokines.dropna(subset=[code])
    definition = get_protocol().all_fields()[code]
    section = Section(
        f"cytokine_{code}", _("%(name)s trajectory to day 14") % {"name": name},
        method=_("Geometric means by day with t intervals; linear mixed model of the log value "
                 "on group, day and their interaction with a random intercept per participant "
                 "(REML), geometric mean ratios of the first group to the second by day. Values "
                 "below the assay's lower limit of quantification (%(lloq)s, stored as "
                 "censored) are replaced by %(rule)s, the protocol's rule.") % {
            "lloq": "—" if definition.lloq is None else
            f"{plain(definition.lloq)} {definition.unit or ''}".strip(),
            "rule": RULE_TEXT[definition.substitution_rule]})
    without = len(set(data.participants["participant"]) - set(frame["participant"]))
    section.missing = _("Values measured: %(n)d (%(groups)s); randomized participants without "
                        "any value: %(without)d.") % {
        "n": len(frame), "without": without,
        "groups": ", ".join(f"{g}: {int((frame['group'] == g).sum())}" for g in data.groups)}
    # only the days on which both groups have values can be compared
    days = [d for d in sorted(set(frame["day"]))
            if all(((frame["day"] == d) & (frame["group"] == g)).any() for g in data.groups)]
    frame = frame[frame["day"].isin(days)]
    per_group = {g: frame.loc[frame["group"] == g, "participant"].nunique() for g in data.groups}
    lod = _limit(frame[code], definition.lloq)
    if min(per_group.values(), default=0) < MIN_PER_GROUP or lod is None:
        shown = ", ".join(f"{g}: {n}" for g, n in per_group.items())
        section.note = _("Too few data for this analysis: it needs at least %(min)d participants "
                         "with values in each group (%(counts)s).") % {
            "min": MIN_PER_GROUP, "counts": shown}
        return section
    try:
        result = repeated_measures(frame, participant="participant", group="group", day="day",
                                   value=code, groups=data.groups, lod=lod,
                                   lod_rule=definition.substitution_rule, outcome=name)
    except (AnalysisInputError, ValueError, np.linalg.LinAlgError) as error:
        section.note = _failed(error)
        return section
    section.result = result
    section.tables = [
        Table([_("Group"), _("Day"), _("n"), _("Below detection"), _("Geometric mean"),
               _("95% CI")],
              [[g.group, plain(g.day), g.n, g.below_lod, num(g.geometric_mean),
                interval(g.lower, g.upper)] for g in result.geometric_means]),
        Table([_("Day"), _("Geometric mean ratio"), _("95% CI"), _("p")],
              [[plain(r.day), num(r.ratio), interval(r.lower, r.upper), p_value(r.p_value)]
               for r in result.ratios]),
    ]
    # a sensitivity analysis beside the substitution: no value made up below the limit
    tobit = censored_geometric_means(frame, group="group", day="day", value=code, lod=lod,
                                     groups=data.groups)
    section.tables.append(Table(
        [_("Group"), _("Day"), _("n"), _("Below the limit"),
         _("Geometric mean, censored likelihood (Tobit)"), _("95% CI")],
        [[g.group, plain(g.day), g.n, g.below, num(g.geometric_mean),
          interval(g.lower, g.upper)] for g in tobit]))
    section.note = _("Group by day interaction: p = %(p)s.") % {
        "p": p_value(result.interaction_p)}
    section.svg = plot_svg(lambda path: plot_geometric_means(
        result, path, value_label=_("%(name)s, pg/mL (geometric mean)") % {"name": name},
        title=_("%(name)s: geometric means with %(level)s%% intervals") % {
            "name": name, "level": round(result.level * 100)},
        day_label=_("Day")))
    return section


# --- safety ------------------------------------------------------------------------------------


def adverse_event_section(data: ReportData) -> Section:
    events = data.adverse_events
    people = data.participants
    rows = []
    for group in data.groups:
        mine = events[events["group"] == group]
        n = int((people["group"] == group).sum())

        def with_(mask: pd.Series, mine: pd.DataFrame = mine, n: int = n) -> str:
            count = mine.loc[mask, "participant"].nunique()
            return f"{count} ({100 * count / n:.0f}%)" if n else "0"

        rows.append([group, n, len(mine), with_(mine["participant"].notna()),
                     with_(mine["serious"].astype(bool)), with_(mine["grade"] >= 3),
                     with_(mine["related"].astype(bool))])
    return Section(
        "adverse_events", _("Adverse events"),
        method=_("Participants with at least one event, each counted once, and all events; "
                 "related: possibly, probably or definitely related to the study infusion."),
        tables=[Table([_("Group"), _("Participants"), _("Events"), _("Any event"),
                       _("Serious"), _("Grade 3 or higher"), _("Related")], rows)])


def build_sections(data: ReportData, language: str) -> list[Section]:
    """Every section of the report, in reading order."""
    from trialdesk.web.reports.pooled import pooled_section  # it builds on this module

    return [
        consort_section(data, language),
        enrollment_section(data),
        pooled_section(data),
        mortality_section(data),
        survival_section(data),
        vfd_section(data),
        pf_section(data),
        *cytokine_sections(data, language),
        adverse_event_section(data),
    ]
