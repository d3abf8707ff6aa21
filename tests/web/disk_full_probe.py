"""Run by ``test_web_database_disk_full.py`` in a process of its own: the server's own settings
(the SQLite file of ``TRIALDESK_DATA_DIR`` in WAL mode with synchronous=FULL, persistent
connections), requests through Django's test client, and a disk that fills up.

The disk is simulated the way SQLite itself reports one: ``PRAGMA max_page_count`` at the
database's size, on every connection of this process (a ``connection_created`` receiver: the test's
own hook, the server has none), so the next write that needs a new page fails with SQLITE_FULL
("database or disk is full"). Participants are randomized one by one until one is refused; the
probe prints, as JSON: what that answer said, whether any table changed, ``PRAGMA
integrity_check``, a read after it, and the same request (same idempotency key) once space is
freed, twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import uuid
from pathlib import Path
from typing import Any

ENROLLED = 20  # the disk fills after about 6 (each randomization needs a few kilobytes)


def _digest(database: Path) -> str:
    """SHA-256 of every row of every table, read by a connection of its own."""
    connection = sqlite3.connect(database)
    try:
        digest = hashlib.sha256()
        for line in connection.iterdump():
            digest.update(line.encode())
        return digest.hexdigest()
    finally:
        connection.close()


def main(data_dir: Path) -> dict[str, Any]:
    import django

    django.setup()
    from api_client import ApiClient
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client
    from enrollment import enroll

    database = data_dir / "trialdesk.sqlite3"
    full = {"pages": None}

    def limit(cursor: Any) -> None:
        cursor.execute(f"PRAGMA max_page_count = {full['pages'] or 1073741823}")

    def on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            limit(cursor)

    connection_created.connect(on_connection)
    user = get_user_model().objects.get(username="investigator-co-01")
    api = ApiClient(user, raise_request_exception=False)
    codes = [enroll(api) for _ in range(ENROLLED)]
    browser = Client(raise_request_exception=False, headers={"Accept-Language": "es"})
    browser.force_login(user)  # (signing in writes a session: before the disk fills)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        full["pages"] = cursor.fetchone()[0]
        limit(cursor)

    accepted, refused = 0, None
    for code in codes:
        key = uuid.uuid4().hex
        before = _digest(database)
        response = api.post(f"/api/v1/participants/{code}/randomize", {"idempotency_key": key})
        if response.status_code == 201:
            accepted += 1
            continue
        refused = {"code": code, "key": key, "status": response.status_code,
                   "body": response.json(), "retry_after": response.get("Retry-After"),
                   "unchanged": _digest(database) == before}
        break
    if refused is None:
        return {"accepted": accepted, "refused": None}
    page = browser.post(f"/participants/{codes[-1]}/randomize/",
                        {"idempotency_key": uuid.uuid4().hex, "confirm": "on"})
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        integrity = [row[0] for row in cursor.fetchall()]
    read = api.get(f"/api/v1/participants/{refused['code']}")
    full["pages"] = None  # the operator frees space
    with connection.cursor() as cursor:
        limit(cursor)
    path = f"/api/v1/participants/{refused['code']}/randomize"
    retries = [api.post(path, {"idempotency_key": refused["key"]}) for _ in range(2)]
    return {
        "pages": full["pages"], "accepted": accepted, "refused": refused,
        "page_status": page.status_code, "page": page.content.decode(),
        "integrity": integrity, "read_status": read.status_code,
        "retries": [(r.status_code, r.json().get("kit_code")) for r in retries],
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
