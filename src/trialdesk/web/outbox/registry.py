"""Other apps' notifications that keep failing, for the administrator's outbox page.

Apps with delivery records of their own (the safety alerts, the DSMB's signal alerts) register a
function here from their ``AppConfig.ready``; the page lists its rows beside the outgoing
e-mail's. The outbox imports no app, so this keeps the apps' imports one way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# name -> a function of the attempts from which a notification "keeps failing", returning rows
# with the keys of ``row``
_SOURCES: dict[str, Callable[[int], list[dict[str, Any]]]] = {}


def register_undelivered(name: str, source: Callable[[int], list[dict[str, Any]]]) -> None:
    """Add (or replace) one app's source of notifications that keep failing."""
    _SOURCES[name] = source


def sources() -> list[Callable[[int], list[dict[str, Any]]]]:
    return [_SOURCES[name] for name in sorted(_SOURCES)]


def row(*, source: str, pk: int, recipient: str, subject: str, attempts: int, status: str,
        created_at: Any, last_attempt_at: Any, error: str, withheld: bool,
        retry: bool = False) -> dict[str, Any]:
    """One row of the page. ``withheld``: the message may name an arm, so ``error`` must be the
    error's class only (a mail server's refusal may quote the message); never a body."""
    return {"source": source, "id": pk, "recipient": recipient, "subject": subject,
            "attempts": attempts, "status": status, "created_at": created_at,
            "last_attempt_at": last_attempt_at, "error": error, "withheld": withheld,
            "retry": retry}


def error_class(text: str) -> str:
    """The class name an error text starts with ("SMTPException: ..." -> "SMTPException")."""
    return text.split(":", 1)[0].strip() if text else ""
