"""The server serves the apps' static files itself (gunicorn does not)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/static/registry/registry.css", "/static/registry/print.css"])
def test_registry_stylesheets_are_served(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"{" in body  # a stylesheet, not an error page


def test_unknown_static_file_is_404(client) -> None:
    assert client.get("/static/registry/absent.css").status_code == 404
