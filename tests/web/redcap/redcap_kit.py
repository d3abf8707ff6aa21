"""Calls to ``/redcap/api/`` in the tests: a user's REDCap token and a form-encoded POST."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


class RedcapClient:
    """Form-encoded POSTs with one token, as PyCap and REDCapR send them."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.client = Client()

    def post(self, **params: Any) -> Answer:
        response = self.client.post(URL, {"token": self.token, **params})
        return Answer(response.status_code, response.getvalue(), response["Content-Type"],
                      response.streaming)

    def json(self, **params: Any) -> Any:
        response = self.post(format="json", **params)
        assert response.status_code == 200, response.content
        return json.loads(response.content)


def client_of(user: Any) -> RedcapClient:
    return RedcapClient(redcap_token(user))
