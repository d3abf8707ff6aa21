"""Benchmark of the registry: import 10,000 synthetic study records, then time searches.

Runs once on SQLite (FTS5) and once on PostgreSQL (tsvector + GIN), each in a fresh database and
its own process (Django is set up once per process). Prints import time and search latency
(p50, p95) per backend. Goal: search p95 under 100 ms.

    .venv/bin/python bench/registry_search.py [--records 10000] [--queries 300]
        [--postgres-url postgresql://postgres@127.0.0.1:5432/test] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CONDITIONS = ["COVID-19", "Acute Respiratory Distress Syndrome", "Sepsis", "Pneumonia",
              "Influenza", "Asthma", "Heart Failure", "Diabetes Mellitus", "Hypertension",
              "Stroke", "Breast Cancer", "Lung Cancer", "Chronic Kidney Disease", "Obesity",
              "Depression", "Migraine", "Psoriasis", "Malaria", "Tuberculosis", "HIV"]
INTERVENTIONS = ["Mesenchymal Stem Cells", "Tocilizumab", "Dexamethasone", "Prone Positioning",
                 "Remdesivir", "Metformin", "Vitamin D", "Placebo", "Exercise Training",
                 "Nitric Oxide", "Heparin", "Aspirin", "Ivermectin", "Convalescent Plasma"]
WORDS = ["safety", "efficacy", "randomized", "trial", "adults", "children", "severe", "mild",
         "outcome", "mortality", "ventilation", "oxygen", "inflammation", "cytokine", "dose",
         "infusion", "weeks", "months", "quality", "life", "hospital", "intensive", "care",
         "biomarker", "response", "recovery", "pilot", "multicenter", "open", "label", "blinded",
         "cohort", "registry", "follow", "up", "treatment", "prevention"]
STATUSES = ["RECRUITING", "COMPLETED", "NOT_YET_RECRUITING", "TERMINATED", "WITHDRAWN",
            "ACTIVE_NOT_RECRUITING"]
PHASES = [["PHASE1"], ["PHASE2"], ["PHASE1", "PHASE2"], ["PHASE3"], ["NA"], []]


def synthetic_studies(count: int, seed: int = 20260113) -> list[dict]:
    rng = random.Random(seed)
    studies = []
    for index in range(count):
        condition = rng.choice(CONDITIONS)
        intervention = rng.choice(INTERVENTIONS)
        summary = " ".join(rng.choice(WORDS) for _ in range(60))
        section = {
            "identificationModule": {
                "nctId": f"NCT{80000000 + index:08d}",
                "briefTitle": f"{intervention} for {condition}: {rng.choice(WORDS)} study",
            },
            "statusModule": {
                "overallStatus": rng.choice(STATUSES),
                "startDateStruct": {"date": f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}"},
            },
            "descriptionModule": {"briefSummary": f"{summary} {condition}."},
            "conditionsModule": {"conditions": [condition, rng.choice(CONDITIONS)],
                                 "keywords": [rng.choice(WORDS)]},
            "armsInterventionsModule": {"interventions": [
                {"type": "DRUG", "name": intervention}]},
        }
        phases = rng.choice(PHASES)
        if phases:
            section["designModule"] = {"studyType": "INTERVENTIONAL", "phases": phases}
        studies.append({"protocolSection": section})
    return studies


def queries(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            params = {"q": rng.choice(CONDITIONS + INTERVENTIONS)}
        elif kind < 0.8:
            params = {"q": f"{rng.choice(INTERVENTIONS)} {rng.choice(WORDS)}",
                      "status": rng.choice(STATUSES)}
        else:
            params = {"q": rng.choice(WORDS), "phase": rng.choice(["PHASE2", "PHASE3", "NA"]),
                      "condition": rng.choice(CONDITIONS)}
        result.append(params)
    return result


def run_backend(backend: str, records: int, n_queries: int, database_url: str | None) -> dict:
    """Set Django up on a fresh database, import, search; return the figures."""
    folder = Path(tempfile.mkdtemp(prefix=f"trialdesk-bench-{backend}-"))
    os.environ["TRIALDESK_DATA_DIR"] = str(folder)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "trialdesk.web.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from trialdesk.protocol import load_protocol
    from trialdesk.standards.ctgov import read_files
    from trialdesk.web.registry.models import Study
    from trialdesk.web.registry.presenters import related_rows
    from trialdesk.web.registry.search import SearchParams, search_studies
    from trialdesk.web.registry.store import Incoming, store_studies

    try:
        call_command("migrate", "registry", verbosity=0)
        page = folder / "studies.json"
        page.write_text(json.dumps({"studies": synthetic_studies(records)}), encoding="utf-8")
        started = time.perf_counter()
        found = read_files([page])
        validated = time.perf_counter()
        store_studies([Incoming(item.study, item.file) for item in found])
        stored = time.perf_counter()
        search_studies(SearchParams(q="warm up"))
        latencies, totals = [], []
        for params in queries(n_queries):
            begin = time.perf_counter()
            result = search_studies(SearchParams(**params))
            latencies.append((time.perf_counter() - begin) * 1000)
            totals.append(result.total)
        cuts = statistics.quantiles(latencies, n=100)
        # The record page ranks related trials over the whole registry on each view.
        own = Study.objects.get(nct_id=load_protocol().registry.nct_id)
        related_ms = []
        for _ in range(10):
            begin = time.perf_counter()
            related_rows(own)
            related_ms.append((time.perf_counter() - begin) * 1000)
        return {
            "backend": connection.vendor, "records": records, "queries": n_queries,
            "validate_s": round(validated - started, 2), "store_s": round(stored - validated, 2),
            "import_s": round(stored - started, 2),
            "p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(cuts[94], 2),
            "max_ms": round(max(latencies), 2),
            "mean_hits": round(statistics.mean(totals), 1),
            "related_ms": round(statistics.median(related_ms), 1),
        }
    finally:
        connections.close_all()


def postgres_database(url: str) -> tuple[str, str]:
    import psycopg
    from psycopg import sql

    name = f"trialdesk_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "TRIALDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        help="run one backend in this process and print its JSON")
    args = parser.parse_args()
    if args.backend == "sqlite":
        print(json.dumps(run_backend("sqlite", args.records, args.queries, None)))
        return
    if args.backend == "postgresql":
        name, url = postgres_database(args.postgres_url)
        try:
            print(json.dumps(run_backend("postgresql", args.records, args.queries, url)))
        finally:
            drop_database(args.postgres_url, name)
        return
    rows = []
    for backend in ("sqlite", "postgresql"):
        command = [sys.executable, __file__, "--backend", backend, "--records", str(args.records),
                   "--queries", str(args.queries), "--postgres-url", args.postgres_url]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if done.returncode != 0:
            print(f"{backend}: failed\n{done.stderr}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'backend':<11} {'records':>7} {'validate s':>10} {'store s':>8} {'import s':>8} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'mean hits':>9} {'related ms':>10}")
    for row in rows:
        print(f"{row['backend']:<11} {row['records']:>7} {row['validate_s']:>10} "
              f"{row['store_s']:>8} {row['import_s']:>8} {row['p50_ms']:>7} {row['p95_ms']:>7} "
              f"{row['max_ms']:>7} {row['mean_hits']:>9} {row['related_ms']:>10}")
    print(f"goal: search p95 < 100 ms ({args.queries} queries, page of 20 incl. count); "
          "related ms: median time to rank related trials for one record page")
    print(f"reproduce: .venv/bin/python bench/registry_search.py --records {args.records} "
          f"--queries {args.queries}")


if __name__ == "__main__":
    main()
