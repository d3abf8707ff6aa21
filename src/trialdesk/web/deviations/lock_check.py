"""The deviation log's item of the lock checklist: major deviations not yet reported to the ethics
committee, within the scope of the lock (``trialdesk.web.core.lock_checklist``).

A form or a participant lock is held up by the participant's own major deviations; the database
lock by every one, site-level deviations included. Items name the deviation, its site and
participant and its dates: never a category's unblinding details.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from trialdesk import deviations as rules
from trialdesk.web.core.lock_checklist import DATABASE, ChecklistItem, LockScope
from trialdesk.web.deviations.models import Deviation

CODE = "open_deviations"
# marked, not translated: the checklist page says it in the reader's language
LABEL = gettext_noop("Major deviations not reported to ethics")


def find(scope: LockScope) -> list[ChecklistItem]:
    """The major deviations in ``scope`` whose ethics committee report is not recorded."""
    unreported = Deviation.objects.filter(severity=rules.MAJOR, ethics_reported_on__isnull=True)
    if scope.kind != DATABASE:  # a form or a participant: that participant's deviations
        if scope.participant is None:
            return []
        unreported = unreported.filter(participant=scope.participant)
    items = []
    for deviation in unreported.select_related("site", "participant").order_by("pk"):
        where = deviation.participant.code if deviation.participant else deviation.site.code
        items.append(ChecklistItem(
            check=CODE, subject=f"{deviation.key} ({where})",
            detail=(f"major, discovered {deviation.discovered_on.isoformat()}, ethics report "
                    f"due {deviation.ethics_due_on.isoformat() if deviation.ethics_due_on else '-'}"
                    )))
    return items
