"""Issue 16: the verification plan's seed is the server's secret. Made once in the data directory
(or given by the confidential file beside the allocation seed), never a constant; the plan is
reproducible from it and another secret samples other records; no page, API answer, audit record
or the public registry shows it (a site that knew it could tell which forms will be verified)."""

from __future__ import annotations

import re
import stat

import pytest
from arm_crawl import crawl_paths
from django.test import Client
from login import signed_in_client
from monitoring_kit import MONITOR, participant_with_forms, plan_visit

from trialdesk.monitoring.sdv_plan import build_plan, draw
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.monitoring.plan_seed import SEED_FILE, plan_seed

pytestmark = pytest.mark.real_sdv_plan_seed  # the seed itself under test

SECRET_A = "5d1c" * 16
SECRET_B = "a07e" * 16


def _sampled(trial) -> dict[str, float]:
    items = trial.api(MONITOR).get("/api/v1/monitoring/plan").json()["items"]
    return {item["key"]: item["draw"] for item in items if item["reason"] == "sampled"}


def test_the_seed_is_made_once_per_data_directory_and_never_a_constant(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "a"
    settings.DATA_DIR.mkdir()
    first = plan_seed()
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    path = settings.DATA_DIR / SEED_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert plan_seed() == first  # kept: the plan does not change under the monitors' feet
    settings.DATA_DIR = tmp_path / "b"
    settings.DATA_DIR.mkdir()
    assert plan_seed() != first


def test_the_confidential_file_beside_the_allocation_seed_gives_it(settings, tmp_path):
    secret = "the-sponsor's-own-seed-of-the-sdv-plan"
    (tmp_path / "randomization.confidential.toml").write_text(
        f'[monitoring]\nseed = "{secret}"\n', encoding="utf-8")
    settings.DATA_DIR = tmp_path
    get_protocol.cache_clear()
    try:
        assert plan_seed() == secret
        assert not (tmp_path / SEED_FILE).exists()
    finally:
        get_protocol.cache_clear()


def test_the_plan_is_reproducible_from_the_secret_and_another_secret_samples_otherwise(
        trial, settings, tmp_path):
    for site in ("co-01", "co-02"):
        for _ in range(5):
            participant_with_forms(trial, site)
    samples = {}
    for name, secret in (("a", SECRET_A), ("b", SECRET_B)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / SEED_FILE).write_text(secret + "\n", encoding="ascii")
        settings.DATA_DIR = folder
        samples[name] = _sampled(trial)
        # what the API shows is the core's plan from the secret: anyone holding it can check it
        assert all(round(draw(secret, key), 6) == value for key, value in samples[name].items())
    assert samples["a"] and samples["b"] and samples["a"] != samples["b"]
    settings.DATA_DIR = tmp_path / "a"
    assert _sampled(trial) == samples["a"]
    from trialdesk.web.monitoring.records import records

    items = [rec.item for rec in records()]
    expected = {p.item.key for p in build_plan(get_protocol().monitoring, items, seed=SECRET_A)
                if p.reason == "sampled"}
    assert expected == set(samples["a"])


def test_no_page_api_answer_audit_record_or_registry_page_shows_the_seed(trial, settings,
                                                                         tmp_path):
    from trialdesk.web.core.models import AuditRecord

    settings.DATA_DIR = tmp_path
    seed = plan_seed()
    code = participant_with_forms(trial)
    visit = plan_visit(trial)
    trial.api(MONITOR).ok("POST", f"/api/v1/monitoring/visits/{visit}/findings", {
        "category": "data_quality", "severity": "minor", "text": "A late entry on day 0."})
    # a piece of the seed is enough to search by: no answer carries the secret in any form
    pieces = (seed, seed[:16], seed[-16:], seed.upper()[:16])
    paths = crawl_paths({"code": code, "nct_id": "NCT04390152", "visit": "day0",
                         "form": "respiratory", "pk": str(visit), "visit_id": str(visit)})
    paths += ["/registry/", "/registry/NCT04390152", "/api/v1/openapi.json"]
    readers = [None] + [trial.users[name] for name in sorted(trial.users)
                        if name.endswith("co-01") or "-" not in name]
    for user in readers:
        client = Client() if user is None else signed_in_client(user)
        for path in paths:
            body = client.get(path).content.decode("utf-8", errors="replace")
            assert not [piece for piece in pieces if piece in body], (user, path)
    for record in AuditRecord.objects.all():
        text = repr(record.changes) + (record.reason or "")
        assert not [piece for piece in pieces if piece in text], record.action


def test_the_first_seed_written_wins_and_leaves_no_temporary_file(tmp_path):
    """Several server workers may use the plan first at once: one seed, complete, for all."""
    from trialdesk.web.monitoring.plan_seed import write_seed_once

    path = tmp_path / SEED_FILE
    assert write_seed_once(path, SECRET_A)
    assert not write_seed_once(path, SECRET_B)
    assert path.read_text(encoding="ascii") == SECRET_A + "\n"
    assert [p.name for p in tmp_path.iterdir()] == [SEED_FILE]
