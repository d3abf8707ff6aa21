"""Run registry searches against PostgreSQL in a fresh database (used by test_registry_search).

Usage: python registry_pg_probe.py POSTGRES_URL < cases.json; prints one JSON object. Runs in its
own process because the test session's Django database is SQLite.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    url = sys.argv[1]
    cases = json.load(sys.stdin)
    name = f"trialdesk_registry_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        print(json.dumps(probe(urlunsplit(urlsplit(url)._replace(path=f"/{name}")), cases)))
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def probe(database_url: str, cases: list[dict]) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ["TRIALDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="trialdesk-pg-probe-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "trialdesk.web.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client
    from registry_testdata import SEARCH_CORPUS

    from trialdesk.standards.ctgov import Study as CtgovStudy
    from trialdesk.web.registry.models import Study
    from trialdesk.web.registry.search import SearchParams, search_studies
    from trialdesk.web.registry.store import Incoming, store_studies

    try:
        # Only the registry: it depends on no other app, and keeps the probe quick.
        call_command("migrate", "registry", verbosity=0)
        seeded = Study.objects.count()
        record_status = Client().get("/registry/NCT04390152").status_code
        Study.objects.all().delete()
        store_studies([Incoming(CtgovStudy.model_validate(doc), "probe") for doc in SEARCH_CORPUS])
        found = [[s.nct_id for s in search_studies(SearchParams(**case["params"])).studies]
                 for case in cases]
        return {"vendor": connection.vendor, "seeded": seeded, "found": found,
                "record_status": record_status}
    finally:
        connections.close_all()


if __name__ == "__main__":
    main()
