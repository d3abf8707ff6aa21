"""Randomization throughput of the real server: N concurrent HTTP clients on loopback.

For each database (SQLite in WAL mode; PostgreSQL when a URL is given) this starts
``trialdesk serve`` (gunicorn), enrolls the participants (not timed), then times the
randomizations and prints randomizations per second, p50 and p99 latency, and the raw commit
rate of the same database measured in the same run (a bare insert-and-commit loop), as a ratio.

    .venv/bin/python bench/randomize_load.py --clients 16 --randomizations 300 \
        --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

# The live-server helpers are shared with the acceptance tests (and they use tests/helpers/).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "helpers"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "web"))
from live_server import (
    check_allocation_invariants,
    connect,
    create_database,
    demo_users,
    drop_database,
    enroll,
    idempotency_key,
    postgres_database,
    running,
    setup_demo,
    token,
)

SITES = ("co-01", "co-02", "co-03")


def raw_commit_rate(data_dir: Path, database: str | None, commits: int = 2000) -> float:
    """Return bare insert-and-commit transactions per second on the same database."""
    connection = connect(data_dir, database)
    try:
        cursor = connection.cursor()
        if database is None:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, payload TEXT)")
        connection.commit()
        placeholder = "%s" if database else "?"
        start = time.perf_counter()
        for index in range(commits):
            # the only interpolation is the driver's placeholder, "?" or "%s"
            insert = f"INSERT INTO bench_commit (id, payload) VALUES ({placeholder}, {placeholder})"  # noqa: S608
            cursor.execute(insert, (index, "x" * 64))
            connection.commit()
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_commit")
        connection.commit()
        return commits / elapsed
    finally:
        connection.close()


def run(label: str, data_dir: Path, database: str | None, clients: int, count: int,
        workers: int, threads: int) -> dict[str, float]:
    setup_demo(data_dir, database, slots_per_stratum=count // 3 + 8)
    users = demo_users(data_dir)
    with running(data_dir, database, workers=workers, threads=threads) as server:
        tokens = {site: token(server.url, users[f"investigator-{site}"]) for site in SITES}
        local = threading.local()

        def session(site: str) -> requests.Session:
            if not hasattr(local, "sessions"):
                local.sessions = {}
            if site not in local.sessions:
                local.sessions[site] = requests.Session()
                local.sessions[site].headers["Authorization"] = f"Bearer {tokens[site]}"
            return local.sessions[site]

        with ThreadPoolExecutor(clients) as pool:
            enrolled = list(pool.map(
                lambda i: (SITES[i % 3], enroll(session(SITES[i % 3]), server.url, i)),
                range(count)))

        def randomize(item: tuple[str, str]) -> tuple[int, float]:
            site, code = item
            start = time.perf_counter()
            response = session(site).post(f"{server.url}/api/v1/participants/{code}/randomize",
                                          json={"idempotency_key": idempotency_key()}, timeout=120)
            return response.status_code, time.perf_counter() - start

        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(randomize, enrolled))
        elapsed = time.perf_counter() - start
    failures = [status for status, _ in results if status != 201]
    if failures:
        raise SystemExit(f"{label}: {len(failures)} randomizations failed: {failures[:5]}")
    check_allocation_invariants(data_dir, database)
    latencies = sorted(seconds for _, seconds in results)
    rate = count / elapsed
    commits = raw_commit_rate(data_dir, database)
    return {
        "rate": rate,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "raw_commits": commits,
        "ratio": rate / commits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--randomizations", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", default=None,
                        help="PostgreSQL server URL; a fresh database is created and dropped")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(("SQLite (WAL)", run("sqlite", Path(folder), None, args.clients,
                                         args.randomizations, args.workers, args.threads)))
    if args.postgres:
        admin_url, url = postgres_database(args.postgres)
        create_database(admin_url, url)
        try:
            with tempfile.TemporaryDirectory() as folder:
                rows.append(("PostgreSQL", run("postgres", Path(folder), url, args.clients,
                                               args.randomizations, args.workers, args.threads)))
        finally:
            drop_database(admin_url, url)
    print(f"{args.randomizations} randomizations, {args.clients} concurrent HTTP clients, "
          f"gunicorn {args.workers} workers x {args.threads} threads, loopback")
    print(f"{'database':<14}{'rand/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'raw commits/s':>15}"
          f"{'ratio':>8}")
    for label, r in rows:
        print(f"{label:<14}{r['rate']:>9.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
              f"{r['raw_commits']:>15.0f}{r['ratio']:>8.3f}")
    command = " ".join(["bench/randomize_load.py", *sys.argv[1:]])
    print(f"reproduce: .venv/bin/python {command}")


if __name__ == "__main__":
    main()
