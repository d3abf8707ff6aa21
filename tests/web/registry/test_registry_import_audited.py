"""Registry imports are actions: one audit record per study created or updated, stating the
change (versions, last-update dates, the modules changed), stored together with it or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import fail_after_the_audit_record
from registry_testdata import make_study

from trialdesk.commands.registry import command
from trialdesk.standards.ctgov import Study as CtgovStudy
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.registry import actions as registry_actions
from trialdesk.web.registry.actions import do_import_studies, import_studies
from trialdesk.web.registry.models import Study, StudyVersion
from trialdesk.web.registry.store import Incoming

pytestmark = pytest.mark.django_db


def _study(nct_id: str, *, status: str = "RECRUITING", updated: str = "2024-01-02") -> dict:
    document = make_study(nct_id, f"Study {nct_id}", status=status)
    document["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {
        "date": updated, "type": "ACTUAL"}
    return document


def _incoming(*documents: dict) -> list[Incoming]:
    return [Incoming(CtgovStudy.model_validate(document), "test") for document in documents]


def _records() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(model="registry_study").order_by("seq"))


def _import(folder: Path, name: str, *documents: dict) -> dict:
    path = folder / name
    path.write_text(json.dumps({"studies": list(documents)}), encoding="utf-8")
    result = CliRunner().invoke(command, ["import", str(path), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_command_audits_each_study_it_creates_or_updates_with_the_change(tmp_path):
    first, second = _study("NCT94000001"), _study("NCT94000002")
    assert _import(tmp_path, "v1.json", first, second)["created"] == 2
    created = _records()
    assert [(r.actor, r.action, r.object_id) for r in created] == [
        ("cli", "import_study", "NCT94000001"), ("cli", "import_study", "NCT94000002")]
    assert created[0].changes == {
        "version": {"old": None, "new": 1},
        "last_update": {"old": None, "new": "2024-01-02"},
        "source": {"old": None, "new": str(tmp_path / "v1.json")},
    }

    changed = _study("NCT94000001", status="COMPLETED", updated="2024-06-30")
    assert _import(tmp_path, "v2.json", changed, second)["updated"] == 1
    [update] = _records()[2:]
    assert (update.actor, update.action, update.object_id) == ("cli", "import_study",
                                                               "NCT94000001")
    assert update.changes == {
        "version": {"old": 1, "new": 2},
        "last_update": {"old": "2024-01-02", "new": "2024-06-30"},
        "fields": {"old": None, "new": ["protocolSection.statusModule"]},
        "source": {"old": str(tmp_path / "v1.json"), "new": str(tmp_path / "v2.json")},
    }
    # the record states the change, not the record: the document is kept as a StudyVersion
    assert "document" not in json.dumps(update.changes)

    assert _import(tmp_path, "again.json", changed)["unchanged"] == 1
    assert len(_records()) == 3  # nothing written, nothing audited


def _stored() -> list[tuple]:
    return [(s.nct_id, s.version, json.dumps(s.document, sort_keys=True))
            for s in Study.objects.order_by("nct_id")]


def test_a_failure_after_the_audit_record_stores_nothing(monkeypatch):
    do_import_studies(actor="cli", incoming=_incoming(_study("NCT94000011")))
    before = (_stored(), StudyVersion.objects.count(), AuditRecord.objects.count())
    fail_after_the_audit_record(monkeypatch)
    with pytest.raises(RuntimeError, match="after the audit record"):
        do_import_studies(actor="cli", incoming=_incoming(
            _study("NCT94000011", status="COMPLETED"), _study("NCT94000012")))
    monkeypatch.undo()
    assert (_stored(), StudyVersion.objects.count(), AuditRecord.objects.count()) == before


def test_a_large_import_is_one_action_per_batch(monkeypatch):
    documents = [_study(f"NCT9400002{i}") for i in range(5)]
    seen = []
    summary = import_studies(actor="cli", incoming=_incoming(*documents), progress=seen.append,
                             batch=2)
    assert (seen, len(summary.created), len(_records())) == ([2, 2, 1], 5, 5)

    # a failure in the second batch keeps the first (with its audit records), stores no more
    more = [_study(f"NCT9400003{i}") for i in range(4)]
    calls = []
    original = registry_actions.store_studies

    def second_fails(incoming, **kwargs):
        calls.append(len(incoming))
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(incoming, **kwargs)

    monkeypatch.setattr(registry_actions, "store_studies", second_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        import_studies(actor="cli", incoming=_incoming(*more), batch=2)
    stored = set(Study.objects.filter(nct_id__startswith="NCT9400003")
                 .values_list("nct_id", flat=True))
    assert stored == {"NCT94000030", "NCT94000031"}
    assert {r.object_id for r in _records()} >= stored
    assert len(_records()) == 7
