"""The public record lists a site only once activated, with its real status (issue 24)."""

from __future__ import annotations

import pytest
from registry_seed_page import html_text, seeded_registry

__all__ = ["seeded_registry"]  # a fixture, used through usefixtures
REASON = "Site initiation visit done; ethics approval on file."
RECORD = "/registry/NCT04390152"


def _status(trial, code: str, body: dict) -> None:
    trial.api("admin").ok("POST", f"/api/v1/sites/{code}/status", body)


@pytest.mark.usefixtures("seeded_registry")
def test_the_registry_page_lists_only_activated_sites_with_their_real_status(trial, client):
    assert "No site has been activated yet" in html_text(client.get(RECORD).content.decode())
    _status(trial, "CO-01", {"status": "active", "reason": REASON, "activated_on": "2020-01-13"})
    _status(trial, "CO-03", {"status": "active", "reason": REASON,
                            "activated_on": "2020-03-02"})
    _status(trial, "CO-03", {"status": "closed", "reason": "Closed early: no ICU beds."})
    text = html_text(client.get(RECORD).content.decode())
    assert "Clínica SOMER Rionegro, Colombia Recruiting January 13, 2020" in text
    assert "Bogotá ICU site Bogotá, Colombia Closed to recruitment March 2, 2020" in text
    assert "Medellín ICU site" not in text  # CO-02 was never activated
