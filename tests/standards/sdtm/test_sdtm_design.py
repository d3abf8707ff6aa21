"""The trial design datasets from the bundled protocol (NCT04390152): its arms, elements, visits
and summary parameters, and a long summary value continued in TSVAL1... as SDTMIG 3.3 asks."""

from __future__ import annotations

from sdtm_sample import study

from trialdesk.standards.sdtm import design


def test_arms_elements_and_visits_come_from_the_protocol():
    ta = design.ta_rows(study())
    assert [(r["ARMCD"], r["TAETORD"], r["ETCD"], r["EPOCH"]) for r in ta] == [
        ("MSC", 1, "SCRN", "SCREENING"), ("MSC", 2, "MSC", "TREATMENT"),
        ("MSC", 3, "FU", "FOLLOW-UP"), ("STANDARD", 1, "SCRN", "SCREENING"),
        ("STANDARD", 2, "STANDARD", "TREATMENT"), ("STANDARD", 3, "FU", "FOLLOW-UP")]
    assert {r["ETCD"] for r in design.te_rows(study())} == {"SCRN", "MSC", "STANDARD", "FU"}
    # protocol days -1, 0, 1, 3, 7, 14, 28 -> SDTM study days (day 1 = randomization, no day 0)
    tv = design.tv_rows(study())
    assert [(r["VISITNUM"], r["VISITDY"]) for r in tv] == [
        (1, -1), (2, 1), (3, 2), (4, 4), (5, 8), (6, 15), (7, 29)]


def test_trial_summary_parameters():
    ts = {r["TSPARMCD"]: r["TSVAL"] for r in design.ts_rows(study())}
    assert ts["REGID"] == "NCT04390152" and ts["TPHASE"] == "PHASE I/II TRIAL"
    assert (ts["TBLIND"], ts["RANDOM"], ts["NARMS"], ts["PLANSUB"]) == (
        "DOUBLE BLIND", "Y", "2", "40")
    assert ts["SPONSOR"] == "BioXcellerator" and ts["STYPE"] == "INTERVENTIONAL"


def test_a_value_over_200_characters_goes_on_in_tsval1_cut_between_words():
    value = " ".join(f"word{n:03d}" for n in range(60))  # 479 characters
    parts = design._split(value)
    assert list(parts) == ["TSVAL", "TSVAL1", "TSVAL2"]
    assert all(len(p) <= 200 for p in parts.values())
    assert "".join(parts.values()) == value
    assert all(p.startswith(" ") for p in list(parts.values())[1:])  # cut before a word
