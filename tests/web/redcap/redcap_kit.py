"""Calls to ``/redcap/api/`` in the tests: a user's REDCap token, a multipart POST (Django's test
client, as PyCap's ``requests`` sends a dict with a file) and an urlencoded one (as REDCapR's
``httr::POST(encode = "form")`` and PyCap's plain ``requests.post(data=...)`` send it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.test import Client

URL = "/redcap/api/"


def redcap_token(user: Any) -> str:
    """A new REDCap token of ``user``, through the action the command line uses."""
    from trialdesk.web.redcap.actions import do_issue_redcap_token

    return do_issue_redcap_token(actor="test", username=user.get_username())


@dataclass(frozen=True)
class Answer:
    """A response read whole (a streamed export included)."""

    status_code: int
    content: bytes
    content_type: str
    streamed: bool

    def json(self) -> Any:
        return json.loads(self.content)


URLENCODED = "application/x-www-form-urlencoded"


def httr_form(body: Sequence[tuple[str, Any]]) -> str:
    """A body as ``httr::POST(body = post_body, encode = "form")`` writes it (httr's
    ``compose_query``): NULL elements dropped (``None`` here), the others kept even when empty,
    names and values through ``curl::curl_escape`` (every byte but ``A-Za-z0-9-._~``
    percent-encoded: a space is ``%20``, a comma ``%2C``), R's logicals as ``TRUE``/``FALSE``."""
    def text(value: Any) -> str:
        return ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)

    return "&".join(f"{quote(name, safe='')}={quote(text(value), safe='')}"
                    for name, value in body if value is not None)


def _answer(response: Any) -> Answer:
    return Answer(response.status_code, response.getvalue(), response["Content-Type"],
                  response.streaming)


class RedcapClient:
    """POSTs with one token: ``post`` multipart, ``post_form`` a recorded urlencoded body."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def post(self, **params: Any) -> Answer:
        return _answer(self.client.post(URL, {"token": self.token, **params}))

    def post_form(self, body: Sequence[tuple[str, Any]]) -> Answer:
        """``body`` (its token included) urlencoded as ``httr_form`` writes it."""
        return _answer(self.client.post(URL, data=httr_form(body), content_type=URLENCODED))

    def json(self, **params: Any) -> Any:
        response = self.post(format="json", **params)
        assert response.status_code == 200, response.content
        return json.loads(response.content)


def client_of(user: Any) -> RedcapClient:
    return RedcapClient(redcap_token(user))
