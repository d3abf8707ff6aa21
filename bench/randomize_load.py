"""Randomization throughput of the real server: N concurrent HTTP clients on loopback.

For each database (SQLite in WAL mode; PostgreSQL when a URL is given) this starts
``trialdesk serve`` (gunicorn), enrolls the participants (not timed), then times the
randomizations and prints randomizations per second, p50, p95 and p99 latency, the CPU time the
server's processes (gunicorn master and workers, from /proc/<pid>/stat) spent per randomization,
the CPU time of the bench's own HTTP clients per randomization (they share the machine's cores),
and the durable commit rate of the same database measured in the same run (a bare
insert-and-commit loop: SQLite in WAL mode with synchronous=FULL, as the server runs it), as a
ratio. The machine's load average is printed with the figures: on a shared machine the rate
and the latencies follow the load, the CPU per randomization much less.

    .venv/bin/python bench/randomize_load.py --randomizations 300          # SQLite, 32 clients
    .venv/bin/python bench/randomize_load.py --clients 16 --randomizations 300 \
        --postgres postgresql://postgres@127.0.0.1:5432/test

Figures (issue 12, finding 8; SQLite, 300 randomizations, 32 clients, 2 CPUs shared with other
test runs, load average at the start of the timed run; gunicorn workers x threads; CPU ms: the
server's CPU per randomization):

    code                               gunicorn  rand/s  p50 ms  p95 ms  p99 ms  CPU ms  load
    before: main at d42f3b0                 4x4    49.3   520.0  1315.3  1391.3    18.1  3.69
      (+ others' work in progress)          4x4    42.9   450.7  1767.3  2102.0    17.9  3.26
                                            4x4    52.5   501.1  1108.2  1196.9    17.4  4.90
    after 23e9855: token check brings       4x4    49.5   353.0  1517.2  1716.2    17.5  4.65
      the membership, idempotency           4x4    51.1   346.6  1591.4  1662.6    16.7  5.61
      lookup without joins                  4x4    94.8   296.6   579.5   647.8    13.0  3.35
                                            4x1    55.4   516.3  1262.6  1361.5    17.7  3.35
    + persistent SQLite connections         4x4    49.3   617.9  1121.6  1317.4    15.9  4.75
      (CONN_MAX_AGE=60 for SQLite in        4x4    69.4   295.2  1056.3  1092.0    12.5  5.69
      settings.DATABASES; measured          4x4    82.0   305.4   732.4   778.6    10.7  2.97
      from a copy of src/, not in           4x1   118.8   214.5   590.7   664.2    10.3  3.48
      main)                                 4x1    94.0   287.8   694.7   766.1    13.5  3.48
                                            2x4    89.9   338.6   573.7   613.5    12.2  2.92
                                            8x1    85.9   263.5  1071.3  1336.2    13.5  3.33

The durable commit rate measured alongside: 3,300-5,000 commits/s (ratio 0.012-0.029), down to
~300/s while other runs hammered the disk. On this shared machine the same code varies by 2x
from run to run (17.5 and 13.0 ms, 51 and 95 rand/s): compare CPU ms/rand over several runs.

After 26e9762 (issue 12, finding 8: 11 SQL statements instead of 18, each in plain SQL through
trialdesk/web/core/sql.py, and persistent SQLite connections, CONN_MAX_AGE=60). In-process
(the WSGI application called directly, one randomization after another, quiet machine) a
randomization costs ~2 ms of CPU and ~3,100 Python calls (12.6 ms and ~16,000 before). Through
gunicorn, with another session's test suite taking one core and the disk (load 4-9), the
old and new code run alternately, 1,000 randomizations each:

    code                        gunicorn  rand/s  p50 ms  p95 ms  p99 ms  CPU ms  load  commits/s
    before 26e9762 (its parent)      4x4    19.1  1478.5  3626.9  4239.8    17.0  6.62        211
                                     4x4    29.9   922.3  2048.0  2486.9    14.0  5.85        354
    after 26e9762                    4x4   103.6   230.4   704.6   930.6     4.6  6.17        239
                                     4x4    98.0   280.2   650.3   832.4     5.2  6.27        276
      (less load, 300 rand.)         4x4   190.4   143.4   325.7   379.5     4.2  3.80       3989
      (1,000 randomizations)         4x4   194.7   122.8   334.5   368.4     5.7  3.45       1781
                                     2x2   185.3   180.7   264.6   296.5     4.7  4.28       4184
                                     4x1   256.6   119.4   263.7   312.3     4.5  3.83       3646
                                     2x4   209.8   161.7   278.0   343.9     5.1  3.73       4075

The server's CPU per randomization fell from 12-17 ms to 4.2-5.7 ms (the rest: gunicorn ~0.6 ms
a request with its access log, measured with a bare WSGI application, and contention among
16 threads on a loaded machine). No gunicorn shape stood out beyond the noise (2x2, 2x4, 4x1,
4x2, 3x2 against 4x4, several rounds), so the default stays 4x4. The goal (>= 400/s, p99 <
250 ms) is not reached here: 400/s on 2 cores leaves 5 ms of CPU per randomization for server
and clients together, the clients take ~1.7 ms, so the server must stay under ~3.3 ms on a
machine nobody else is using; and while the disk is this busy (a fsync of 3-5 ms, the
commits/s column) the one serialized writer caps the rate at 200-350/s whatever the CPU.

Session 13 (issue 12, finding 8 closed): the timed requests come from a light asyncio client
(``light_client.py``: 0.2 ms of CPU a request, against requests' 1.1-1.5 ms in 32 threads on
the same two cores); the amendments' version lookup on every randomization is one plain-SQL
statement (12 statements; in-process CPU 2.86 -> 2.11 ms). On an idle machine (load ~2 from the
bench itself), SQLite, 1,000 randomizations, 32 clients, light client:

    gunicorn  rand/s  p50 ms  p95 ms  p99 ms  CPU ms  commits/s
    2x1        509.4    50.6   105.2   113.2     3.0       5255
    3x1        507.8    78.9    96.0   103.4     3.0       5357
    4x1        484.1    79.1   101.1   114.3     3.1       4909
    2x2        384.4    71.8   136.1   170.1     3.3       4661
    4x4        277.0   110.6   156.9   177.2     4.3       5027

Threads in one worker take turns on its GIL, and the request holding the SQLite writer's turn
waits behind the others: `trialdesk serve` now runs 4 workers x 1 thread by default (>= 400/s,
p99 < 250 ms: the goal). Before this session's changes, with helpers' code of the same day and
the requests client: 4x4 218.6/s p99 234 ms, 5.4 ms server CPU; 2x1 329.5/s.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from light_client import Request, send_all
from live_server import (
    check_allocation_invariants,
    connect,
    create_database,
    demo_users,
    drop_database,
    enroll,
    group_members,
    idempotency_key,
    postgres_database,
    running,
    setup_demo,
    token,
)

SITES = ("co-01", "co-02", "co-03")


def server_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the server's process group: the gunicorn
    master and its workers (read from /proc/<pid>/stat; the workers live as long as the run)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in group_members(pgid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # exited while we looked
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def client_cpu_seconds() -> float:
    """CPU seconds used so far by this process (the HTTP clients), which shares the cores."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def durable_commit_rate(data_dir: Path, database: str | None, commits: int = 2000) -> float:
    """Return bare insert-and-commit transactions per second on the same database, as durable as
    the server's commits: SQLite in WAL mode with synchronous=FULL (what the server sets, see
    trialdesk/web/settings.py), PostgreSQL with its defaults (fsync on, synchronous_commit on)."""
    connection = connect(data_dir, database)
    try:
        cursor = connection.cursor()
        if database is None:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2, "SQLite did not take synchronous=FULL"
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
        workers: int, threads: int, client: str) -> dict[str, float]:
    setup_demo(data_dir, database, slots_per_stratum=count // 3 + 8)
    users = demo_users(data_dir)
    options = {key: value for key, value in (("workers", workers), ("threads", threads))
               if value is not None}  # None: the server's own default
    with running(data_dir, database, **options) as server:
        tokens = {site: token(server.url, users[f"investigator-{site}"]) for site in SITES}
        local = threading.local()

        def session(site: str) -> requests.Session:
            return session_for(tokens[site])

        def session_for(bearer: str) -> requests.Session:
            if not hasattr(local, "sessions"):
                local.sessions = {}
            if bearer not in local.sessions:
                local.sessions[bearer] = requests.Session()
                local.sessions[bearer].headers["Authorization"] = f"Bearer {bearer}"
            return local.sessions[bearer]

        with ThreadPoolExecutor(clients) as pool:
            enrolled = list(pool.map(
                lambda i: (SITES[i % 3], enroll(session(SITES[i % 3]), server.url, i)),
                range(count)))

        requests_to_send = [
            Request("POST", f"/api/v1/participants/{code}/randomize",
                    {"idempotency_key": idempotency_key()}, tokens[site])
            for site, code in enrolled]
        cpu_before, client_before = server_cpu_seconds(server.pgid), client_cpu_seconds()
        start = time.perf_counter()
        if client == "light":
            answers = send_all(server.url, requests_to_send, clients)
            results = [(answer.status, answer.seconds) for answer in answers]
        else:
            def randomize(request: Request) -> tuple[int, float]:
                begin = time.perf_counter()
                response = session_for(request.bearer).post(
                    server.url + request.path, json=request.body, timeout=120)
                return response.status_code, time.perf_counter() - begin

            with ThreadPoolExecutor(clients) as pool:
                results = list(pool.map(randomize, requests_to_send))
        elapsed = time.perf_counter() - start
        server_cpu = server_cpu_seconds(server.pgid) - cpu_before
        client_cpu = client_cpu_seconds() - client_before
    failures = [status for status, _ in results if status != 201]
    if failures:
        raise SystemExit(f"{label}: {len(failures)} randomizations failed: {failures[:5]}")
    check_allocation_invariants(data_dir, database)
    latencies = sorted(seconds for _, seconds in results)

    def percentile(fraction: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(fraction * len(latencies)))]

    rate = count / elapsed
    commits = durable_commit_rate(data_dir, database)
    return {
        "rate": rate,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "cpu_ms": 1000 * server_cpu / count,
        "client_cpu_ms": 1000 * client_cpu / count,
        "durable_commits": commits,
        "ratio": rate / commits,
    }


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--randomizations", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn workers (default: trialdesk serve's, 4)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker (default: trialdesk serve's, 1)")
    parser.add_argument("--client", choices=("light", "requests"), default="light",
                        help="the timed requests' client: light (asyncio, one thread, little CPU) "
                             "or requests (a thread per client, ~1 ms CPU per request)")
    parser.add_argument("--postgres", default=None,
                        help="PostgreSQL server URL; a fresh database is created and dropped")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(("SQLite", run("sqlite", Path(folder), None, args.clients,
                                         args.randomizations, args.workers, args.threads,
                                         args.client)))
    if args.postgres:
        admin_url, url = postgres_database(args.postgres)
        create_database(admin_url, url)
        try:
            with tempfile.TemporaryDirectory() as folder:
                rows.append(("PostgreSQL", run("postgres", Path(folder), url, args.clients,
                                               args.randomizations, args.workers, args.threads,
                                         args.client)))
        finally:
            drop_database(admin_url, url)
    shape = (f"gunicorn {args.workers or 'default'} workers x {args.threads or 'default'} "
             "threads")
    print(f"{args.randomizations} randomizations, {args.clients} concurrent HTTP clients, "
          f"{shape}, {args.client} client, loopback, {os.cpu_count()} CPUs, "
          f"load average {load_average()}")
    print(f"{'database':<14}{'rand/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/rand':>13}{'client CPU ms':>15}{'durable commits/s':>19}{'ratio':>8}")
    for label, r in rows:
        print(f"{label:<14}{r['rate']:>9.1f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{r['cpu_ms']:>13.1f}{r['client_cpu_ms']:>15.1f}"
              f"{r['durable_commits']:>19.0f}{r['ratio']:>8.3f}")
    print("CPU ms/rand: CPU time of the server's processes (gunicorn master and workers) during "
          "the timed randomizations, per randomization; client CPU ms: the same for this "
          "process's HTTP clients, which share the cores. durable commits/s: a bare "
          "insert-and-commit loop on the same database, SQLite in WAL mode with "
          "synchronous=FULL like the server.")
    command = " ".join(["bench/randomize_load.py", *sys.argv[1:]])
    print(f"reproduce: .venv/bin/python {command}")


if __name__ == "__main__":
    main()
