"""The one decorator every writer (``do_*``) goes through.

``@action("randomize", refuse_when_locked=True)`` checks the actor's permission before waiting for
the writer's turn, then runs the function in one write transaction that holds the audit chain's
write lock, and refuses once the database is locked; the function writes its audit record with
:func:`trialdesk.web.core.audit.append_audit` inside that same transaction, so a change and its
audit record are committed together or not at all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

from trialdesk.web.core.actor import Actor, require
from trialdesk.web.core.audit import lock_writes
from trialdesk.web.core.locks import refuse_if_database_locked
from trialdesk.web.core.transactions import writer_turn

F = TypeVar("F", bound=Callable[..., Any])

# Every decorated writer, by qualified name: tests check that each is audited and permissioned.
REGISTERED: dict[str, Callable[..., Any]] = {}


def action(
    permission: str | tuple[str, ...] | None,
    *,
    refuse_when_locked: bool = False,
    before: Callable[..., None] | None = None,
) -> Callable[[F], F]:
    """Make ``function`` a trial write: permission, one transaction, write lock, database lock.

    ``permission`` is checked against the first argument, the :class:`Actor` (one of a tuple
    suffices). ``None`` is for writers whose caller is not a trial role: the server's operator at
    the command line (creating users, committing the allocation list) or a signed-in user acting
    on their own account (language, API tokens); such a writer names its actor as a string or user.
    ``refuse_when_locked``: clinical data, refused with 409 once the database is locked.
    ``before``: called with the same arguments after the permission check and outside the
    transaction, for a check whose own audit record must survive its refusal (a wrong signing
    password is counted even though the signature is refused).
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if permission is not None:
                actor = args[0] if args else kwargs.get("actor")
                if not isinstance(actor, Actor):
                    raise TypeError(f"{function.__qualname__} needs an Actor as its first argument")
                require(actor, permission)
            if before is not None:
                before(*args, **kwargs)
            with writer_turn(), transaction.atomic():
                lock_writes()
                if refuse_when_locked:
                    refuse_if_database_locked()
                return function(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        wrapper.refuse_when_locked = refuse_when_locked  # type: ignore[attr-defined]
        # an idempotent API operation runs it before its own transaction (core.idempotency)
        wrapper.before = before  # type: ignore[attr-defined]
        REGISTERED[f"{function.__module__}.{function.__qualname__}"] = wrapper
        return wrapper  # type: ignore[return-value]

    return decorate
