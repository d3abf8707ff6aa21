"""LB's normal ranges as SDTMIG 3.3 writes them (issue 21): LBORNRLO/LBORNRHI as text in the
original unit, LBSTNRLO/LBSTNRHI as numbers in the standard unit (the same unit here), LBNRIND
LOW / NORMAL / HIGH; by sex where the protocol's range is; a result below the LLOQ classified only
where its limit settles it; the range of the protocol version each result was captured under; a
test without a range leaves them empty. The ranges are the bundled protocol's (their sources are
named in the protocol file and in tests/protocol/test_protocol_reference_ranges.py)."""

from __future__ import annotations

import math

import pandas as pd
import pyreadstat
import pytest
from findings_sample import findings_frames, lab_fields, people, records
from sdtm_sample import study

from trialdesk.standards.sdtm import form_domains
from trialdesk.standards.sdtm.frames import to_frame
from trialdesk.standards.sdtm.spec import SDTM_DATASETS
from trialdesk.standards.sdtm.xpt import write_xpt


@pytest.fixture(scope="module")
def lb() -> pd.DataFrame:
    return findings_frames()["LB"]


def _row(lb: pd.DataFrame, usubjid_end: str, testcd: str) -> pd.Series:
    rows = lb[lb["USUBJID"].str.endswith(usubjid_end) & (lb["LBTESTCD"] == testcd)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_lb_holds_the_reference_range_variables_in_the_guides_order(lb):
    names = list(lb.columns)
    expected = ["LBORRES", "LBORRESU", "LBORNRLO", "LBORNRHI", "LBSTRESC", "LBSTRESN", "LBSTRESU",
                "LBSTNRLO", "LBSTNRHI", "LBNRIND"]
    assert [n for n in names if n in expected] == expected


@pytest.mark.parametrize("person,testcd,low,high,indicator", [
    # CRP 120.5 mg/L against 0.08-3.1 (everyone)
    ("0001", "CRP", "0.08", "3.1", "HIGH"),
    # ferritin 300 ng/mL: a woman's range is 11-307 (NORMAL), a man's 24-336 (NORMAL)
    ("0001", "FERRITIN", "11", "307", "NORMAL"),
    ("0002", "FERRITIN", "24", "336", "NORMAL"),
    # D-dimer 500 ng/mL FEU at the upper limit: bounds are normal
    ("0001", "DDIMER", "", "500", "NORMAL"),
    # lymphocytes 0.62 x 10^9/L under 1.0-4.8
    ("0002", "LYM", "1", "4.8", "LOW"),
    # IL-6 <1.5 pg/mL (below the LLOQ) is surely under the upper limit of 7
    ("0001", "IL6", "", "7", "NORMAL"),
])
def test_each_result_is_placed_against_its_range(lb, person, testcd, low, high, indicator):
    row = _row(lb, person, testcd)
    assert (row["LBORNRLO"], row["LBORNRHI"], row["LBNRIND"]) == (low, high, indicator)
    # the standard-unit limits are the same numbers (no conversion), as numbers
    for text, number in ((low, row["LBSTNRLO"]), (high, row["LBSTNRHI"])):
        assert (math.isnan(number) if text == "" else number == float(text))


def test_below_the_lloq_the_result_stays_character_with_its_limit(lb):
    row = _row(lb, "0001", "IL6")
    assert (row["LBORRES"], row["LBSTRESC"], row["LBLLOQ"]) == ("<1.5", "<1.5", 1.5)
    assert math.isnan(row["LBSTRESN"])


def test_a_test_without_a_range_and_a_sex_without_one_leave_the_variables_empty(lb):
    for person, testcd in (("0001", "IL1B"), ("0002", "TNFA"), ("0003", "FERRITIN")):
        row = _row(lb, person, testcd)
        assert (row["LBORNRLO"], row["LBORNRHI"], row["LBNRIND"]) == ("", "", ""), testcd
        assert math.isnan(row["LBSTNRLO"]) and math.isnan(row["LBSTNRHI"])
    # the unknown sex still gets the ranges that hold for everyone
    assert _row(lb, "0003", "CRP")["LBNRIND"] == "HIGH"


def test_each_result_gets_the_range_of_the_protocol_version_it_was_captured_under():
    protocol = study().protocol
    amended = dict(lab_fields())
    crp = amended["crp"]
    amended["crp"] = crp.model_copy(update={"reference_range": crp.reference_range.model_copy(
        update={"high": 150.0})})
    woman = people()[0]
    forms = [*records(woman, version=1)[1:2], *records(woman, version=2)[1:2]]
    rows = form_domains.lb_rows(study(), woman, forms, lab_fields(),
                                {1: lab_fields(), 2: amended})
    crp_rows = [r for r in rows if r["LBTESTCD"] == "CRP"]
    assert [(r["LBORNRHI"], r["LBNRIND"]) for r in crp_rows] == [("3.1", "HIGH"),
                                                                 ("150", "NORMAL")]
    assert protocol.form("laboratory").field("crp").reference_range.high == 3.1  # unchanged


def test_the_ranges_read_back_from_the_transport_file_as_text_and_numbers(lb, tmp_path):
    path = write_xpt(to_frame(SDTM_DATASETS["LB"], lb.to_dict("records")), SDTM_DATASETS["LB"],
                     tmp_path)
    back, meta = pyreadstat.read_xport(str(path))
    assert meta.readstat_variable_types["LBORNRLO"] == "string"
    assert meta.readstat_variable_types["LBSTNRLO"] == "double"
    assert list(back["LBNRIND"]) == list(lb["LBNRIND"])
    assert list(back["LBORNRHI"]) == list(lb["LBORNRHI"])
    pd.testing.assert_series_equal(back["LBSTNRHI"], lb["LBSTNRHI"], check_names=False)
