"""The JSON API client of the tests: Django's test client with a user's bearer token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class ApiClient:
    """A JSON client signed in with a fresh API token of ``user`` (anonymous for ``None``).

    A body is sent as JSON (``None`` as ``{}``); a string is sent as it is, for malformed input.
    ``raise_request_exception=False`` turns a server error into a 500 answer instead of raising.
    ``client`` and ``headers`` are there for a test that needs a request of its own.
    """

    def __init__(self, user: Any | None = None, *, raise_request_exception: bool = True) -> None:
        from trialdesk.web.accounts.models import ApiToken

        self.client = Client(raise_request_exception=raise_request_exception)
        self.headers: dict[str, str] = {}
        if user is not None:
            _, secret = ApiToken.issue(user)
            self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, data=_json(body), content_type="application/json",
                                headers={**self.headers, **(headers or {})})

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(path, data=_json(body), content_type="application/json",
                               headers=self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        """A request of any method (``"PATCH"``, ``"DELETE"`` ...) with a JSON body."""
        return self.client.generic(method, path, data=_json(body),
                                   content_type="application/json", headers=self.headers)

    def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Send the request, assert it succeeded (2xx), return the JSON answer."""
        response = self.send(method, path, body)
        assert response.status_code < 300, (method, path, response.content)
        return response.json()


def _json(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps({} if body is None else body)
