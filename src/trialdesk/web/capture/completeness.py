"""The missing-forms report: per site and visit, the forms expected by today and those complete.

A visit's forms are expected when the schedule's one rule (``capture.schedule``, from
``protocol.visit_state``) puts the visit in a state that expects data: due, overdue, missed or
done; not when it is upcoming, marked not done or falls after the participant died or withdrew.
Signed and locked forms count as complete.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from trialdesk.protocol.capture import Visit
from trialdesk.protocol.visit_state import EXPECTED_STATUSES
from trialdesk.web.amendments.versions import protocol_for_site
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.capture.schedule import schedules_for
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
        "site").order_by("code"))
    ids = [p.pk for p in people]
    done = set(FormInstance.objects.filter(participant_id__in=ids, seq=1, status=COMPLETE)
               .values_list("participant_id", "visit", "form"))
    schedules = schedules_for(ids, visits, today=today)
    by_code = {visit.code: visit for visit in visits}
    rows: dict[tuple[str, str], CompletenessRow] = {}
    for person in people:
        for scheduled in schedules.get(person.pk, []):
            if scheduled.status not in EXPECTED_STATUSES:
                continue
            row = rows.setdefault((person.site.code, scheduled.code),
                                  CompletenessRow(person.site.code, scheduled.code))
            visit = by_code[scheduled.code]
            for form in visit.closing_forms if scheduled.closing_only else visit.forms:
                row.expected += 1
                if (person.pk, scheduled.code, form) in done:
                    row.complete += 1
                else:
                    row.missing.append((person.code, form))
    ordered = sorted(visits, key=lambda v: v.day)
    order = {v.code: i for i, v in enumerate(ordered)}
    return sorted(rows.values(), key=lambda r: (r.site, order[r.visit]))


def completeness_at_their_sites(participants: QuerySet[Participant], *, today: dt.date
                                ) -> list[CompletenessRow]:
    """The report with each site's participants under the protocol version in force at the site
    (issue 17): a visit an amendment added is expected only where the amendment holds."""
    rows: list[CompletenessRow] = []
    sites = sorted(set(participants.order_by().values_list("site__code", flat=True)))
    for site in sites:
        rows += completeness_report(participants.filter(site__code=site),
                                    protocol_for_site(site).visits, today=today)
    return rows


def totals(rows: list[CompletenessRow]) -> dict[str, dict[str, float]]:
    """Return per site: expected, complete and percent complete."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        sums[row.site][0] += row.expected
        sums[row.site][1] += row.complete
    return {site: {"expected": e, "complete": c, "percent": 100.0 * c / e if e else 100.0}
            for site, (e, c) in sorted(sums.items())}
