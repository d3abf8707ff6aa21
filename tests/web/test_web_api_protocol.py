"""The running protocol's identity through the API (the administrator's manage_protocol)."""

from __future__ import annotations

import hashlib

import pytest
from role_checks import arm_leaks, refused_to_all
from trial_factory import protocol_in_use

from trialdesk.protocol import default_protocol_path
from trialdesk.protocol.translations import missing_translations
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.models import AllocationListRecord, AllocationSlot

INVESTIGATOR_NAME = 'name = { en = "Investigator", es = "Investigador" }'


@pytest.fixture
def copied_protocol(settings, tmp_path):
    """A copy of the bundled protocol, version 1.1, whose investigator role lacks its Spanish
    name, in use for the test."""
    text = default_protocol_path().read_text(encoding="utf-8")
    assert INVESTIGATOR_NAME in text and '\nversion = "1.0"\n' in text
    text = text.replace(INVESTIGATOR_NAME, 'name = { en = "Investigator" }', 1)
    text = text.replace('\nversion = "1.0"\n', '\nversion = "1.1"\n', 1)
    path = tmp_path / "nct04390152-v1.1.toml"
    path.write_text(text, encoding="utf-8")
    with protocol_in_use(settings, path):
        yield path


def test_admin_reads_the_bundled_protocols_identity(trial):
    response = trial.api("admin").get("/api/v1/protocol")
    assert response.status_code == 200
    body = response.json()
    protocol = get_protocol()
    assert body["nct_id"] == "NCT04390152"
    assert body["title"] == protocol.registry.brief_title.text("en")
    assert body["source"] == "bundled"
    assert body["sha256"] == hashlib.sha256(default_protocol_path().read_bytes()).hexdigest()
    assert body["file_matches_running"] is True
    assert (body["version"], body["schema_version"]) == ("1.0", 1)
    assert body["languages"] == ["en", "es"]
    assert body["counts"] == {"roles": 12, "forms": len(protocol.forms),
                              "visits": len(protocol.visits), "sites": 3}
    assert "admin" in body["roles"] and len(body["roles"]) == 12
    validation = body["validation"]
    assert validation["valid"] is True and validation["errors"] == []
    assert validation["missing_translations"] == [
        {"path": path, "language": language} for path, language in missing_translations(protocol)]
    assert validation["assumptions"] == len(protocol.assumptions) > 0


def test_the_title_follows_the_language(trial):
    client = trial.api("admin")
    response = client.client.get("/api/v1/protocol", headers={**client.headers,
                                                                "Accept-Language": "es"})
    assert response.json()["title"] == get_protocol().registry.brief_title.text("es")


def test_a_protocol_file_is_named_by_its_path_and_hash(trial, copied_protocol):
    body = trial.api("admin").get("/api/v1/protocol").json()
    assert body["source"] == str(copied_protocol)
    assert body["sha256"] == hashlib.sha256(copied_protocol.read_bytes()).hexdigest()
    assert body["version"] == "1.1"
    assert {"path": "roles[0].name", "language": "es"} in body["validation"][
        "missing_translations"]


def test_a_file_changed_after_start_up_no_longer_matches_what_runs(trial, copied_protocol):
    admin = trial.api("admin")
    first = admin.get("/api/v1/protocol").json()
    copied_protocol.write_text(copied_protocol.read_text(encoding="utf-8").replace(
        '\nversion = "1.1"\n', '\nversion = "1.2"\n', 1), encoding="utf-8")
    second = admin.get("/api/v1/protocol").json()
    assert first["file_matches_running"] is True and second["file_matches_running"] is False
    assert second["sha256"] != first["sha256"]
    assert second["version"] == "1.1"  # what the server runs, until it restarts
    copied_protocol.write_text("not a protocol", encoding="utf-8")
    assert admin.get("/api/v1/protocol").json()["file_matches_running"] is False


def test_the_answer_holds_no_allocation_secret_and_no_arm(trial):
    body = trial.api("admin").get("/api/v1/protocol")
    text = body.content.decode()
    record = AllocationListRecord.objects.get()
    assert record.salt not in text and record.commitment not in text
    assert not any(kit in text for kit in AllocationSlot.objects.values_list("kit_code",
                                                                             flat=True)[:50])
    assert "seed" not in text and '"arm' not in text
    assert arm_leaks(trial.users["admin"], body) == []


def test_every_other_role_is_refused(trial):
    assert refused_to_all(trial.users, ("manage_protocol",), "GET", "/api/v1/protocol") == []


def test_the_server_reads_confidential_block_sizes_beside_the_seed_and_never_shows_them(
        trial, settings, tmp_path):
    """A published protocol file (``confidential = true``) and its block sizes in the data
    directory's randomization.confidential.toml: the server runs on them, shows none of them."""
    text = default_protocol_path().read_text(encoding="utf-8")
    published = tmp_path / "published.toml"
    published.write_text(text.replace("block_sizes = [2, 4]\n", "confidential = true\n", 1),
                         encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "randomization.confidential.toml").write_text(
        "[randomization]\nblock_sizes = [4, 6]\n", encoding="utf-8")
    settings.DATA_DIR = data
    with protocol_in_use(settings, published):
        assert get_protocol().design.randomization.block_sizes == [4, 6]
        response = trial.api("admin").get("/api/v1/protocol")
    body = response.json()
    assert body["file_matches_running"] is True and body["validation"]["valid"] is True
    assert "block" not in response.content.decode()
