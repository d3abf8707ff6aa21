"""The exports of `trialdesk demo`'s 40-participant trial: while locked and blinded, the analyst's
SDTM and ADaM files hold no real arm anywhere; after the final unblinding, `trialdesk analyze` on
the exported ADaM XPT files gives the final report's primary result (28-day mortality) and its
survival analysis, the XPT reads back equal to the CSV, and SDTM covers every domain."""

from __future__ import annotations

import json

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from trial_factory import FAST_HASHERS

from trialdesk.standards.sdtm.define import validate_define
from trialdesk.standards.sdtm.xpt import is_version_5
from trialdesk.web.exports import jobs
from trialdesk.web.exports.actions import do_start_export
from trialdesk.web.exports.context import allocation_for
from trialdesk.web.simulation import simulate_trial
from trialdesk.web.simulation.cast import find_cast
from trialdesk.web.trials.models import Randomization

pytestmark = pytest.mark.slow
REAL_LABELS = ("STANDARD THERAPY PLUS MSC", "STANDARD THERAPY ALONE")


def _export(actor, format_name: str, folder):
    job = do_start_export(actor, format_name=format_name, allocation=allocation_for(actor))
    done = jobs.run_job(job.pk, folder, archive=False, close=False)
    assert done is not None and done.state == "done", getattr(done, "error", None)
    return done


@pytest.fixture
def demo(db, settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    monkeypatch.setenv("TRIALDESK_DATA_DIR", str(tmp_path / "data"))
    blinded = {}

    def checkpoint(stage: str) -> None:
        if stage == "lock":  # locked, still blinded
            analyst = find_cast({}).analyst
            for name in ("sdtm", "adam"):
                blinded[name] = (_export(analyst, name, tmp_path / f"blinded-{name}"),
                                 tmp_path / f"blinded-{name}")

    result = simulate_trial(data_dir=tmp_path, participants=40, seed=7, stop_at="final",
                            checkpoint=checkpoint)
    return result, blinded, tmp_path


def _analyze(*arguments: str) -> dict:
    from trialdesk.commands.analyze import command

    outcome = CliRunner().invoke(command, [*arguments, "--json"])
    assert outcome.exit_code == 0, outcome.output
    return json.loads(outcome.output)


def test_demo_exports_blinded_then_equal_to_the_final_report(demo):
    from trialdesk.web.reports.views import report_context

    _, blinded, folder = demo
    # 1. blinded: the dummy allocation, labelled; no real arm's name in any subject-level file
    for name, (job, where) in blinded.items():
        assert job.allocation == "dummy", name
        for file in job.files:
            if file in ("ta.xpt", "te.xpt", "ts.xpt"):
                continue  # the trial design lists both arms, as the public registry does
            text = (where / file).read_bytes().decode("latin-1").upper()
            assert not any(label in text for label in REAL_LABELS), (name, file)
    dm, _ = pyreadstat.read_xport(str(blinded["sdtm"][1] / "dm.xpt"))
    assert set(dm["ARMCD"]) == {"DUMMY1", "DUMMY2"} and len(dm) == 40
    # 2. unblinded: the analyst's ADaM export carries the real arms
    analyst = find_cast({}).analyst
    adam = _export(analyst, "adam", folder / "adam")
    assert adam.allocation == "real"
    adsl_xpt = folder / "adam" / "adsl.xpt"
    assert is_version_5(adsl_xpt)
    validate_define(folder / "adam" / "define.xml")
    xpt, _ = pyreadstat.read_xport(str(adsl_xpt))
    csv = pd.read_csv(folder / "adam" / "adsl.csv", keep_default_na=False)
    assert list(xpt["USUBJID"]) == list(csv["USUBJID"])
    assert list(xpt["TRT01P"]) == list(csv["TRT01P"])
    assert xpt["DTH28FN"].fillna(-1).tolist() == pd.to_numeric(
        csv["DTH28FN"], errors="coerce").fillna(-1).tolist()
    # the report's primary result (28-day mortality) and survival from the XPT files
    sections = {s.key: s for s in report_context(analyst)["sections"]}
    mortality, survival = sections["mortality"].result, sections["survival"].result
    groups = ["--groups", mortality.a.label, "--groups", mortality.b.label]
    exported = _analyze("proportions", "--data", str(adsl_xpt), "--group", "TRT01A",
                        "--event", "DTH28FN", *groups)
    reported = mortality.to_dict()
    for key in ("a", "b", "risk_difference", "relative_risk", "odds_ratio", "test"):
        assert exported[key] == reported[key], key
    by_time = _analyze("survival", "--data", str(folder / "adam" / "adtte.xpt"), "--time",
                       "AVAL", "--censor", "CNSR", "--group", "TRT01P", "--at", "28", *groups)
    assert by_time["logrank"]["statistic"] == pytest.approx(survival.logrank.statistic, rel=1e-9)
    assert by_time["hazard_ratio"]["estimate"] == pytest.approx(
        survival.hazard_ratio.estimate, rel=1e-6)
    # 3. SDTM of the whole trial: every domain, EX naming the real treatments now
    sdtm = _export(analyst, "sdtm", folder / "sdtm")
    validate_define(folder / "sdtm" / "define.xml")
    frames = {f[:-4]: pyreadstat.read_xport(str(folder / "sdtm" / f))[0]
              for f in sdtm.files if f.endswith(".xpt")}
    for name in ("dm", "ds", "ex", "ae", "cm", "vs", "lb", "sv"):
        assert len(frames[name]) > 0, name
    arms = dict(Randomization.objects.values_list("participant__code", "slot__arm"))
    dm = frames["dm"]
    assert dict(zip(dm["SUBJID"], dm["ARMCD"], strict=True)) == {
        c: a.upper() for c, a in arms.items()}
    assert set(frames["ex"]["EXTRT"]) == {"MESENCHYMAL STEM CELLS (INTRAVENOUS)",
                                          "PLACEBO INFUSION (VEHICLE)"}
    lb = frames["lb"]
    below = lb[lb["LBORRES"].str.startswith("<")]
    assert len(below) > 0 and below["LBSTRESN"].isna().all()
    assert (below["LBORRES"] == below["LBSTRESC"]).all()
    deaths = frames["ds"][frames["ds"]["DSDECOD"] == "DEATH"]["USUBJID"]
    assert set(deaths) == set(dm.loc[dm["DTHFL"] == "Y", "USUBJID"])
