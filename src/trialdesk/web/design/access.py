"""Who may use the design pages: roles that hold a statistician-like permission.

The pages read no trial data and reveal no allocation, so blinded statisticians may use them as
well as the unblinded DSMB statistician. The protocol's roles carry no "design" permission of
their own, so the rule is written over the permissions they do carry; a protocol that adds
``design`` to a role grants it directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Forbidden
from trialdesk.web.core.pages import page

DESIGN_PERMISSIONS = ("design", "blinded_analysis", "unblinded_reports", "blinded_export")


def may_use_design(actor: Actor | None) -> bool:
    """Return True if the actor's role holds any statistician-like permission."""
    return actor is not None and any(actor.can(p) for p in DESIGN_PERMISSIONS)


def design_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign-in and role (through the server's ``page``), then the design permission."""

    @page
    @functools.wraps(view)
    def wrapper(request: HttpRequest, actor: Actor, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_use_design(actor):
            raise Forbidden(f"the role {actor.role} may not use the design pages")
        return view(request, actor, *args, **kwargs)

    return wrapper
