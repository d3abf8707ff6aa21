"""Our define.xml's code lists, normal ranges and vital signs' value-level metadata against the
conventions of the CDISC pilot's own define.xml (CDISCPILOT01, tests/data/cdiscpilot01/sdtm;
Define-XML 1.0 on ODM 1.2, whose names and namespaces differ from 2.1's, not its conventions):

- LB's reference range limits: text in original units, numbers in standard units;
- LBNRIND and SEX point at code lists holding the same terms (and decodes) in the same order;
- the arm codes' list decodes each code to the arm its DM rows pair it with;
- a vital sign's test code names the same test as in the pilot's value list."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pyreadstat
import pytest
from findings_sample import findings_frames
from sdtm_sample import study

from trialdesk.standards.sdtm.define import DEF, ODM, write_define
from trialdesk.standards.sdtm.spec import SDTM_DATASETS

PILOT = {"odm": "http://www.cdisc.org/ns/odm/v1.2", "def": "http://www.cdisc.org/ns/def/v1.0"}
OURS = {"odm": ODM, "def": DEF}
NUMBERS = ("integer", "float")


@pytest.fixture(scope="module")
def pilot(test_data):
    root = ET.parse(test_data / "cdiscpilot01" / "sdtm" / "define.xml").getroot()  # noqa: S314
    return root.find("odm:Study/odm:MetaDataVersion", PILOT)


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    made = findings_frames()
    path = write_define(study(), {n: (SDTM_DATASETS[n], f) for n, f in made.items()},
                        tmp_path_factory.mktemp("define"), allocation="dummy")
    return ET.parse(path).getroot().find("odm:Study/odm:MetaDataVersion", OURS)  # noqa: S314


def _item(version, oid: str, ns: dict):
    item = version.find(f"odm:ItemDef[@OID='{oid}']", ns)
    assert item is not None, oid
    return item


def _codelist(version, item_oid: str, ns: dict) -> list[tuple[str, str | None]]:
    ref = _item(version, item_oid, ns).find("odm:CodeListRef", ns)
    assert ref is not None, item_oid
    codelist = version.find(f"odm:CodeList[@OID='{ref.get('CodeListOID')}']", ns)
    return [(entry.get("CodedValue"), getattr(entry.find("odm:Decode/odm:TranslatedText", ns),
                                              "text", None)) for entry in codelist]


def test_reference_range_limits_are_text_in_original_units_numbers_in_standard(pilot, ours):
    for name, kinds in (("LBORNRLO", ("text",)), ("LBORNRHI", ("text",)),
                        ("LBSTNRLO", NUMBERS), ("LBSTNRHI", NUMBERS)):
        assert _item(pilot, f"LB.{name}", PILOT).get("DataType") in kinds, name
        assert _item(ours, f"IT.LB.{name}", OURS).get("DataType") in kinds, name


def test_lbnrind_and_sex_use_the_pilots_terms_in_its_order(pilot, ours):
    pilot_nrind = [code for code, _ in _codelist(pilot, "LB.LBNRIND", PILOT)]
    our_nrind = [code for code, _ in _codelist(ours, "IT.LB.LBNRIND", OURS)]
    assert our_nrind == [code for code in pilot_nrind if code in our_nrind]
    assert set(our_nrind) == {"LOW", "NORMAL", "HIGH"}
    assert _codelist(ours, "IT.DM.SEX", OURS) == _codelist(pilot, "DM.SEX", PILOT)


def test_the_arm_code_list_decodes_each_code_to_the_arm_dm_pairs_it_with(pilot, ours,
                                                                          test_data):
    dm, _ = pyreadstat.read_xport(str(test_data / "cdiscpilot01" / "sdtm" / "dm.xpt"))
    assert set(_codelist(pilot, "DM.ARMCD", PILOT)) == set(
        map(tuple, dm[["ARMCD", "ARM"]].drop_duplicates().values.tolist()))
    our_dm = findings_frames()["DM"]
    assert set(_codelist(ours, "IT.DM.ARMCD", OURS)) == set(
        map(tuple, our_dm[["ARMCD", "ARM"]].drop_duplicates().values.tolist()))


def test_a_vital_signs_test_code_names_the_same_test_as_the_pilots(pilot, ours):
    pilot_tests = {item.get("Name"): item.get(f"{{{PILOT['def']}}}Label")
                   for item in pilot.findall("odm:ItemDef", PILOT)
                   if item.get("OID").startswith("VS.VSTESTCD.")}
    our_tests = dict(_codelist(ours, "IT.VS.VSTESTCD", OURS))
    shared = set(pilot_tests) & set(our_tests)
    assert shared == {"DIABP", "PULSE", "SYSBP", "TEMP"}  # the vital signs the sample holds
    assert {code: our_tests[code] for code in shared} == {
        code: pilot_tests[code] for code in shared}
    # and the pilot's results of each are numbers, as ours are
    for code in shared:
        assert _item(pilot, f"VS.VSTESTCD.{code}", PILOT).get("DataType") in NUMBERS
        assert _item(ours, f"IT.VS.VSORRES.{code}", OURS).get("DataType") in NUMBERS
