"""The one check of a create operation's idempotency key (``core.idempotency``), for every route.

``assert_idempotent`` sends a create with a key, sends it again, and checks the retry got the
first answer (status, body, ids) and changed nothing: no row in ``counted``, no audit record, no
e-mail or task queued; then the same key with another body is a 409 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from api_client import ApiClient

KEY_FIELD = "idempotency_key"


def _count(models: Iterable[Any]) -> dict[str, int]:
    from trialdesk.web.core.models import AuditRecord

    counts = {model.__name__: model.objects.count() for model in models}
    counts["AuditRecord"] = AuditRecord.objects.count()
    return counts


def _queued() -> int:
    # e-mail and other background work is queued as tasks in the action's transaction
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.count()


def assert_idempotent(client: ApiClient, path: str, body: dict[str, Any], *,
                      counted: Iterable[Any] = (), key: str = "retry-key-0001",
                      other_body: dict[str, Any] | None = None,
                      post: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Check ``path``'s create is idempotent under ``key``; return the first answer's JSON.

    ``counted``: the models whose rows the create adds (none may be added by the retry).
    ``other_body``: another request, sent under the same key: it must be refused (409).
    """
    send = post or client.post
    first = send(path, {**body, KEY_FIELD: key})
    assert first.status_code in (200, 201), first.content
    before, queued = _count(counted), _queued()
    again = send(path, {**body, KEY_FIELD: key})
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(counted) == before, "a retry created or audited something"
    assert _queued() == queued, "a retry queued an e-mail or a task"
    # the header form of the same key is the same key
    header = send(path, body, headers={"Idempotency-Key": key})
    assert header.json() == first.json()
    if other_body is not None:
        conflict = send(path, {**other_body, KEY_FIELD: key})
        assert conflict.status_code == 409, conflict.content
        answer = conflict.json()
        assert answer["error"] == "idempotency_key_reused"
        assert answer["fields"][0]["field"] == KEY_FIELD and answer["fields"][0]["rule"]
        assert _count(counted) == before
    return first.json()
