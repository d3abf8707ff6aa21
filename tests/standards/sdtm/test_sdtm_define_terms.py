"""define.xml 2.1's code lists and value-level metadata (issue 21), valid against the Define-XML
2.1 schema: coded variables point at a CodeList of the terms written (decoded where they have a
decode), the arm codes' list holds only the allocation the export carries (a blinded one never a
real arm code), LBNRIND's list and derivation are stated, the normal ranges' origin is the
protocol, and VSORRES/LBORRES are described a test code at a time (data type, length, decimals,
unit) by a ValueListDef whose WhereClauseDefs test --TESTCD and --ORRESU."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import xmlschema
from findings_sample import findings_frames
from sdtm_sample import study

from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.standards.sdtm.define import DEF, ODM, validate_define, write_define
from trialdesk.standards.sdtm.spec import SDTM_DATASETS

NS = {"odm": ODM, "def": DEF}
REAL = (ArmCell.real("msc", "Standard therapy plus MSC"),
        ArmCell.real("standard", "Standard therapy"),
        ArmCell.real("msc", "Standard therapy plus MSC"))


def _write(folder, arms=None, allocation="dummy"):
    made = findings_frames(arms)
    path = write_define(study(), {n: (SDTM_DATASETS[n], f) for n, f in made.items()}, folder,
                        allocation=allocation)
    return ET.parse(path).getroot().find("odm:Study/odm:MetaDataVersion", NS), path  # noqa: S314


@pytest.fixture(scope="module")
def dummy(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("dummy"))


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("real"), REAL, "real")


def _terms(version, oid: str) -> dict[str, str | None]:
    codelist = version.find(f"odm:CodeList[@OID='{oid}']", NS)
    assert codelist is not None, oid
    found = {}
    for item in codelist:
        decode = item.find("odm:Decode/odm:TranslatedText", NS)
        found[item.get("CodedValue")] = None if decode is None else decode.text
    return found


def _item(version, oid: str):
    item = version.find(f"odm:ItemDef[@OID='{oid}']", NS)
    assert item is not None, oid
    return item


def _codelist_of(version, oid: str) -> str | None:
    ref = _item(version, oid).find("odm:CodeListRef", NS)
    return None if ref is None else ref.get("CodeListOID")


def test_both_documents_are_valid_define_2_1(dummy, real):
    for _, path in (dummy, real):
        validate_define(path)


def test_coded_variables_point_at_their_code_lists(dummy):
    version, _ = dummy
    assert _codelist_of(version, "IT.DM.SEX") == "CL.SEX"
    assert _terms(version, "CL.SEX") == {"F": "Female", "M": "Male", "U": "Unknown"}
    assert _codelist_of(version, "IT.LB.LBNRIND") == "CL.NRIND"
    assert list(_terms(version, "CL.NRIND")) == ["LOW", "NORMAL", "HIGH"]
    # a test code decodes to its test's name, as the data pair them
    assert _codelist_of(version, "IT.LB.LBTESTCD") == "CL.LBTESTCD"
    labs = _terms(version, "CL.LBTESTCD")
    assert labs["CRP"] == "C Reactive Protein" and labs["IL6"] == "Interleukin 6"
    assert set(_terms(version, "CL.VSTESTCD")) == {"PULSE", "SYSBP", "DIABP", "TEMP"}
    # an uncoded variable has none
    assert _codelist_of(version, "IT.LB.LBORRES") is None


def test_a_blinded_define_lists_the_dummy_groups_and_no_real_arm(dummy, real):
    version, _ = dummy
    assert _codelist_of(version, "IT.DM.ARMCD") == "CL.ARMCD"
    arms = _terms(version, "CL.ARMCD")
    assert set(arms) == {"DUMMY1", "DUMMY2"}
    codelist = version.find("odm:CodeList[@OID='CL.ARMCD']", NS)
    assert codelist.get(f"{{{DEF}}}CommentOID") == "COM.DUMMY"
    assert all(label.startswith("DUMMY ALLOCATION GROUP") for label in arms.values())
    # no term, decode or where-clause value anywhere names a real arm
    real_arms = {"MSC", "STANDARD", "Standard therapy plus MSC", "Standard therapy"}
    values = {e.get("CodedValue") for e in version.iter() if e.get("CodedValue")}
    values |= {e.text for e in version.iter() if e.tag in (
        f"{{{ODM}}}TranslatedText", f"{{{ODM}}}CheckValue")}
    assert not values & real_arms
    # the real allocation's define lists the real arms, from the data
    real_version, _ = real
    assert _terms(real_version, "CL.ARMCD") == {"MSC": "Standard therapy plus MSC",
                                                "STANDARD": "Standard therapy"}
    codelist = real_version.find("odm:CodeList[@OID='CL.ARMCD']", NS)
    assert codelist.get(f"{{{DEF}}}CommentOID") is None


def test_the_normal_ranges_come_from_the_protocol_and_lbnrind_is_derived(dummy):
    version, _ = dummy
    for name, data_type in (("LBORNRLO", "text"), ("LBORNRHI", "text"), ("LBSTNRLO", "float"),
                            ("LBSTNRHI", "float")):
        item = _item(version, f"IT.LB.{name}")
        assert item.get("DataType") == data_type
        assert item.find("def:Origin", NS).get("Type") == "Protocol"
        assert item.get(f"{{{DEF}}}CommentOID") == "COM.LB.NORMALRANGE"
    comment = version.find("def:CommentDef[@OID='COM.LB.NORMALRANGE']", NS)
    assert "published source" in comment.find("odm:Description/odm:TranslatedText", NS).text
    assert _item(version, "IT.LB.LBNRIND").find("def:Origin", NS).get("Type") == "Derived"
    ref = version.find("odm:ItemGroupDef[@OID='IG.LB']/odm:ItemRef[@ItemOID='IT.LB.LBNRIND']",
                       NS)
    method = version.find(f"odm:MethodDef[@OID='{ref.get('MethodOID')}']", NS)
    assert method.get("Type") == "Computation"
    assert "LBSTRESN < LBSTNRLO" in method.find("odm:Description/odm:TranslatedText", NS).text


@pytest.mark.parametrize("domain,testcd,data_type,length,decimals,units", [
    ("LB", "CRP", "float", 5, "1", ["mg/L"]),
    ("LB", "FERRITIN", "integer", 3, None, ["ng/mL"]),
    ("LB", "IL6", "text", 4, None, ["pg/mL"]),  # "<1.5": character only
    ("LB", "LYM", "float", 4, "2", ["10^9/L"]),
    ("VS", "TEMP", "float", 4, "1", ["C"]),
    ("VS", "PULSE", "integer", 2, None, ["beats/min"]),
])
def test_each_result_is_described_a_test_code_at_a_time(dummy, domain, testcd, data_type,
                                                        length, decimals, units):
    version, _ = dummy
    result = _item(version, f"IT.{domain}.{domain}ORRES")
    values = result.find("def:ValueListRef", NS).get("ValueListOID")
    listed = version.find(f"def:ValueListDef[@OID='{values}']", NS)
    refs = {ref.get("ItemOID"): ref for ref in listed.findall("odm:ItemRef", NS)}
    ref = refs[f"IT.{domain}.{domain}ORRES.{testcd}"]
    item = _item(version, ref.get("ItemOID"))
    assert (item.get("Name"), item.get("DataType"), item.get("Length"),
            item.get("SignificantDigits")) == (f"{domain}ORRES", data_type, str(length),
                                               decimals)
    clause = version.find("def:WhereClauseDef[@OID='"
                          f"{ref.find('def:WhereClauseRef', NS).get('WhereClauseOID')}']", NS)
    checks = {check.get(f"{{{DEF}}}ItemOID"): (check.get("Comparator"), [
        value.text for value in check.findall("odm:CheckValue", NS)])
        for check in clause.findall("odm:RangeCheck", NS)}
    assert checks == {f"IT.{domain}.{domain}TESTCD": ("EQ", [testcd]),
                      f"IT.{domain}.{domain}ORRESU": ("EQ", units)}


def test_a_code_list_out_of_the_schemas_order_is_refused(dummy, tmp_path):
    _, path = dummy
    root = ET.parse(path).getroot()  # noqa: S314 - the file this test wrote
    version = root.find("odm:Study/odm:MetaDataVersion", NS)
    codelist = version.find("odm:CodeList", NS)
    version.remove(codelist)
    version.insert(2, codelist)  # before the ItemGroupDefs: not where Define-XML puts it
    broken = tmp_path / "define.xml"
    ET.ElementTree(root).write(broken, encoding="UTF-8", xml_declaration=True)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate_define(broken)
