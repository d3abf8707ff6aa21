"""The server's SQLite connections commit durably: WAL with ``synchronous=FULL``.

With ``synchronous=NORMAL`` a WAL commit is not synced to disk, so an acknowledged randomization
could be lost on power loss or an OS crash. The settings are read the way the server reads them
(a fresh process, ``TRIALDESK_DATA_DIR`` and no ``DATABASE_URL``), because the test database of
pytest-django is an in-memory SQLite that has no journal file at all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from trialdesk.web import settings as server_settings

PROBE = """
import json
import django
django.setup()
from django.db import connection
answers = []
for _ in range(2):  # a second connection is set up the same way
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
    answers.append([synchronous, journal])
    connection.close()
print(json.dumps({"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"]),
                  "answers": answers}))
"""


def test_the_configured_server_commits_to_sqlite_in_wal_with_synchronous_full(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "TRIALDESK_DATA_DIR")}
    env["DJANGO_SETTINGS_MODULE"] = "trialdesk.web.settings"
    env["TRIALDESK_DATA_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                            text=True, timeout=300, check=True)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["vendor"] == "sqlite"
    assert answer["name"] == str(tmp_path / "trialdesk.sqlite3")
    # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
    assert answer["answers"] == [[2, "wal"], [2, "wal"]]


def test_the_sqlite_settings_say_full_and_wal(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    command = server_settings._database()["OPTIONS"]["init_command"].upper().replace(" ", "")
    assert "PRAGMAJOURNAL_MODE=WAL" in command
    assert "PRAGMASYNCHRONOUS=FULL" in command
