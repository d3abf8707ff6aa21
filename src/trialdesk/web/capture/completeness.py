"""The missing-forms report: per site and visit, the forms expected by today and those complete.

A form is expected once its visit's window has opened, unless the visit was marked not done or
falls after the participant died or withdrew. Signed and locked forms count as complete.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from trialdesk.protocol.capture import Visit
from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance, VisitNotDone
from trialdesk.web.trials.models import Participant


@dataclass
class CompletenessRow:
    site: str
    visit: str
    expected: int = 0
    complete: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)  # (participant, form)

    @property
    def percent(self) -> float:
        return 100.0 * self.complete / self.expected if self.expected else 100.0


def completeness_report(
    participants: QuerySet[Participant], visits: list[Visit], *, today: dt.date
) -> list[CompletenessRow]:
    """Return one row per site and visit for the given (randomized) participants."""
    people = list(participants.filter(randomization__isnull=False).select_related(
        "site", "randomization").order_by("code"))
    ids = [p.pk for p in people]
    done = set(FormInstance.objects.filter(participant_id__in=ids, seq=1, status=COMPLETE)
               .values_list("participant_id", "visit", "form"))
    not_done = set(VisitNotDone.objects.filter(participant_id__in=ids)
                   .values_list("participant_id", "visit"))
    left = dict(Discontinuation.objects.filter(participant_id__in=ids)
                .values_list("participant_id", "date"))
    rows: dict[tuple[str, str], CompletenessRow] = {}
    ordered = sorted(visits, key=lambda v: v.day)
    for person in people:
        randomized_on = person.randomization.randomized_at.date()
        for visit in ordered:
            opens = randomized_on + dt.timedelta(days=visit.day - visit.window_before)
            if opens > today or (person.pk, visit.code) in not_done:
                continue
            if person.pk in left and opens > left[person.pk]:
                continue
            row = rows.setdefault((person.site.code, visit.code),
                                  CompletenessRow(person.site.code, visit.code))
            for form in visit.forms:
                row.expected += 1
                if (person.pk, visit.code, form) in done:
                    row.complete += 1
                else:
                    row.missing.append((person.code, form))
    order = {v.code: i for i, v in enumerate(ordered)}
    return sorted(rows.values(), key=lambda r: (r.site, order[r.visit]))


def totals(rows: list[CompletenessRow]) -> dict[str, dict[str, float]]:
    """Return per site: expected, complete and percent complete."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        sums[row.site][0] += row.expected
        sums[row.site][1] += row.complete
    return {site: {"expected": e, "complete": c, "percent": 100.0 * c / e if e else 100.0}
            for site, (e, c) in sorted(sums.items())}
