"""Every recorded protocol version's forms together, as the exports describe them (issue 17): a
field an amendment adds is there (after its neighbour), a field a later one removes stays with its
data, a changed range reads as amended, each item with the versions holding it; the CSV and ODM
writers then hold both versions' rows, each under its own version."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from lxml import etree as ET
from standards_export_sample import T0, sample_export

from trialdesk.protocol.loader import default_protocol_path, load_protocol, parse_protocol
from trialdesk.protocol.schema import Protocol
from trialdesk.standards.data_dictionary import write_form_csvs
from trialdesk.standards.export_data import FormChange, FormRecord, SubjectRecord
from trialdesk.standards.odm import ODM_NS, validate_odm, write_odm
from trialdesk.standards.protocol_versions import ProtocolVersion, versioned_forms

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "web" / "amendments"))
from amendment_kit import NEW_FIELD, NEW_PAO2_MAX, amended_text

REMOVED = "spo2"


def _without_spo2(protocol: Protocol) -> Protocol:
    forms = [form.model_copy(update={"fields": [f for f in form.fields if f.code != REMOVED]})
             if form.code == "vital_signs" else form for form in protocol.forms]
    return protocol.model_copy(update={"forms": forms})


def _versions() -> list[ProtocolVersion]:
    first = load_protocol(default_protocol_path())
    second = parse_protocol(amended_text(), file="<amendment>")
    return [ProtocolVersion(1, first), ProtocolVersion(2, second),
            ProtocolVersion(3, _without_spo2(second))]


def test_the_union_keeps_removed_fields_and_adds_new_ones_in_place():
    versions = _versions()
    described = versioned_forms(versions)
    vitals = described.form("vital_signs")
    codes = [field.code for field in vitals.fields]
    assert codes == [*(f.code for f in versions[0].protocol.form("vital_signs").fields),
                     NEW_FIELD]  # spo2 kept where it was, the new field last as added
    assert described.versions_of("vital_signs", REMOVED) == (1, 2)
    assert described.versions_of("vital_signs", NEW_FIELD) == (2, 3)
    assert described.versions_of("vital_signs", "heart_rate") == (1, 2, 3)
    assert described.form("respiratory").field("pao2").range.max == NEW_PAO2_MAX
    assert [visit.code for visit in described.visits][-2:] == ["day21", "day28"]
    assert described.numbers == (1, 2, 3) and described.amended


def _amended_export():
    """The sample export with a second participant's vital signs under each version: spo2 (removed
    in version 3) under version 1, the new weight under version 3."""
    export = sample_export()
    export.versions = _versions()
    old = FormRecord("day0", "vital_signs", 1, "complete", {"heart_rate": 90, REMOVED: 95},
                     changes=[FormChange(50, T0, "inv_co01", "", {"heart_rate": (None, 90),
                                                                   REMOVED: (None, 95)},
                                         (None, "complete"))])
    new = FormRecord("day7", "vital_signs", 1, "complete", {"heart_rate": 88, NEW_FIELD: 70.5},
                     protocol_version=3,
                     changes=[FormChange(51, T0, "inv_co01", "", {"heart_rate": (None, 88),
                                                                   NEW_FIELD: (None, 70.5)},
                                         (None, "complete"))])
    export.subjects = [*export.subjects,
                       SubjectRecord("CO-01-002", "CO-01", T0.date(), [old, new])]
    return export


def test_the_csv_holds_each_versions_rows_with_the_removed_and_the_added_field(tmp_path):
    write_form_csvs(_amended_export(), tmp_path)
    with (tmp_path / "forms" / "vital_signs.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["visit"]: row for row in csv.DictReader(handle)}
    assert (rows["day0"]["protocol_version"], rows["day0"][REMOVED], rows["day0"][NEW_FIELD]) == (
        "1", "95", "")
    assert (rows["day7"]["protocol_version"], rows["day7"][REMOVED], rows["day7"][NEW_FIELD]) == (
        "3", "", "70.5")
    with (tmp_path / "data_dictionary.csv").open(newline="", encoding="utf-8") as handle:
        notes = {row["Variable / Field Name"]: row["Field Annotation"]
                 for row in csv.DictReader(handle)}
    assert notes[REMOVED] == "in protocol versions 1, 2" and notes[NEW_FIELD] == (
        "in protocol versions 2, 3")


def test_odm_puts_each_form_under_its_versions_metadata(tmp_path):
    path = tmp_path / "amended.odm.xml"
    with path.open("wb") as out:
        write_odm(_amended_export(), out)
    assert validate_odm(path) == []
    root = ET.parse(str(path)).getroot()
    ns = {"odm": ODM_NS}
    assert [c.get("MetaDataVersionOID") for c in root.xpath("odm:ClinicalData", namespaces=ns)
            ] == ["MDV.v1", "MDV.v3"]  # no form captured under version 2: no ClinicalData
    under = {c.get("MetaDataVersionOID"): {i.get("ItemOID") for i in c.xpath(
        ".//odm:SubjectData[@SubjectKey='CO-01-002']//odm:ItemData", namespaces=ns)}
        for c in root.xpath("odm:ClinicalData", namespaces=ns)}
    assert f"IT.vital_signs.{REMOVED}" in under["MDV.v1"]
    assert under["MDV.v3"] == {"IT.vital_signs.heart_rate", f"IT.vital_signs.{NEW_FIELD}"}
