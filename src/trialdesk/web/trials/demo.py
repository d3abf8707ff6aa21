"""The demo trial: sites, one user per role per site, the allocation list, synthetic participants.

Participants go through the same actions as the API (screen, consent, randomize), so the demo
exercises the real paths. About a quarter of the synthetic patients are not eligible.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from pathlib import Path
from typing import Any

from tqdm import tqdm

from trialdesk.randomization import read_or_create_seed
from trialdesk.web.accounts import actions as account_actions
from trialdesk.web.core import clock
from trialdesk.web.core.actor import actor_as
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.trials import actions
from trialdesk.web.trials.actions.sites import do_set_site_status
from trialdesk.web.trials.models import AllocationListRecord


def demo_usernames() -> list[tuple[str, str, str | None]]:
    """Return (username, role, site) for one user per role per site (trial-wide roles: one)."""
    policy = get_policy()
    sites = [site.code for site in get_protocol().sites]
    users = []
    for role in policy.role_codes:
        if policy.is_site_scoped(role):
            users += [(f"{role}-{site.lower()}", role, site) for site in sites]
        else:
            users.append((role, role, None))
    return users


def create_demo_users(data_dir: Path) -> list[dict[str, Any]]:
    """Create the demo users that do not exist; write all new credentials to demo-users.json."""
    path = data_dir / "demo-users.json"
    existing = json.loads(path.read_text()) if path.exists() else []
    known = {entry["username"] for entry in existing}
    created = []
    for username, role, site in demo_usernames():
        if username in known or Membership.objects.filter(user__username=username).exists():
            continue
        password = secrets.token_urlsafe(12)
        # the demo's alerts go to the data directory's mail folder (file-based e-mail backend)
        account_actions.do_create_user(actor="demo", username=username, role=role, site=site,
                                       password=password, email=f"{username}@demo.invalid")
        created.append({"username": username, "password": password, "role": role, "site": site})
    entries = existing + created
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(entries, handle, indent=2)
    os.chmod(path, 0o600)
    return entries


def commit_allocation_list(data_dir: Path, slots_per_stratum: int | None = None) -> str:
    """Generate and store the allocation list from the data directory's seed; return its hash."""
    existing = AllocationListRecord.objects.first()
    if existing is not None:
        return existing.commitment
    seed, _ = read_or_create_seed(data_dir / "allocation-seed")
    record = actions.do_commit_allocation_list(actor="demo", seed=seed,
                                               slots_per_stratum=slots_per_stratum)
    return record.commitment


def synthetic_values(rng: random.Random) -> dict[str, Any]:
    """Return screening values of a plausible ICU patient; some fail a criterion."""
    values: dict[str, Any] = {
        "age": rng.randint(25, 85),
        "sars_cov2_pcr": "positive",
        "onset_within_week": True,
        "bilateral_opacities": True,
        "cardiac_failure_explains": False,
        "pregnant": False,
        "active_malignancy": False,
        "expected_death_24h": False,
        "other_interventional_trial": False,
        "pao2": float(rng.randint(45, 120)),
        "fio2": round(rng.uniform(0.5, 1.0), 2),
        "peep": float(rng.randint(5, 16)),
    }
    if rng.random() < 0.25:
        spoiler = rng.choice(["age", "pcr", "cardiac", "malignancy", "pf"])
        if spoiler == "age":
            values["age"] = rng.randint(14, 17)
        elif spoiler == "pcr":
            values["sars_cov2_pcr"] = rng.choice(["negative", "pending"])
        elif spoiler == "cardiac":
            values["cardiac_failure_explains"] = True
        elif spoiler == "malignancy":
            values["active_malignancy"] = True
        else:
            values["pao2"], values["fio2"] = 180.0, 0.4
    return values


def activate_demo_sites() -> list[str]:
    """Open every planned site as the demo's administrator (audited): only an active site
    screens, consents and randomizes (``trialdesk.site_status``). Return the codes opened."""
    administrator = (Membership.objects.select_related("user", "site")
                     .filter(role="admin", active=True).first())
    if administrator is None:
        return []
    codes = list(Site.objects.filter(status=Site.PLANNED).order_by("code")
                 .values_list("code", flat=True))
    for code in codes:
        do_set_site_status(actor_as(administrator), code, Site.ACTIVE,
                           reason="Demo: the site opens.")
    return codes


def enroll_demo_participants(count: int, seed: int = 20200113) -> dict[str, int]:
    """Screen ``count`` synthetic patients across the sites; consent and randomize the eligible."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    sites = list(Site.objects.order_by("code"))
    investigators = {
        m.site.code: actor_as(m)
        for m in Membership.objects.select_related("user", "site").filter(role="investigator",
                                                                          active=True)
    }
    administrator = (Membership.objects.select_related("user", "site")
                     .filter(role="admin", active=True).first())
    counts = {"screened": 0, "eligible": 0, "randomized": 0}
    for index in tqdm(range(count), desc="demo participants", unit="patient", disable=count == 0):
        site = sites[index % len(sites)]
        actor = investigators[site.code]
        if site.status == Site.PLANNED and administrator is not None:
            # a site opens (and is published on the registry page) for its first patient
            site = do_set_site_status(actor_as(administrator), site.code, Site.ACTIVE,
                                      reason="Demo: the site opens for its first patient.")
            sites[index % len(sites)] = site
        participant = actions.do_screen(actor, values=synthetic_values(rng))
        counts["screened"] += 1
        if not participant.eligible:
            continue
        counts["eligible"] += 1
        # signed the day of the screening: a consent is not dated before it (issue 17)
        actions.do_consent(actor, participant, form_version="1.0", consent_date=clock.today())
        try:
            actions.do_randomize(actor, participant, idempotency_key=f"demo-{participant.code}")
        except Conflict:
            continue  # a stratum's list is used up: the patient stays consented, not randomized
        counts["randomized"] += 1
    return counts
