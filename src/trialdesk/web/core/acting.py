"""The membership a signed-in browser acts as, kept in its session.

A person with several active memberships chooses one after signing in (the accounts app's
"choose your role" page writes :data:`SESSION_KEY`); every request then acts as that membership
alone, so its permission checks, site filters and time zone are that role's. A choice that is
no longer valid (the membership was deactivated, or belongs to someone else after a sign-in as
another user) is dropped, and a page asks again. A person with one membership acts as it, as
before, and is never asked.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trialdesk.web.core.actor import act_as, active_memberships
from trialdesk.web.core.models import Membership

SESSION_KEY = "trialdesk_membership"  # base.html reads it by this name (the "Switch role" link)


def session_membership(request: HttpRequest) -> Membership | None:
    """The active membership chosen in this session, or the only one; None: none chosen yet
    among several (or no role at all)."""
    memberships = active_memberships(request.user)
    chosen = request.session.get(SESSION_KEY)
    if len(memberships) == 1:
        if chosen is not None:  # the others were deactivated: nothing left to switch to
            del request.session[SESSION_KEY]
        return memberships[0]
    found = next((m for m in memberships if m.pk == chosen), None)
    if found is None and chosen is not None:
        del request.session[SESSION_KEY]
    return found


class ActingMembershipMiddleware:
    """Make a signed-in session's user act as its chosen membership (a bearer-token request is
    bound to its token's membership by the API's authentication instead)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            membership = session_membership(request)
            if membership is not None:
                act_as(request.user, membership)
        return self.get_response(request)
