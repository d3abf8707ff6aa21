"""The only writer of the registry at run time: importing study records, audited study by study."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from trialdesk.web.core.actions import action
from trialdesk.web.core.audit import append_audit
from trialdesk.web.registry.store import BATCH, ImportSummary, Incoming, store_studies


@action(None)
def do_import_studies(*, actor: str, incoming: Sequence[Incoming]) -> ImportSummary:
    """Create or update ``incoming`` in one transaction, with one audit record per study stored.

    The record (model ``registry_study``, the NCT number) gives the version and last-update date
    before and after, and for an update the modules that changed, never the document itself: the
    replaced one is kept as a StudyVersion. A study imported unchanged is neither written nor
    audited. The caller is the server's operator at the command line (``actor``: "cli").
    """
    summary = store_studies(incoming)
    for change in summary.changes:
        append_audit(actor=actor, action="import_study", model="registry_study",
                     object_id=change.nct_id, changes=change.changes)
    return summary


def import_studies(
    *,
    actor: str,
    incoming: Sequence[Incoming],
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> ImportSummary:
    """Import ``incoming`` in batches, each one :func:`do_import_studies` (its own transaction).

    Why batches: an action holds the audit chain's write lock, which every trial write waits for,
    and a bulk download of hundreds of thousands of studies in one transaction would hold up
    randomization for minutes. Files are validated before this is called, so what can fail here
    is the database; the batches before a failure stay stored with their audit records, and
    importing the same files again stores the rest (the stored ones come back unchanged).
    """
    summary = ImportSummary()
    for start in range(0, len(incoming), batch):
        part = incoming[start:start + batch]
        summary.extend(do_import_studies(actor=actor, incoming=part))
        if progress:
            progress(len(part))
    return summary
