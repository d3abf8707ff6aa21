"""Case report form load: a 10,000-participant trial, form save latency and the site worklist.

For each database (SQLite in WAL mode in a temporary data directory; PostgreSQL when a server URL
is given, in a fresh database dropped afterwards) a child process migrates, then builds the trial:

- sites, users and the committed allocation list through the real actions;
- the participants (screening record, consent, randomization taking the next slot of their
  stratum) and their case report forms by a documented BULK PATH: rows are built exactly as the
  actions build them (each form's values go through ``validate_form``, derived values included;
  confirmed soft-range values get their automatic query; every form gets a hash-chained audit
  record computed with ``record_hash``) and written with ``bulk_create``, because 10,000 x ~20
  single-row transactions would take an hour while measuring nothing new;
- randomization dates spread over the last 40 days, so participants are at every visit; 80% of
  the forms of past visits complete, 20% draft;
- then ANALYZE (and on SQLite a WAL checkpoint), as after any bulk restore.

Then it times, through Django's test client (full request: middleware, auth, ninja, templates):
form saves through the API (PUT; half edits of a complete form with a reason, half new forms),
the site worklist page of one site's coordinator and of the data manager (all sites), the
participant page, and the full export of one form (all pages of /api/v1/form-data).

    .venv/bin/python bench/crf_load.py --participants 10000 \
        --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "helpers"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "web"))
COMMAND = ".venv/bin/python bench/crf_load.py --participants {n} [--postgres URL]"
SITES = ("CO-01", "CO-02", "CO-03")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(values: list[float]) -> str:
    return (f"p50 {1000 * statistics.median(values):7.1f} ms   "
            f"p95 {1000 * _percentile(values, 0.95):7.1f} ms   (n={len(values)})")


# --- the child: one database --------------------------------------------------------------------

def _random_values(form, day: dt.date, rng: random.Random, outlier: bool) -> dict:
    """Plausible values for ``form`` (inside soft ranges), one pushed out when ``outlier``."""
    values = {}
    numeric = []
    for field in form.fields:
        if field.derived is not None:
            continue
        if field.type in ("integer", "decimal"):
            bounds = field.soft_range or field.range
            low = bounds.min if bounds and bounds.min is not None else 0
            high = bounds.max if bounds and bounds.max is not None else low + 100
            value = rng.uniform(low, high)
            values[field.code] = round(value) if field.type == "integer" else round(
                value, field.decimals if field.decimals is not None else 2)
            if field.soft_range and field.range:
                numeric.append(field)
        elif field.type == "choice":
            values[field.code] = rng.choice(field.choices).code
        elif field.type == "yesno":
            values[field.code] = rng.random() < 0.5
        elif field.type == "date":
            values[field.code] = day.isoformat()
        elif field.type == "datetime":
            values[field.code] = f"{day.isoformat()}T10:00"
        else:
            values[field.code] = "bench"
    if outlier and numeric:
        field = rng.choice(numeric)
        if field.range.max is not None and field.soft_range.max is not None \
                and field.range.max > field.soft_range.max:
            high = field.soft_range.max + (field.range.max - field.soft_range.max) / 2
            values[field.code] = round(high) if field.type == "integer" else high
    return values


def _clean_values(form, day: dt.date, rng: random.Random) -> dict:
    """Values that pass every rule of ``form`` without a warning (drawn again until they do)."""
    from trialdesk.protocol.validation import validate_form

    while True:
        values = _random_values(form, day, rng, False)
        checked = validate_form(form, values, complete=True)
        if not checked.errors and not checked.warnings:
            return values


def _build(n: int, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from eligible import ELIGIBLE_VALUES

    from trialdesk.eligibility import stratum_for
    from trialdesk.protocol.validation import validate_form
    from trialdesk.randomization import protocol_factors, stratum_key
    from trialdesk.web.accounts import actions as account_actions
    from trialdesk.web.capture.actions.forms import warning_code
    from trialdesk.web.capture.models import FormInstance, Query, QueryMessage
    from trialdesk.web.core.auditchain import GENESIS, record_hash
    from trialdesk.web.core.models import AuditRecord, Site
    from trialdesk.web.core.protocol import get_protocol
    from trialdesk.web.trials import actions
    from trialdesk.web.trials.models import (
        AllocationSlot,
        Consent,
        Participant,
        Randomization,
        ScreeningRecord,
        StratumCursor,
    )

    started = time.perf_counter()
    protocol = get_protocol()
    actions.do_load_sites(actor="bench")
    password = secrets.token_urlsafe(16)
    for site in SITES:
        account_actions.do_create_user(actor="bench", username=f"coordinator-{site.lower()}",
                               role="coordinator", site=site, password=password)
    account_actions.do_create_user(actor="bench", username="data_manager", role="data_manager",
                           site=None, password=password)
    actions.do_commit_allocation_list(actor="bench", seed=secrets.token_bytes(32),
                                      slots_per_stratum=n // 6 + 20)
    users = {u.username: u for u in get_user_model().objects.all()}
    sites = {s.code: s for s in Site.objects.all()}
    factors = protocol_factors(protocol)
    free: dict[str, list] = {}
    for slot in AllocationSlot.objects.order_by("sequence"):
        free.setdefault(slot.stratum, []).append(slot)
    now = timezone.now()
    today = now.date()
    people, screenings, consents, randomizations, used = [], [], [], [], []
    for index in range(n):
        site = SITES[index % 3]
        values = {**ELIGIBLE_VALUES, "pao2": 70 if index % 2 else 150}
        stratum = stratum_key(factors, stratum_for(protocol, site, values))
        person = Participant(code=f"{site}-{index // 3 + 1:05d}", site=sites[site], eligible=True,
                             created_at=now, created_by=users[f"coordinator-{site.lower()}"])
        people.append((person, values, stratum))
    Participant.objects.bulk_create([p for p, _, _ in people], batch_size=2000)
    by_code = dict(Participant.objects.values_list("code", "pk"))
    cursor: dict[str, int] = {}
    for person, values, stratum in people:
        person.pk = by_code[person.code]
        screenings.append(ScreeningRecord(
            participant=person, values=values, criteria=[], reasons=[], eligible=True,
            stratum=stratum, screened_at=now, screened_by=person.created_by))
        consents.append(Consent(participant=person, consent_date=today, form_version="1.0",
                                recorded_at=now, recorded_by=person.created_by))
        slot = free[stratum][cursor.get(stratum, 0)]
        cursor[stratum] = cursor.get(stratum, 0) + 1
        slot.used = True
        used.append(slot)
        randomizations.append(Randomization(
            participant=person, slot=slot, randomized_by=person.created_by,
            randomized_at=now - dt.timedelta(days=rng.randrange(0, 40), hours=rng.random())))
    ScreeningRecord.objects.bulk_create(screenings, batch_size=2000)
    Consent.objects.bulk_create(consents, batch_size=2000)
    AllocationSlot.objects.bulk_update(used, ["used"], batch_size=2000)
    Randomization.objects.bulk_create(randomizations, batch_size=2000)
    for stratum, count in cursor.items():
        StratumCursor.objects.filter(stratum=stratum).update(allocated=count)

    forms, audits, pending_queries = [], [], []
    last = AuditRecord.objects.order_by("-seq").values("seq", "hash").first()
    seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
    for randomization in randomizations:
        person = randomization.participant
        day0 = randomization.randomized_at.date()
        for visit in protocol.visits:
            if day0 + dt.timedelta(days=visit.day - visit.window_before) > today:
                continue
            for code in visit.forms:
                form = protocol.form(code)
                outlier = rng.random() < 0.02
                for _ in range(20):
                    raw = _random_values(form, day0 + dt.timedelta(days=max(visit.day, 0)), rng,
                                         outlier)
                    checked = validate_form(form, raw, complete=True,
                                            context={"randomization_date": day0})
                    if not checked.errors:
                        break
                confirm = {warning_code(w) for w in checked.warnings}
                checked = validate_form(form, raw, complete=True, confirmed=confirm,
                                        context={"randomization_date": day0})
                stored = {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v)
                          for k, v in checked.values.items()}
                instance = FormInstance(
                    participant=person, site_id=person.site_id, visit=visit.code, form=code,
                    seq=1, status="complete" if rng.random() < 0.8 else "draft", values=stored,
                    confirmed={c: stored.get(c) for c in confirm},
                    warnings=[{"field": w.field, "rule": w.rule, "message": w.message,
                               "confirmed": True} for w in checked.warnings],
                    created_at=now, created_by=person.created_by, updated_at=now,
                    updated_by=person.created_by)
                forms.append(instance)
                pending_queries.extend((instance, w) for w in checked.warnings)
                seq += 1
                fields = {"seq": seq, "at": now, "actor": person.created_by.username,
                          "action": "save_form", "model": "form_instance",
                          "object_id": f"{person.code}/{visit.code}/{code}/1",
                          "changes": {k: {"old": None, "new": v} for k, v in stored.items()},
                          "reason": "", "prev_hash": prev}
                prev = record_hash(fields)
                audits.append(AuditRecord(hash=prev, **fields))
    FormInstance.objects.bulk_create(forms, batch_size=5000)
    AuditRecord.objects.bulk_create(audits, batch_size=5000)
    queries = Query.objects.bulk_create([
        Query(form_instance=i, participant_id=i.participant_id, site_id=i.site_id, field=w.field,
              rule=w.rule, kind="auto", text=w.message, raised_at=now, raised_by=i.created_by,
              updated_at=now) for i, w in pending_queries], batch_size=5000)
    QueryMessage.objects.bulk_create([
        QueryMessage(query=q, at=now, actor=q.raised_by, action="raised", text=q.text)
        for q in queries], batch_size=5000)
    _settle()
    return {"participants": n, "forms": len(forms), "queries": len(queries),
            "audit_records": len(audits), "build_seconds": time.perf_counter() - started}


def _settle() -> None:
    """After the bulk load, what an operator does after a restore: refresh the planner's
    statistics and (SQLite) fold the write-ahead log back into the database, so the timings
    below measure the steady state rather than the bulk load's aftermath."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _measure(saves: int, rng: random.Random) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from trialdesk.web.accounts.actions import do_issue_api_token
    from trialdesk.web.capture.models import FormInstance
    from trialdesk.web.core.protocol import get_protocol

    protocol = get_protocol()
    users = {u.username: u for u in get_user_model().objects.all()}
    _, secret = do_issue_api_token(users["coordinator-co-01"], label="bench")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    completes = list(FormInstance.objects.filter(site__code="CO-01", status="complete",
                                                 form="vital_signs").select_related(
        "participant").order_by("?")[: saves // 2])
    codes = list(FormInstance.objects.filter(site__code="CO-01").values_list(
        "participant__code", flat=True).distinct()[:saves])
    medication = protocol.form("concomitant_medication")
    vitals = protocol.form("vital_signs")
    times = []
    for index in range(saves):
        if index % 2 and completes:
            instance = completes.pop()
            values = _clean_values(vitals, dt.date(2026, 1, 1), rng)
            path = (f"/api/v1/participants/{instance.participant.code}/visits/"
                    f"{instance.visit}/forms/vital_signs")
            body = {"values": values, "complete": True, "reason": "bench re-entry"}
        else:
            code = codes[index % len(codes)]
            values = _clean_values(medication, dt.date(2026, 1, 1), rng)
            path = (f"/api/v1/participants/{code}/visits/log/forms/concomitant_medication"
                    f"?seq={index + 1}")
            body = {"values": values, "complete": True}
        start = time.perf_counter()
        response = api.put(path, data=json.dumps(body), content_type="application/json")
        times.append(time.perf_counter() - start)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {response.status_code} {response.content[:300]!r}")

    def page_times(client: Client, path: str, repeat: int = 20) -> list[float]:
        client.get(path)  # warm: templates compiled, protocol loaded
        result = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path)
            result.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
        return result

    coordinator, manager = Client(), Client()
    coordinator.force_login(users["coordinator-co-01"],
                            backend="django.contrib.auth.backends.ModelBackend")
    manager.force_login(users["data_manager"], backend="django.contrib.auth.backends.ModelBackend")
    participant = codes[0]
    start = time.perf_counter()
    rows, after = 0, 0
    _, dm_secret = do_issue_api_token(users["data_manager"], label="bench")
    exporter = Client(headers={"Authorization": f"Bearer {dm_secret}"})
    while True:
        page = exporter.get("/api/v1/form-data", {"form": "respiratory", "after": after,
                                                   "limit": 5000}).json()
        rows += len(page["rows"])
        if page["next"] is None:
            break
        after = page["next"]
    export_seconds = time.perf_counter() - start
    return {
        "save": times,
        "worklist_site": page_times(coordinator, "/capture/worklist/"),
        "worklist_site_page_30": page_times(coordinator, "/capture/worklist/?page=30"),
        "worklist_all_sites": page_times(manager, "/capture/worklist/"),
        "participant_page": page_times(coordinator, f"/capture/participants/{participant}/"),
        "export_rows": rows, "export_seconds": export_seconds,
    }


def child(participants: int, saves: int, seed: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    built = _build(participants, rng)
    measured = _measure(saves, rng)
    print(json.dumps({**built, **measured}))


# --- the parent: one child per database ---------------------------------------------------------

def run(label: str, database: str | None, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(TRIALDESK_DATA_DIR=folder, DJANGO_SETTINGS_MODULE="trialdesk.web.settings")
        if database:
            env["DATABASE_URL"] = database
        result = subprocess.run(
            [sys.executable, __file__, "--child", "--participants", str(args.participants),
             "--saves", str(args.saves), "--seed", str(args.seed)],
            env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(f"{label} failed:\n{result.stderr[-4000:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n== {label}: {figures['participants']} participants, {figures['forms']} forms, "
          f"{figures['queries']} queries, {figures['audit_records']} audit records "
          f"(built in {figures['build_seconds']:.0f} s)")
    print(f"form save (API PUT)          {_ms(figures['save'])}   goal p95 < 50 ms")
    print(f"worklist, one site (page 1)  {_ms(figures['worklist_site'])}   goal < 300 ms")
    print(f"worklist, one site (page 30) {_ms(figures['worklist_site_page_30'])}")
    print(f"worklist, all sites (DM)     {_ms(figures['worklist_all_sites'])}")
    print(f"participant visits page      {_ms(figures['participant_page'])}")
    print(f"export of one form           {figures['export_rows']} rows in "
          f"{figures['export_seconds']:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--saves", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a fresh database is used)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.participants, args.saves, args.seed)
        return
    print("reproduce: " + COMMAND.format(n=args.participants))
    run("SQLite (WAL)", None, args)
    if args.postgres:
        from live_server import create_database, drop_database, postgres_database

        admin, url = postgres_database(args.postgres)
        create_database(admin, url)
        try:
            run("PostgreSQL", url, args)
        finally:
            drop_database(admin, url)


if __name__ == "__main__":
    main()
