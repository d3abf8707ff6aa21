"""An idempotency key on the API's create operations: a retry gets the first answer, not a copy.

A client that lost an answer (a timeout, a dropped connection) cannot know whether its request
was carried out; sending it again must not report an adverse event twice, alert the sponsor twice
or ship a kit twice. ``@idempotent("safety.report_event")``, under ``@endpoint``, makes an
operation take an ``idempotency_key`` (in its body, from :class:`Idempotent`, or the
``Idempotency-Key`` header), as screening and randomization do with their own columns:

- the first request runs the operation and keeps its answer (status and JSON body) in an
  :class:`~trialdesk.web.core.models.IdempotentAnswer`, in the transaction of the create itself
  (the writer's turn and write lock are taken first, so concurrent retries queue and the later
  ones find the answer);
- a retry with the same key and the same request (operation, path and body: a SHA-256 of their
  canonical JSON) is answered with the stored answer: same status, same ids, and nothing created,
  audited or e-mailed again;
- the same key with another request is refused (409 ``idempotency_key_reused``, naming the field).

Keys belong to their user: an answer is replayed only to the user, role and site it was given to,
so a body that showed an arm to an unblinded role never reaches a blinded one. Error answers are
not kept: a refused request changed nothing and may be sent again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from ninja import Status
from pydantic import BaseModel, Field

from trialdesk.web.core import clock
from trialdesk.web.core.audit import lock_writes
from trialdesk.web.core.endpoints import request_actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import IdempotentAnswer
from trialdesk.web.core.schemas import Strict
from trialdesk.web.core.transactions import writer_turn

F = TypeVar("F", bound=Callable[..., Any])

FIELD = "idempotency_key"
HEADER = "Idempotency-Key"
KEY_RULE = "must be 8 to 100 characters"
CHARACTER_RULE = "must hold only printable characters and no space"
REUSED_RULE = "was used for another request: send a new key for a new request"
# set on the request when its answer is a replay (the API adds a header saying so)
REPLAYED = "idempotent_replay"
REPLAYED_HEADER = "Idempotent-Replayed"
# left out of the fingerprint: an unsalted SHA-256 of a body with a password in it would let
# whoever reads the table test guesses offline (a signature's password is checked anyway, by
# the operation's ``before``, on every request, replays included)
SECRET_FIELDS = frozenset({"password"})
KEY_DESCRIPTION = (
    "A key of the client's choosing, new for each new request: a retry with the same key and "
    "the same request answers the first answer again (same status and ids) and creates "
    "nothing; the same key with another request is refused (409). Also accepted as the "
    "Idempotency-Key header.")


class Idempotent(Strict):
    """The base of a create operation's body: the optional ``idempotency_key``."""

    idempotency_key: str | None = Field(None, min_length=8, max_length=100,
                                        description=KEY_DESCRIPTION)


class IdempotencyKeyReused(Conflict):
    """The key came with another request (or from another role or site) than its first use."""

    def __init__(self) -> None:
        super().__init__("idempotency_key_reused", f"{FIELD}: {REUSED_RULE}")
        self.fields = [{"field": FIELD, "rule": REUSED_RULE}]


def request_key(request: HttpRequest, body: BaseModel | None) -> str | None:
    """The request's idempotency key (the body's first, then the header), checked; or None."""
    key = getattr(body, FIELD, None) or request.headers.get(HEADER)
    if key is None:
        return None
    if not 8 <= len(key) <= 100:
        raise InvalidInput(FIELD, KEY_RULE)
    # a key is a token (a UUID, a hash): no space, no control, bidi or zero-width character
    if not key.isprintable() or any(character.isspace() for character in key):
        raise InvalidInput(FIELD, CHARACTER_RULE)
    return key


def fingerprint(operation: str, path: dict[str, Any], body: BaseModel | None) -> str:
    """SHA-256 of the request as canonical JSON: the operation, its path parameters and its
    validated body without the key and the secrets (so key order, spacing and 3 vs 3.0 make no
    difference)."""
    values = (body.model_dump(mode="json", exclude={FIELD, *SECRET_FIELDS})
              if body is not None else None)
    canonical = json.dumps({"operation": operation, "path": path, "body": values},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _as_json(value: Any) -> Any:
    # the body as the API will send it (models dumped, dates as ISO text)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _replay(stored: IdempotentAnswer, request: HttpRequest, digest: str) -> Status:
    actor = request_actor(request)
    if (stored.fingerprint != digest or stored.role != actor.role
            or stored.site != (actor.site or "")):
        raise IdempotencyKeyReused
    setattr(request, REPLAYED, True)
    return Status(stored.status, stored.body)


def idempotent(operation: str, *, before: Callable[..., None] | None = None
               ) -> Callable[[F], F]:
    """Make an API create operation idempotent under the caller's key (see the module).

    Put it under ``@endpoint`` (the caller is resolved and allowed first); the operation's body
    derives from :class:`Idempotent`. Without a key the operation runs as before.
    ``before``: called with the operation's arguments before the transaction, for its action's
    own ``before`` check (a signing password): a wrong password is audited and counted even
    though the request is refused, which it would not be inside the transaction that the
    refusal rolls back; and a replay, too, needs the password.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            body = next((value for value in kwargs.values() if isinstance(value, Idempotent)),
                        None)
            key = request_key(request, body)
            if key is None:
                return function(request, *args, **kwargs)
            path = {name: value for name, value in kwargs.items()
                    if not isinstance(value, BaseModel)}
            digest = fingerprint(operation, path, body)
            if before is not None:
                before(request, *args, **kwargs)
            user = request_actor(request).user
            # the writer's turn and write lock before the look-up: a concurrent retry waits
            # for this one's commit and then finds its answer
            with writer_turn(), transaction.atomic():
                lock_writes()
                stored = IdempotentAnswer.objects.filter(user=user, key=key).first()
                if stored is not None:
                    return _replay(stored, request, digest)
                answer = function(request, *args, **kwargs)
                status, value = ((answer.status_code, answer.value)
                                 if isinstance(answer, Status) else (200, answer))
                if status >= 400:  # a refusal changed nothing: the key stays free
                    return answer
                actor = request_actor(request)
                stored = IdempotentAnswer.objects.create(
                    user=user, key=key, operation=operation, fingerprint=digest,
                    role=actor.role, site=actor.site or "", status=status,
                    body=_as_json(value), created_at=clock.now())
                # the first answer is the stored one too, so a replay sends the same bytes
                return Status(stored.status, stored.body)

        wrapper.__signature__ = inspect.signature(function, eval_str=True)  # type: ignore[attr-defined]
        wrapper.idempotent_operation = operation  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
