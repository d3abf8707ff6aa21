"""``trialdesk --language es demo`` (issue 19): the end summary and the stage names in Spanish.

The summary is printed from a simulation's result: here a made-up one (a real run is
tests/commands/test_demo_cli.py, in English), the audit chain's status given, not read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import click
import pytest

from trialdesk.commands import demo
from trialdesk.commands.language import META_KEY
from trialdesk.stats.analysis import two_proportions

COUNTS = {"screened": 12, "eligible": 10, "consented": 9, "randomized": 8, "completed": 5,
          "died": 2, "withdrew": 1, "lost": 0, "in_follow_up": 0}


def _result(folder: Path, stop_at: str, **counts: object) -> SimpleNamespace:
    outputs = {"report": folder / "report.html", "consort": folder / "consort.json",
               "forms/day0": folder / "exports" / "forms" / "day0.csv"}
    return SimpleNamespace(
        data_dir=folder, stop_at=stop_at, started=dt.datetime(2020, 1, 13, tzinfo=dt.UTC),
        ended=dt.datetime(2020, 9, 1, tzinfo=dt.UTC), first_randomization=dt.date(2020, 2, 1),
        last_randomization=dt.date(2020, 6, 30), not_randomized=1, counts={**COUNTS, **counts},
        users=[{"username": "coordinator-CO-01", "password": "s3cret-pass", "role":
                "coordinator", "site": "CO-01"}],
        commitment="ab" * 32, seconds={"setup": 1.25, "enrollment": 30.5, "lock": 2.0},
        outputs=outputs)


def _summary(language: str, result: SimpleNamespace, monkeypatch, capsys) -> str:
    monkeypatch.setattr(demo, "_audit_status", lambda: demo._("intact (%(count)d records)")
                        % {"count": 321})
    with click.Context(demo.command) as ctx:
        ctx.meta[META_KEY] = language
        demo._summary(result)
    return capsys.readouterr().out


def test_the_end_summary_in_spanish(tmp_path, monkeypatch, capsys):
    result = _result(tmp_path, "lock")
    english = _summary("en", result, monkeypatch, capsys)
    spanish = _summary("es", result, monkeypatch, capsys)
    assert "simulated trial in" in english and "wall-clock time" in english
    for heading in ("simulated trial in", "wall-clock time", "CONSORT: screened",
                    "analysis report", "audit trail", "demo users", "stopped at: lock"):
        assert heading not in spanish, heading
    assert f"ensayo simulado en {tmp_path} (detenido en: cierre)" in spanish
    assert "tiempo real: preparación 1,2 s, reclutamiento 30,5 s, cierre 2,0 s" in spanish
    assert "CONSORT: tamizados 12, elegibles 10, con consentimiento 9, aleatorizados 8 " \
           "(brazos enmascarados" in spanish
    assert "completaron 5, fallecieron 2, se retiraron 1" in spanish
    assert "pista de auditoría: íntegra (321 registros)" in spanish
    assert "s3cret-pass" in spanish  # names, passwords and paths as they are


@pytest.mark.parametrize(("stage", "spanish"), [
    ("setup", "preparación"), ("enrollment", "reclutamiento"), ("follow-up", "seguimiento"),
    ("lock", "cierre"), ("final", "final"), ("outputs", "resultados"), ("other", "other")])
def test_the_stage_names_in_spanish(stage, spanish):
    with click.Context(demo.command) as ctx:
        ctx.meta[META_KEY] = "es"
        assert demo.stage_name(stage) == spanish
        ctx.meta[META_KEY] = "en"
        assert demo.stage_name(stage) == stage


def test_the_primary_result_in_spanish():
    result = two_proportions(3, 10, 6, 10, label_a="Células", label_b="Control")
    with click.Context(demo.command) as ctx:
        ctx.meta[META_KEY] = "es"
        line = demo.primary_line(demo._("28-day mortality"), result)
    assert line.startswith("mortalidad a 28 días: Células: 3/10 (30%); Control: 6/10 (60%); "
                           "diferencia de riesgos -0,300 (IC 95% ")
    assert "risk difference" not in line and "0.3" not in line
