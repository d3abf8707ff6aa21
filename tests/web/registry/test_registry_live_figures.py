"""Live figures on the public record: enrolled vs target, sites, commitment; nothing about arms."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from enrollment import randomize
from registry_seed_page import html_text, seeded_registry

from trialdesk.protocol import load_protocol

RECORD = "/registry/NCT04390152"
pytestmark = pytest.mark.usefixtures("seeded_registry")
__all__ = ["seeded_registry"]  # a fixture, used through usefixtures


def live_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="live-heading".*?</section>', html, re.S)
    assert match, "no live figures section"
    return match.group(0)


def test_live_figures_show_enrolment_sites_and_commitment_but_nothing_about_arms(
        trial, client) -> None:
    trial.api("admin").ok("POST", "/api/v1/sites/CO-01/status",
                          {"status": "active", "reason": "Site initiation visit done.",
                           "activated_on": "2020-01-13"})
    investigator = trial.api("investigator-co-01")
    kits = [randomize(investigator)[1] for _ in range(2)]  # (code, kit code)
    allocation = apps.get_model("trials", "AllocationListRecord").objects.get()

    html = client.get(RECORD).content.decode()
    live = live_section(html)
    text = html_text(live)
    assert "2 of 40 participants enrolled (5%)" in text
    assert "Clínica SOMER Rionegro, Colombia Recruiting January 13, 2020" in text
    # the placeholder sites were never activated: not published (issue 24)
    assert "Medellín ICU site" not in html and "Bogotá ICU site" not in html
    assert allocation.commitment in live
    assert "trialdesk randomization verify" in text

    protocol = load_protocol()
    forbidden = [allocation.salt, *kits]
    forbidden += [arm.code for arm in protocol.design.arms]
    forbidden += [arm.label.text("en") for arm in protocol.design.arms]
    forbidden += ["msc", "placebo", "standard therapy"]
    assert [word for word in forbidden if word.lower() in live.lower()] == []
    for kit in kits:  # not anywhere on the public page either
        assert kit not in html
    assert allocation.salt not in html


@pytest.mark.django_db
def test_without_the_trial_server_models_the_page_shows_no_live_figures(client, monkeypatch):
    from django.apps import apps as registry

    real = registry.get_model

    def missing(app_label: str, model_name: str | None = None, require_ready: bool = True):
        # the accounts' user model stays (signing in and the middleware need it); the trial
        # server's models are gone
        if app_label.split(".")[0] == "auth":
            return real(app_label, model_name, require_ready=require_ready)
        raise LookupError(model_name or app_label)

    monkeypatch.setattr("trialdesk.web.registry.live.apps.get_model", missing)
    response = client.get(RECORD)
    assert response.status_code == 200
    assert 'aria-labelledby="live-heading"' not in response.content.decode()


@pytest.mark.django_db
def test_live_figures_belong_only_to_the_trial_this_server_runs(client) -> None:
    html = client.get("/registry/NCT04384445").content.decode()
    assert 'aria-labelledby="live-heading"' not in html
