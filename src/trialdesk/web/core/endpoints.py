"""The decorator every JSON API operation goes through: its permission, declared where it is.

``@endpoint("randomize")`` under the router's decorator resolves the caller's Actor (token or
session), checks the permission (a tuple: any of; ``ANY_ROLE``: any role) and leaves the Actor on
``request.actor``. Errors become the API's JSON error shape (``api/errors.py``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest

from trialdesk.web.core.actor import Actor, actor_for
from trialdesk.web.core.permissions import (
    PUBLIC,
    READ_PARTICIPANTS,
    Requirement,
    names,
    refuse,
)

F = TypeVar("F", bound=Callable[..., Any])


def endpoint(
    requirement: Requirement, *, record_readers: tuple[str, ...] | None = READ_PARTICIPANTS
) -> Callable[[F], F]:
    """Declare an API operation and what it asks of the caller's role.

    ``record_readers``: the roles that may read the kind of record the URL names (participants
    by default, kits for the pharmacy); others are told "not found" rather than "forbidden".
    """
    accepted = names(requirement)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if requirement != PUBLIC:
                actor = actor_for(request.auth)
                if accepted and not actor.can_any(accepted):
                    raise refuse(actor, accepted, names_a_record=_names_a_record(request),
                             record_readers=record_readers)
                request.actor = actor
            return function(request, *args, **kwargs)

        # django-ninja reads the parameters' types from the signature; resolve them here, where
        # the endpoint's module is known (the wrapper's own module does not define them)
        wrapper.__signature__ = inspect.signature(function, eval_str=True)  # type: ignore[attr-defined]
        wrapper.permission = requirement  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def request_actor(request: HttpRequest) -> Actor:
    """Return the Actor that ``@endpoint`` resolved for this request."""
    return request.actor  # type: ignore[attr-defined]


def _names_a_record(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and match.kwargs)
