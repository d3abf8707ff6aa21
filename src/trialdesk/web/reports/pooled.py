"""The pooled section: all randomized participants together, whatever their group.

Blinded readers analyse by group on the dummy allocation until the final unblinding; figures over
everyone reveal nothing about the arms, so every reader of the report gets them on the real data.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from trialdesk.stats.analysis.intervals import wilson
from trialdesk.web.reports.data import ReportData
from trialdesk.web.reports.sections import Section, Table, interval, num


def pooled_section(data: ReportData) -> Section:
    people, events = data.participants, data.adverse_events
    rows: list[list[str]] = [[_("Randomized"), str(len(people)), ""]]
    known = people["dead"].dropna()
    if len(known):
        deaths = int(known.sum())
        ci = wilson(deaths, len(known))
        rows.append([_("Dead by day 28"),
                     f"{deaths} / {len(known)} ({num(deaths / len(known), 3)})",
                     interval(ci.lower, ci.upper, 3)])
    vfd = people["vfd"].dropna()
    if len(vfd):
        rows.append([_("Ventilator-free days, median (quartiles)"),
                     f"{num(vfd.median(), 1)} ({num(vfd.quantile(0.25), 1)} – "
                     f"{num(vfd.quantile(0.75), 1)}); n = {len(vfd)}", ""])
    for column, label in (("pf_day0", _("PaO2/FiO2 on day 0, mean (SD)")),
                          ("pf_day7", _("PaO2/FiO2 on day 7, mean (SD)"))):
        values = people[column].dropna()
        if len(values) > 1:
            rows.append([label, f"{num(values.mean(), 1)} ({num(values.std(), 1)}); "
                                f"n = {len(values)}", ""])
    if len(people):
        for mask, label in ((events["participant"].notna(), _("With an adverse event")),
                            (events["serious"].astype(bool), _("With a serious adverse event"))):
            count = events.loc[mask, "participant"].nunique()
            rows.append([label, f"{count} / {len(people)} ({num(count / len(people), 3)})", ""])
    return Section(
        "pooled", _("All participants (pooled)"),
        method=_("All randomized participants together, whatever their group, on the trial's "
                 "data: figures over everyone say nothing about the arms. Proportions with "
                 "Wilson intervals; complete cases."),
        tables=[Table([_("Measure"), _("Value"), _("95% CI")], rows)], by_group=False)
