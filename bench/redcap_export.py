"""REDCap API export of 10,000 participants' records: wall time and peak memory (issue 22).

Builds a trial database in a temporary folder (SQLite; ``--database`` for PostgreSQL) with
``--participants`` randomized participants, each with every scheduled form of the protocol (26
forms with the bundled one: about 260,000 entered forms for 10,000 participants) and two
concomitant medications, written with bulk inserts straight to the tables: fast set-up data for
the benchmark, not the demo's path. Then, in a fresh process per export (so that its peak memory is
the export's, not the set-up's), an analyst's token exports every record through
``POST /redcap/api/`` (Django's test client: the view, its paging and its streaming, no network),
reading the streamed answer piece by piece as a client would; the body urlencoded, as REDCapR
posts it. Exports: ``--formats`` names each as ``format`` (flat) or ``format:eav``. Prints, per
export, the rows and
bytes, wall and CPU seconds (wall time depends on what else the machine runs; CPU time much
less) and the process's peak resident memory (and its resident memory once the
server code is loaded, before the export). Goal: < 30 s and < 500 MB.

    .venv/bin/python bench/redcap_export.py [--participants 10000] [--formats csv,json,xml,csv:eav]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

BATCH = 5000


def _value(form_field, rng: random.Random):
    kind = form_field.type
    if kind in ("integer", "decimal"):
        low = form_field.range.min if form_field.range and form_field.range.min is not None else 0
        high = (form_field.range.max if form_field.range and form_field.range.max is not None
                else low + 100)
        number = rng.uniform(low, min(high, low + 200))
        return int(number) if kind == "integer" else round(number, 1)
    if kind == "yesno":
        return rng.random() < 0.2
    if kind == "choice":
        return rng.choice(form_field.choices).code
    if kind == "date":
        return (dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(300))).isoformat()
    if kind == "datetime":
        return f"2026-03-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    return f"text {rng.randrange(10_000)}"


def build(data_dir: Path, database: str | None, participants: int) -> None:
    """The trial, its users and ``participants`` randomized participants with their forms."""
    from trialdesk.web.bootstrap import migrate, setup_django

    setup_django(data_dir=data_dir, database=database)
    migrate()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from trialdesk.web.accounts.actions import do_create_user
    from trialdesk.web.capture.models import FormInstance
    from trialdesk.web.core.models import Site
    from trialdesk.web.core.protocol import get_protocol
    from trialdesk.web.redcap.actions import do_issue_redcap_token
    from trialdesk.web.trials.actions import do_commit_allocation_list, do_load_sites
    from trialdesk.web.trials.models import AllocationSlot, Participant, Randomization

    do_load_sites(actor="bench")
    password = "bench pass phrase 2026"  # noqa: S105  (a throw-away database)
    do_create_user(actor="bench", username="analyst", role="analyst", site=None,
                   password=password)
    do_create_user(actor="bench", username="investigator", role="investigator", site="CO-01",
                   password=password)
    strata = 2 * Site.objects.count()
    do_commit_allocation_list(actor="bench", seed=b"redcap-export-bench-seed",
                              slots_per_stratum=participants // strata + 8)
    (data_dir / "token").write_text(do_issue_redcap_token(actor="bench", username="analyst"))
    user = get_user_model().objects.get(username="investigator")
    sites = list(Site.objects.order_by("code"))
    slots = list(AllocationSlot.objects.order_by("sequence").values_list("pk", flat=True))
    protocol, rng, now = get_protocol(), random.Random(22), timezone.now()
    forms = {form.code: form for form in protocol.forms}
    for start in tqdm(range(0, participants, BATCH), desc="participants", unit="batch"):
        count = min(BATCH, participants - start)
        batch = Participant.objects.bulk_create([
            Participant(code=f"B-{start + i:06d}", site=sites[(start + i) % len(sites)],
                        eligible=True, created_at=now, created_by=user) for i in range(count)])
        Randomization.objects.bulk_create([
            Randomization(participant=p, slot_id=slots[start + i], randomized_at=now,
                          randomized_by=user) for i, p in enumerate(batch)])
        AllocationSlot.objects.filter(pk__in=slots[start:start + count]).update(used=True)
        instances = []
        for participant in batch:
            entries = [(visit.code, code, 1) for visit in protocol.visits for code in visit.forms]
            entries += [("log", "concomitant_medication", seq) for seq in (1, 2)]
            for visit, code, seq in entries:
                values = {f.code: _value(f, rng) for f in forms[code].fields}
                instances.append(FormInstance(
                    participant=participant, site_id=participant.site_id, visit=visit,
                    form=code, seq=seq, status="complete", values=values, created_at=now,
                    created_by=user, updated_at=now, updated_by=user))
        FormInstance.objects.bulk_create(instances, batch_size=2000)


def peak_resident_mb() -> float:
    """This process's peak resident memory: VmHWM (Linux), which a new program starts afresh;
    ``ru_maxrss`` would keep the parent's peak across fork and exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(data_dir: Path, database: str | None, fmt: str, kind: str = "flat"
           ) -> dict[str, float]:
    """One export through the view, read piece by piece; wall time and peak memory."""
    from urllib.parse import urlencode

    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from django.test import Client

    token = (data_dir / "token").read_text()
    client = Client()
    # the server's own start (imports, URLs, protocol) is not the export's: one call first
    assert client.post("/redcap/api/", {"token": token, "content": "version"}).status_code == 200
    baseline = peak_resident_mb()
    start, cpu = time.perf_counter(), time.process_time()
    body = urlencode({"token": token, "content": "record", "format": fmt, "type": kind})
    response = client.post("/redcap/api/", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    size = lines = 0
    first = b'{"record"' if kind == "eav" else b'{"record_id"'
    marker = {"csv": b"\n", "json": first, "xml": b"<item>"}[fmt]
    for piece in response.streaming_content:
        size += len(piece)
        lines += piece.count(marker)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = peak_resident_mb()
    return {"rows": lines - (1 if fmt == "csv" else 0), "megabytes": size / 2**20,
            "seconds": seconds, "cpu": cpu, "peak_mb": peak, "baseline_mb": baseline,
            "streamed": float(response.streaming)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--formats", default="csv,json,xml,csv:eav",
                        help="exports, each format[:flat|eav]")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--data-dir", default=None,
                        help="build here and keep it (default: a temporary folder)")
    parser.add_argument("--export-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:  # the child process: one export, its figures as JSON
        data_dir, fmt, kind = args.export_only.split("::")
        print(json.dumps(export(Path(data_dir), args.database, fmt, kind)))
        return
    with tempfile.TemporaryDirectory(prefix="redcap-bench-") as folder:
        data_dir = Path(args.data_dir or folder)
        data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        build(data_dir, args.database, args.participants)
        print(f"set-up: {args.participants} participants in "
              f"{time.perf_counter() - started:.0f} s (bulk inserts)")
        print(f"{'export':<8} {'rows':>9} {'MB':>8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} "
              f"{'start MB':>8} {'streamed':>8}")
        for name in args.formats.split(","):
            fmt, _, kind = name.partition(":")
            command = [sys.executable, __file__, "--export-only",
                       f"{data_dir}::{fmt}::{kind or 'flat'}"]
            if args.database:
                command += ["--database", args.database]
            child = subprocess.run(command, capture_output=True, text=True, check=True,
                                   env={**os.environ})
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{name:<8} {figures['rows']:>9.0f} {figures['megabytes']:>8.1f} "
                  f"{figures['seconds']:>8.1f} {figures['cpu']:>8.1f} {figures['peak_mb']:>8.0f} "
                  f"{figures['baseline_mb']:>8.0f} "
                  f"{'yes' if figures['streamed'] else 'no':>8}")
        print("goal: < 30 s and < 500 MB per export")


if __name__ == "__main__":
    main()
