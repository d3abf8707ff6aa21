"""define.xml 2.1 of the sample datasets: valid against the Define-XML 2.1 schema (shipped in
standards/schemas, from CDISC via odmlib), describing each variable as written; a document
that breaks the schema is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import xmlschema
from sdtm_sample import frames, study

from trialdesk.standards.sdtm.define import DEF, ODM, validate_define, write_define
from trialdesk.standards.sdtm.spec import SDTM_DATASETS

NS = {"odm": ODM, "def": DEF}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("define")
    made = frames()
    path = write_define(study(), {n: (SDTM_DATASETS[n], f) for n, f in made.items()}, folder,
                        allocation="dummy")
    return path, made


def test_define_xml_is_valid_and_describes_every_variable_as_written(written):
    path, made = written
    validate_define(path)
    root = ET.parse(path).getroot()  # noqa: S314 - the file this test wrote
    assert root.get(f"{{{DEF}}}Context") == "Submission"
    version = root.find("odm:Study/odm:MetaDataVersion", NS)
    assert version.get(f"{{{DEF}}}DefineVersion") == "2.1.0"
    items = {item.get("OID"): item for item in version.findall("odm:ItemDef", NS)}
    for group in version.findall("odm:ItemGroupDef", NS):
        name = group.get("Name")
        refs = [ref.get("ItemOID") for ref in group.findall("odm:ItemRef", NS)]
        assert refs == [f"IT.{name}.{c}" for c in made[name].columns]
        assert group.find("def:leaf", NS).get("{http://www.w3.org/1999/xlink}href") == (
            f"{name.lower()}.xpt")
        assert group.find("def:Class", NS).get("Name") == SDTM_DATASETS[name].klass
        for column in made[name].columns:
            item = items[f"IT.{name}.{column}"]
            label = item.find("odm:Description/odm:TranslatedText", NS).text
            assert label == SDTM_DATASETS[name].variable(column).label
            if item.get("DataType") == "text":
                longest = max(len(v.encode()) for v in made[name][column]) or 1
                assert int(item.get("Length")) == max(longest, 1), (name, column)
    # the keys, in the specification's order
    dm = version.find("odm:ItemGroupDef[@Name='DM']", NS)
    keys = {r.get("ItemOID"): r.get("KeySequence") for r in dm.findall("odm:ItemRef", NS)}
    assert (keys["IT.DM.STUDYID"], keys["IT.DM.USUBJID"]) == ("1", "2")
    # the dummy allocation's arm variables say what they are
    assert items["IT.DM.ARM"].get(f"{{{DEF}}}CommentOID") == "COM.DUMMY"
    assert version.find("def:CommentDef[@OID='COM.DUMMY']", NS) is not None


def test_a_document_that_breaks_the_schema_is_refused(written, tmp_path):
    path, _ = written
    root = ET.parse(path).getroot()  # noqa: S314 - the file this test wrote
    del root.attrib[f"{{{DEF}}}Context"]  # required by Define-XML 2.1
    broken = tmp_path / "define.xml"
    ET.ElementTree(root).write(broken, encoding="UTF-8", xml_declaration=True)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate_define(broken)
