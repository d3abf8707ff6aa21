"""Exports of 1,000 and 10,000 participants: wall time and peak memory per format (issue 21).

Builds a trial database in a temporary folder (SQLite; ``--database`` for PostgreSQL) with
``--participants`` randomized, consented participants, each with every scheduled form of the
protocol, a concomitant medication and (one in three) an adverse event, written with bulk inserts
straight to the tables: fast set-up data for the benchmark, not the demo's path (which takes
about a minute per 40 participants). Then, in a fresh process per format (so that its peak
memory is the export's, not the set-up's), runs the export job as ``trialdesk export FORMAT``
does (the dummy allocation: the trial is blinded) into a folder. Prints, per format, the files'
megabytes, wall and CPU seconds (the machine may be shared: CPU time is the export's own work)
and the process's peak resident memory (and its resident memory once
the server code is loaded, before the export). Goal: 10,000 participants to SDTM in < 60 s and
< 1 GB.

    .venv/bin/python bench/export_scale.py [--participants 1000,10000]
        [--formats sdtm,adam,odm,csv,fhir]

Measured 2026-12-04 on the shared 2-core machine (SQLite), all five formats (1,000 at commit
63173d7, 10,000 at d844e8b), while other work kept the load average at 10-15: wall seconds are
mostly waiting for a core, CPU seconds the export's own work. MB written / wall s / CPU s / peak
resident MB:

    participants  SDTM                      ADaM                    ODM 1.3.2
    1,000         14.3 / 10.9 / 3.5 / 298   0.8 / 2.6 / 0.9 / 247   59.2 / 35.8 / 6.3 / 261
    10,000        142 / 209 / 32.1 / 568    7.7 / 12.4 / 2.7 / 271  592 / 268 / 60.2 / 295

    participants  CSV + dictionary          FHIR R4 bundle
    1,000         3.2 / 11.3 / 1.4 / 247    1.4 / 3.4 / 0.9 / 235
    10,000        32.0 / 60.1 / 14.5 / 261  14.1 / 33.8 / 7.9 / 257

Resident memory before the export (the server code loaded): 218-228 MB. Set-up: 35 s for
1,000, 236 s for 10,000. SDTM at 10,000: 568 MB peak (goal < 1 GB: met) and 32 s of CPU; its
wall time on an idle machine was 47 s on 2026-12-03 (goal < 60 s), 209 s under this load. ODM
streams its 592 MB file (295 MB peak).
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

BATCH = 2000
START = dt.datetime(2020, 3, 2, 12, 0, tzinfo=dt.UTC)


def _value(form_field, rng: random.Random, day: dt.date):
    kind = form_field.type
    if kind in ("integer", "decimal"):
        if form_field.lloq is not None and rng.random() < 0.15:
            return {"censored": "<", "limit": form_field.lloq}
        low = form_field.range.min if form_field.range and form_field.range.min is not None else 0
        high = (form_field.range.max if form_field.range and form_field.range.max is not None
                else low + 100)
        number = rng.uniform(max(low, form_field.lloq or low), min(high, low + 200))
        return int(number) if kind == "integer" else round(number, 1)
    if kind == "yesno":
        return rng.random() < 0.2
    if kind == "choice":
        return rng.choice(form_field.choices).code
    if kind == "date":
        return (day + dt.timedelta(days=rng.randrange(5))).isoformat()
    if kind == "datetime":
        return f"{day.isoformat()}T{rng.randrange(10, 12):02d}:{rng.randrange(60):02d}"
    return f"text {rng.randrange(10_000)}"


def build(data_dir: Path, database: str | None, participants: int) -> None:
    """The trial, its users and ``participants`` randomized participants with their forms."""
    from trialdesk.web.bootstrap import migrate, setup_django

    setup_django(data_dir=data_dir, database=database)
    migrate()
    from django.contrib.auth import get_user_model

    from trialdesk.web.accounts.actions import do_create_user
    from trialdesk.web.capture.models import FormInstance
    from trialdesk.web.core.models import Site
    from trialdesk.web.core.protocol import get_protocol
    from trialdesk.web.trials.actions import do_commit_allocation_list, do_load_sites
    from trialdesk.web.trials.models import AllocationSlot, Consent, Participant, Randomization

    do_load_sites(actor="bench")
    do_create_user(actor="bench", username="investigator", role="investigator", site="CO-01",
                   password="bench pass phrase 2026")  # noqa: S106  (a throw-away database)
    strata = 2 * Site.objects.count()
    do_commit_allocation_list(actor="bench", seed=b"export-scale-bench-seed",
                              slots_per_stratum=participants // strata + 8)
    user = get_user_model().objects.get(username="investigator")
    sites = list(Site.objects.order_by("code"))
    slots = list(AllocationSlot.objects.order_by("sequence").values_list("pk", flat=True))
    protocol, rng = get_protocol(), random.Random(21)
    forms = {form.code: form for form in protocol.forms}
    for start in tqdm(range(0, participants, BATCH), desc="participants", unit="batch"):
        count = min(BATCH, participants - start)
        when = [START + dt.timedelta(hours=start + i) for i in range(count)]
        batch = Participant.objects.bulk_create([
            Participant(code=f"B-{start + i:06d}", site=sites[(start + i) % len(sites)],
                        eligible=True, created_at=when[i], created_by=user)
            for i in range(count)])
        Consent.objects.bulk_create([
            Consent(participant=p, consent_date=when[i].date(), form_version="1.0",
                    recorded_at=when[i], recorded_by=user) for i, p in enumerate(batch)])
        Randomization.objects.bulk_create([
            Randomization(participant=p, slot_id=slots[start + i], randomized_at=when[i],
                          randomized_by=user) for i, p in enumerate(batch)])
        AllocationSlot.objects.filter(pk__in=slots[start:start + count]).update(used=True)
        instances = []
        for i, participant in enumerate(batch):
            entries = [(visit.code, code, 1, visit.day) for visit in protocol.visits
                       for code in visit.forms]
            entries.append(("log", "concomitant_medication", 1, 0))
            if rng.random() < 1 / 3:
                entries.append(("log", "adverse_event", 1, rng.randrange(1, 20)))
            for visit, code, seq, day in entries:
                at = when[i] + dt.timedelta(days=day)
                values = {f.code: _value(f, rng, at.date()) for f in forms[code].fields}
                instances.append(FormInstance(
                    participant=participant, site_id=participant.site_id, visit=visit,
                    form=code, seq=seq, status="complete", values=values, created_at=at,
                    created_by=user, updated_at=at, updated_by=user))
        FormInstance.objects.bulk_create(instances, batch_size=2000)


def export(data_dir: Path, database: str | None, name: str) -> dict[str, float]:
    """One export job, as ``trialdesk export`` runs it; wall time and peak memory."""
    from trialdesk.web.bootstrap import setup_django

    setup_django(data_dir=data_dir, database=database)
    from trialdesk.web.exports.actions import do_start_export_from_command_line
    from trialdesk.web.exports.context import allocation_for
    from trialdesk.web.exports.formats import get_format
    from trialdesk.web.exports.jobs import run_job

    get_format(name).writer()  # the format's code is loaded before the clock starts
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = data_dir / f"out-{name}"
    start, cpu = time.perf_counter(), time.process_time()
    job = do_start_export_from_command_line(format_name=name, allocation=allocation_for(None))
    job = run_job(job.pk, out, archive=False, close=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if job is None or job.state != "done":
        raise SystemExit(f"{name}: {getattr(job, 'error', 'failed')}")
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    return {"files": len(job.files), "megabytes": size / 2**20, "seconds": seconds,
            "cpu_seconds": cpu, "peak_mb": peak, "baseline_mb": baseline}


def _child(arguments: list[str], database: str | None) -> subprocess.CompletedProcess:
    command = [sys.executable, __file__, *arguments]
    if database:
        command += ["--database", database]
    return subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", default="1000,10000")
    parser.add_argument("--formats", default="sdtm,adam,odm,csv,fhir")
    parser.add_argument("--database", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--build-only", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--export-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:  # a child process: the set-up (Django is set up once per process)
        data_dir, participants = args.build_only.split("::")
        build(Path(data_dir), args.database, int(participants))
        return
    if args.export_only:  # a child process: one export, its figures as JSON
        data_dir, name = args.export_only.split("::")
        print(json.dumps(export(Path(data_dir), args.database, name)))
        return
    for participants in (int(n) for n in args.participants.split(",")):
        with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
            started = time.perf_counter()
            built = _child(["--build-only", f"{folder}::{participants}"], args.database)
            if built.returncode != 0:
                raise SystemExit(built.stderr)
            print(f"set-up: {participants} participants in "
                  f"{time.perf_counter() - started:.0f} s (bulk inserts)")
            print(f"{'format':<14} {'files':>5} {'MB':>8} {'wall s':>8} {'CPU s':>8} "
                  f"{'peak MB':>8} {'start MB':>8}")
            for name in args.formats.split(","):
                run = _child(["--export-only", f"{folder}::{name}"], args.database)
                if run.returncode != 0:
                    print(f"{name:<14} failed: {run.stderr.strip().splitlines()[-1:]}")
                    continue
                figures = json.loads(run.stdout.strip().splitlines()[-1])
                print(f"{name:<14} {figures['files']:>5.0f} {figures['megabytes']:>8.1f} "
                      f"{figures['seconds']:>8.1f} {figures['cpu_seconds']:>8.1f} "
                      f"{figures['peak_mb']:>8.0f} "
                      f"{figures['baseline_mb']:>8.0f}", flush=True)
    print("goal: 10,000 participants to SDTM in < 60 s and < 1 GB")


if __name__ == "__main__":
    main()
