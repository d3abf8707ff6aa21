"""The decorator every page goes through: sign-in, actor, its declared permission, and access
errors as 403/404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode

from trialdesk.web.core.actor import RoleNotChosen, actor_for
from trialdesk.web.core.errors import DatabaseLocked, Forbidden, NotFound
from trialdesk.web.core.permissions import (
    PUBLIC,
    READ_PARTICIPANTS,
    Requirement,
    names,
    refuse,
)


def page(
    requirement: Requirement, *, record_readers: tuple[str, ...] | None = READ_PARTICIPANTS
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Declare a page and what it asks of the role: a permission, a tuple (any of) or ANY_ROLE.

    The page requires a signed-in user with a role and that permission, gets the Actor, and has
    NotFound/Forbidden answered as 404/403. A write refused because the database is locked
    answers 409 with the reason, never a redirect that could look like success.
    """
    accepted = names(requirement)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        wrapper = _page(view, accepted, record_readers)
        wrapper.permission = requirement  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _page(view: Callable[..., HttpResponse], accepted: tuple[str, ...],
          record_readers: tuple[str, ...] | None) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # PostgreSQL stores no NUL character (a server error there, silently kept on SQLite)
        with_nul = next((name for name, values in request.POST.lists()
                         if any("\x00" in value for value in values)), None)
        if with_nul is not None:
            return HttpResponseBadRequest(f"{with_nul}: must not contain the NUL character",
                                          content_type="text/plain; charset=utf-8")
        try:
            actor = actor_for(request.user)
            if accepted and not actor.can_any(accepted):
                raise refuse(actor, accepted, names_a_record=_names_a_record(request),
                             record_readers=record_readers)
            response = view(request, actor, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error)) from None
        except RoleNotChosen:  # several roles: the person chooses the one to open the page as
            return redirect(f"{reverse('accounts:choose_role')}?"
                            f"{urlencode({'next': request.get_full_path()})}")
        except Forbidden as error:
            raise PermissionDenied(str(error)) from None
        except DatabaseLocked as error:
            response = render(request, "core/refused.html", {"actor": actor, "error": error},
                              status=409)
        # Ward computers are shared: a page kept in the browser (Back, history) would show the
        # next user what the last one saw, such as the pharmacy's arms or an unblinding result.
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)
        return response

    return wrapper


def public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Declare a page anyone may open, signed in or not (the registry record, signing in)."""
    view.permission = PUBLIC  # type: ignore[attr-defined]
    return view


def _names_a_record(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.kwargs)
