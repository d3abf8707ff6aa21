"""An e-mail backend whose every send fails (a mail server that is down)."""

from __future__ import annotations

from typing import Any


class FailingBackend:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")
