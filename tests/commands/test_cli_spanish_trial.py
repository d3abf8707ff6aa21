"""The commands that work on a trial's data directory, in Spanish (issue 19): audit, export,
backup, users and sites, run as subprocesses on one demo trial (users, sites, allocation list,
no participants). Each: a Spanish word in, its English heading out; --json unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web"))  # live-server helpers
from live_server import setup_demo, trialdesk

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("spanish") / "data"
    setup_demo(folder, slots_per_stratum=4)
    return folder


def run(data_dir: Path, group: str, *args: str, language: str = "es", check: bool = True):
    """``trialdesk GROUP --language LANGUAGE ARGS --data-dir DATA_DIR``."""
    return trialdesk(group, "--language", language, *args, "--data-dir", str(data_dir),
                     data_dir=data_dir, check=check)


def test_audit_verify_and_head_in_spanish(data_dir, tmp_path):
    verified = run(data_dir, "audit", "verify")
    assert "pista de auditoría íntegra:" in verified.stdout
    assert "audit trail intact" not in verified.stdout
    published = run(data_dir, "audit", "head", "--publish", str(tmp_path / "heads.jsonl"))
    assert f"publicada en {tmp_path / 'heads.jsonl'}" in published.stdout
    matched = run(data_dir, "audit", "verify", "--published", str(tmp_path / "heads.jsonl"))
    assert "coincide con 1 cabeza publicada (la más reciente: registro" in matched.stdout
    assert "published head" not in matched.stdout
    as_json = [json.loads(run(data_dir, "audit", "verify", "--json", language=language).stdout)
               for language in ("en", "es")]
    assert as_json[0] == as_json[1]


def test_export_in_spanish(data_dir, tmp_path):
    done = run(data_dir, "export", "sdtm", "--out", str(tmp_path / "sdtm"))
    assert f"archivos en {tmp_path / 'sdtm'} (asignación: ficticia; SHA-256" in done.stdout
    assert "files in" not in done.stdout and "allocation:" not in done.stdout
    refused = run(data_dir, "export", "nope", "--out", str(tmp_path / "x"), check=False)
    assert refused.returncode == 2 and "uno de sdtm" in refused.stderr


def test_backup_and_its_check_in_spanish(data_dir, tmp_path):
    key = tmp_path / "backup.key"
    made_key = trialdesk("backup", "--language", "es", "--new-key-file", str(key),
                         data_dir=data_dir)
    assert "se escribió una clave nueva" in made_key.stdout
    made = run(data_dir, "backup", "--out", str(tmp_path / "a.tdbackup"), "--key-file",
               str(key))
    assert f"se escribió {tmp_path / 'a.tdbackup'}: base de datos sqlite y" in made.stdout
    assert "cabeza de auditoría" in made.stdout and "database and" not in made.stdout
    checked = trialdesk("backup", "--language", "es", "--verify", str(tmp_path / "a.tdbackup"),
                        "--key-file", str(key), data_dir=data_dir)
    assert "está íntegra" in checked.stdout and "is intact" not in checked.stdout
    refused = trialdesk("backup", "--language", "es", "--verify", str(tmp_path / "a.tdbackup"),
                        data_dir=data_dir, check=False)
    assert "indique exactamente uno de --passphrase-file" in refused.stderr


def test_users_and_sites_in_spanish(data_dir):
    created = run(data_dir, "users", "create", "--username", "lucia", "--role", "coordinator",
                  "--site", "CO-01", "--password", "una contraseña larga")
    assert created.stdout.startswith("se creó lucia (coordinator en CO-01); contraseña:")
    refused = run(data_dir, "users", "add-role", "--username", "nadie", "--role", "monitor",
                  check=False)
    assert refused.returncode == 2 and "--username" in refused.stderr
    listed = run(data_dir, "sites", "list").stdout
    assert "activo" in listed and "active" not in listed
    english = run(data_dir, "sites", "list", language="en").stdout
    assert "active" in english
    suspended = run(data_dir, "sites", "suspend", "CO-01", "--as", "admin", "--reason",
                    "Pausa de reclutamiento.")
    assert suspended.stdout.strip() == "CO-01: suspendido"
    nobody = run(data_dir, "sites", "close", "CO-01", "--as", "nadie", "--reason", "Fin.",
                 check=False)
    assert "no hay un usuario activo nadie" in nobody.stderr
