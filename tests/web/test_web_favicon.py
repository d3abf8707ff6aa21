"""The site's icon: a small SVG served as a static file, linked from every page of the layout,
and answered at /favicon.ico, where browsers ask for it whatever a page links (issue 19)."""

from __future__ import annotations

from pathlib import Path

from django.test import Client
from login import signed_in_client

import trialdesk.web

ICON = Path(trialdesk.web.__file__).parent / "static" / "favicon.svg"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_icon_is_a_small_svg_served_as_a_static_file(client) -> None:
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    body = _body(response)
    assert len(body) < 2048
    assert body.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    assert body.rstrip().endswith(b"</svg>") and b"<script" not in body


def test_favicon_ico_leads_to_the_same_icon(client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    icon = client.get("/favicon.ico", follow=True)
    assert icon.status_code == 200 and icon["Content-Type"].startswith("image/svg+xml")
    assert _body(icon) == ICON.read_bytes()
    assert client.head("/favicon.ico").status_code == 301
    assert client.post("/favicon.ico").status_code == 405  # nothing to write here


def test_pages_of_the_layout_link_the_icon(trial) -> None:
    pages = [Client().get("/accounts/login/"),
             signed_in_client(trial.users["coordinator-co-01"]).get("/")]
    for page in pages:
        assert page.status_code == 200
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in (
            page.content.decode())
