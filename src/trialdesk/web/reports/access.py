"""Who may read the analysis report, and whether it shows arms or coded groups.

The report is for the statisticians and the data manager: the blinded analyst, the DSMB
statistician (unblinded) and whoever makes blinded exports or locks the database. Arms are shown
only to a role that sees every arm (the DSMB statistician; the analyst after the final
unblinding), as the server's access layer decides; everyone else reads coded groups.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.pages import page
from trialdesk.web.trials.access import sees_every_arm

REPORT_PERMISSIONS = ("blinded_analysis", "unblinded_reports", "blinded_export", "lock")


def may_read_report(actor: Actor | None) -> bool:
    """Return True if the actor's role holds a permission that opens the report."""
    return actor is not None and any(actor.can(p) for p in REPORT_PERMISSIONS)


def report_shows_arms(actor: Actor) -> bool:
    """Return True if the report may name the arms for this actor (else coded groups)."""
    return sees_every_arm(actor)


def report_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in and role (through the server's ``page``), then the report permission."""

    @page
    @functools.wraps(view)
    def wrapper(request: HttpRequest, actor: Actor, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_read_report(actor):
            raise Forbidden(f"the role {actor.role} may not read the analysis report")
        return view(request, actor, *args, **kwargs)

    return wrapper
