"""Where each planned record's verification stands, judged now against the stored values.

The last :class:`~trialdesk.web.monitoring.models.Verification` of a field holds only while the
field's value has the hash it was verified on (``trialdesk.monitoring.verification``). This is
decided here, when read, rather than by a ``post_save`` receiver on form entries: a receiver sees
only the writes that call ``save()`` on that one model (not ``QuerySet.update``, not raw SQL, not
consents or safety events, not a write path added later), and a missed write would leave a changed
value shown as verified. A hash compared on every read cannot be bypassed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max

from trialdesk.monitoring.sdv_plan import PlannedItem
from trialdesk.monitoring.verification import Mark, field_states, item_state
from trialdesk.web.monitoring.models import Verification
from trialdesk.web.monitoring.records import Record, planned


@dataclass(frozen=True)
class RecordState:
    """A record with its place in the plan (None: not in it), each field's state, the record's."""

    record: Record
    planned: PlannedItem | None
    fields: dict[str, str]
    state: str
    last: dict[str, Verification]


def last_verifications(keys: Iterable[str]) -> dict[str, dict[str, Verification]]:
    """Item key -> field -> its last verification."""
    keys = list(keys)
    found: dict[str, dict[str, Verification]] = defaultdict(dict)
    # in chunks: a database's whole plan can exceed SQLite's limit of bound parameters
    for start in range(0, len(keys), 500):
        # only each field's last row (the highest id): re-verifications leave the earlier rows,
        # which loading (with their user and visit) cost more than the rest of a verification
        latest = (Verification.objects.filter(item__in=keys[start:start + 500])
                  .values("item", "field").annotate(last=Max("pk")).values("last"))
        rows = Verification.objects.filter(pk__in=latest).select_related("verified_by", "visit")
        for row in rows:
            found[row.item][row.field] = row
    return found


def last_marks(keys: Iterable[str]) -> dict[str, dict[str, Mark]]:
    """Item key -> field -> its last verification's mark (status and value hash): what a
    record's state is judged on, read as plain rows (no verification, user or visit loaded)."""
    keys = list(keys)
    found: dict[str, dict[str, Mark]] = defaultdict(dict)
    for start in range(0, len(keys), 500):  # SQLite's limit of bound parameters
        latest = (Verification.objects.filter(item__in=keys[start:start + 500])
                  .values("item", "field").annotate(last=Max("pk")).values("last"))
        for item, name, status, digest in Verification.objects.filter(pk__in=latest).values_list(
                "item", "field", "status", "value_hash"):
            found[item][name] = Mark(status, digest)
    return found


def states(found: list[Record], *, only_planned: bool = True,
           plan: dict[str, PlannedItem] | None = None, rows: bool = True) -> list[RecordState]:
    """The state of each record of ``found`` (only those in the plan, unless told otherwise).

    ``plan``: the records' places in the plan when the caller has them (None: drawn here; a
    verification, which needs no plan, passes an empty one: drawing it counts every site's forms).
    ``rows``: each state's ``last`` holds the fields' last verifications (who, when, at which
    visit), as the pages show them; without, ``last`` is empty and the states are judged on the
    marks alone, a fraction of the reading (a monitoring visit's or the lock check's hundreds).
    """
    if plan is None:
        plan = {item.item.key: item for item, _record in planned(found)}
    chosen = [rec for rec in found if rec.item.key in plan or not only_planned]
    keys = (rec.item.key for rec in chosen)
    last = last_verifications(keys) if rows else {}
    marks_of = ({key: {name: Mark(row.status, row.value_hash) for name, row in by_field.items()}
                 for key, by_field in last.items()} if rows else last_marks(keys))
    result = []
    for rec in chosen:
        fields = field_states(rec.fields, rec.values, marks_of.get(rec.item.key, {}))
        result.append(RecordState(rec, plan.get(rec.item.key), fields,
                                  item_state(fields.values()), last.get(rec.item.key, {})))
    return result
