"""The CONSORT numbers of a trial, counted from the database (any trial, simulated or not).

Randomized participants by arm only when ``by_arm`` (the caller may see arms: after the final
unblinding, or an unblinded role); otherwise the total alone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from trialdesk.web.capture.models import COMPLETE, Discontinuation, FormInstance
from trialdesk.web.simulation.nct04390152_model import END_OF_STUDY
from trialdesk.web.trials.models import Consent, Participant, Randomization, ScreeningRecord


def consort_counts(*, by_arm: bool = False) -> dict[str, Any]:
    """Screened, eligible, consented, randomized; then how follow-up ended: completed (alive at
    the end), died, withdrew, lost (vital status unknown), still in follow-up."""
    visit, form, field = END_OF_STUDY
    randomized = Randomization.objects.count()
    ended = dict(Counter(Discontinuation.objects.values_list("kind", flat=True)))
    status = Counter(
        (values or {}).get(field) for values in FormInstance.objects.filter(
            visit=visit, form=form, status=COMPLETE, participant__randomization__isnull=False,
            participant__discontinuation__isnull=True).values_list("values", flat=True))
    counts: dict[str, Any] = {
        "screened": Participant.objects.count(),
        "eligible": ScreeningRecord.objects.filter(eligible=True).count(),
        "consented": Consent.objects.count(),
        "randomized": randomized,
        "completed": status.get("alive", 0),
        "died": ended.get(Discontinuation.DIED, 0) + status.get("dead", 0),
        "withdrew": ended.get(Discontinuation.WITHDREW, 0),
        "lost": status.get("unknown", 0),
    }
    counts["in_follow_up"] = randomized - sum(
        counts[k] for k in ("completed", "died", "withdrew", "lost"))
    if by_arm:
        counts["randomized_by_arm"] = dict(sorted(Counter(
            Randomization.objects.values_list("slot__arm", flat=True)).items()))
    return counts
