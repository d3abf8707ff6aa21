"""Helpers of the safety tests: a report body, and a randomized participant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from enrollment import randomize

INVESTIGATOR = "investigator-co-01"


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def report(code: str, **values: Any) -> dict[str, Any]:
    """A valid report body of a mild, unrelated event of ``code``, with ``values`` changed."""
    return {"participant": code, "term": "Headache", "onset_date": today(), "grade": 1,
            "relatedness": "not_related", **values}


def randomized(trial: Any, username: str = INVESTIGATOR) -> str:
    code, _ = randomize(trial.api(username))
    return code


class FailingBackend:
    """An e-mail backend whose every send fails (a mail server that is down)."""

    sends = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        type(self).sends += 1
        raise ConnectionRefusedError("mail server down")
