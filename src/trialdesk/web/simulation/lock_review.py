"""The final data review of a simulated trial, then the database lock.

As a data manager would before lock: every query closed, every complete form the weekly signing
sessions left signed by its site's investigator (one password entry per site's session), then the
lock checklist. What is left is what a real trial could not settle either (forms of participants
lost to follow-up, terms waiting for the sponsor's MedDRA release, source data the monitors did
not reach): the database is then locked through the two-person override, requested by the data
manager and confirmed by the principal investigator, each with their password, the items kept
with the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialdesk.web.capture.actions import (
    do_close_query,
    do_confirm_lock_override,
    do_lock,
    do_request_lock_override,
)
from trialdesk.web.capture.lock_readiness import checklist_snapshot, lock_scope
from trialdesk.web.capture.models import Lock, Query
from trialdesk.web.core import clock
from trialdesk.web.simulation.flow import HOUR
from trialdesk.web.simulation.signing import sign_off


def _override_reason(snapshot: dict[str, Any]) -> str:
    left = "; ".join(f"{check['label']}: {check['count']}" for check in snapshot["checks"]
                     if check["count"])
    return ("Final data review done; these items cannot be settled before the final analysis "
            f"and are kept with the lock: {left}.")


def final_review_and_lock(simulated: clock.SimulatedClock, cast: Any,
                          report: Callable[[str, int, int], None]) -> Lock:
    """Close the queries, sign off, then lock (with the override if items remain)."""
    pending = list(Query.objects.exclude(status=Query.CLOSED).order_by("pk"))
    steps = len(pending) + 2
    for index, query in enumerate(pending):
        do_close_query(cast.data_manager, query, text="Closed at the final data review.")
        report("lock", index, steps)
    sign_off(cast)  # what the weekly sessions left: visits a form of which came late
    report("lock", len(pending) + 1, steps)
    simulated.advance(HOUR * 3)
    reason = "All data entered and reviewed: database lock for the final analysis."
    snapshot = checklist_snapshot(lock_scope(Lock.DATABASE))
    if not snapshot["outstanding"]:
        lock = do_lock(cast.data_manager, Lock.DATABASE, reason=reason)
    else:
        if cast.principal_investigator is None:
            raise RuntimeError("the demo users have no principal investigator to confirm the lock")
        manager, pi = cast.data_manager, cast.principal_investigator
        override = do_request_lock_override(manager, Lock.DATABASE,
                                            reason=_override_reason(snapshot),
                                            password=cast.passwords[manager.username])
        simulated.advance(HOUR)  # the investigator reviews the list before confirming
        lock = do_confirm_lock_override(pi, override, password=cast.passwords[pi.username])
    report("lock", steps, steps)
    return lock
