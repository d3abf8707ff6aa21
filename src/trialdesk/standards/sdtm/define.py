"""define.xml 2.1 describing the datasets written: each dataset (class, structure, keys, file),
each variable (type, length from the data, label, origin), the code lists of coded variables and
the value-level metadata of SUPP--'s QVAL and of VS/LB's results (``define_terms``), validated
against the Define-XML 2.1 schema shipped in ``standards/schemas`` (:func:`validate_define`).

With the dummy allocation, the arm variables carry a comment saying so, and the arm codes' list
holds the dummy groups only (it is made from the data).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from trialdesk.standards.sdtm.common import Study, english
from trialdesk.standards.sdtm.define_terms import (
    FIXED,
    ResultFacts,
    Terms,
    coded_values,
    result_facts,
)
from trialdesk.standards.sdtm.spec import DATETIME, FLOAT, INTEGER, REQ, Dataset
from trialdesk.standards.sdtm.xpt import max_bytes

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "define" / "2.1" / "define2-1-0.xsd"
ARM_VARIABLES = ("ARMCD", "ARM", "ACTARMCD", "ACTARM", "TRT01P", "TRT01A")
DUMMY_COMMENT = ("Dummy allocation: made with the trial's procedure from its own seed, not the "
                 "trial's arms (the trial is blinded for the requester).")
_DERIVED = ("SEQ", "DY", "EPOCH", "VISITNUM", "VISITDY", "STRESC", "STRESN", "STRESU")
_ASSIGNED = ("STUDYID", "DOMAIN", "USUBJID", "SUBJID", "SITEID", "ARMCD", "ARM", "ACTARMCD",
             "ACTARM", "ARMNRS", "COUNTRY", "RDOMAIN", "IDVAR", "IDVARVAL", "QNAM", "QLABEL",
             "QORIG", "QEVAL")

# from the protocol, not collected: the normal ranges (each with its source in the protocol file)
_FROM_PROTOCOL = ("LBORNRLO", "LBORNRHI", "LBSTNRLO", "LBSTNRHI", "LBLLOQ")
NORMAL_RANGE_COMMENT = (
    "The normal range of healthy adults the protocol states for the test (by sex where it "
    "differs), each with its published source in the protocol; the range of the protocol version "
    "the result was captured under. Original and standard units are the same unit (no "
    "conversion). Empty for a test the protocol gives no range. LBLLOQ: the assay's lower limit "
    "of quantification the protocol states.")
NRIND_METHOD = (
    "LOW if LBSTRESN < LBSTNRLO, HIGH if LBSTRESN > LBSTNRHI, else NORMAL (the limits are "
    "normal). A result beyond a limit of quantification (LBSTRESC \"<1.5\", LBSTRESN empty) is "
    "classified only where its limit settles it (<1.5 against an upper limit of 7 is NORMAL; "
    "<5 against a lower limit of 2 is left empty). Empty where the test has no range.")

# QORIG as SUPP-- writes it -> define.xml's origin type
_QORIG = {"CRF": "Collected", "Assigned": "Assigned", "Protocol": "Protocol"}

ET.register_namespace("", ODM)
ET.register_namespace("def", DEF)
ET.register_namespace("xlink", XLINK)


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _description(parent: ET.Element, text: str) -> None:
    description = ET.SubElement(parent, _q(ODM, "Description"))
    ET.SubElement(description, _q(ODM, "TranslatedText"), {XML_LANG: "en"}).text = text


def _data_type(variable: Any, column: pd.Series | None, analysis: bool) -> str:
    if variable.type == INTEGER:
        return "integer"
    if variable.type == FLOAT:
        return "float"
    if variable.type == DATETIME:
        if analysis:
            return "integer"  # an ADaM date is a SAS date: days since 1960-01-01
        values = [] if column is None else [v for v in column if v]
        return "date" if values and all(len(v) == 10 for v in values) else "datetime"
    return "text"


def _length(column: pd.Series | None, data_type: str) -> int:
    if column is None or column.empty:
        return 1
    if data_type in ("integer", "float"):
        numbers = column.dropna()
        return max([len(f"{v:g}") for v in numbers] or [1])
    return max(1, max_bytes(column.astype(str)))


@dataclass(frozen=True)
class DatasetFacts:
    """What define.xml says of a written dataset's columns: its order, each one's data type
    and length (kept instead of the frame, so that a large dataset is freed once written)."""

    columns: tuple[str, ...]
    types: dict[str, str]
    lengths: dict[str, int | None]
    # SUPP--: (QNAM, QLABEL, longest QVAL in bytes, QORIG) of each qualifier: QVAL's value list
    qualifiers: tuple[tuple[str, str, int, str], ...] = ()
    # each coded variable's terms in the data (its code list)
    codes: dict[str, Terms] = field(default_factory=dict)
    # a Findings domain's --ORRES a test code at a time: its value-level metadata
    results: tuple[ResultFacts, ...] = ()


def dataset_facts(spec: Dataset, frame: pd.DataFrame) -> DatasetFacts:
    analysis = spec.standard == "ADaMIG"
    types, lengths = {}, {}
    for column in frame.columns:
        data_type = _data_type(spec.variable(column), frame[column], analysis)
        types[column] = data_type
        lengths[column] = (_length(frame[column], data_type)
                           if data_type in ("text", "integer", "float") else None)
    return DatasetFacts(tuple(frame.columns), types, lengths, _qualifiers(frame),
                        coded_values(spec, frame), result_facts(spec, frame))


def _qualifiers(frame: pd.DataFrame) -> tuple[tuple[str, str, int, str], ...]:
    if not {"QNAM", "QLABEL", "QVAL", "QORIG"} <= set(frame.columns) or frame.empty:
        return ()
    found = []
    for qnam, rows in frame.groupby("QNAM", sort=False):
        found.append((str(qnam), str(rows["QLABEL"].iloc[0]),
                      max(1, max_bytes(rows["QVAL"].astype(str))),
                      str(rows["QORIG"].iloc[0])))
    return tuple(found)


def _value_lists(version: ET.Element, facts: dict[str, DatasetFacts]) -> None:
    """QVAL's value-level metadata in each SUPP--: one item a QNAM, chosen where QNAM equals it;
    VS/LB's --ORRES: one item a test code, where --TESTCD equals it (ValueListDefs first, then
    WhereClauseDefs: the schema's order)."""
    for name, fact in facts.items():
        if fact.results:
            values = ET.SubElement(version, _q(DEF, "ValueListDef"),
                                   {"OID": f"VL.{name}.{name}ORRES"})
            for order, result in enumerate(fact.results, start=1):
                ref = ET.SubElement(values, _q(ODM, "ItemRef"), {
                    "ItemOID": f"IT.{name}.{name}ORRES.{result.testcd}",
                    "OrderNumber": str(order), "Mandatory": "No"})
                ET.SubElement(ref, _q(DEF, "WhereClauseRef"),
                              {"WhereClauseOID": f"WC.{name}.{name}TESTCD.{result.testcd}"})
        if fact.qualifiers:
            values = ET.SubElement(version, _q(DEF, "ValueListDef"), {"OID": f"VL.{name}.QVAL"})
            for order, (qnam, *_) in enumerate(fact.qualifiers, start=1):
                ref = ET.SubElement(values, _q(ODM, "ItemRef"), {
                    "ItemOID": f"IT.{name}.QVAL.{qnam}", "OrderNumber": str(order),
                    "Mandatory": "No"})
                ET.SubElement(ref, _q(DEF, "WhereClauseRef"),
                              {"WhereClauseOID": f"WC.{name}.QNAM.{qnam}"})
    for name, fact in facts.items():
        for result in fact.results:
            clause = ET.SubElement(version, _q(DEF, "WhereClauseDef"),
                                   {"OID": f"WC.{name}.{name}TESTCD.{result.testcd}"})
            _check(clause, f"IT.{name}.{name}TESTCD", (result.testcd,))
            if result.units:  # the unit the results are in, as the data hold it
                _check(clause, f"IT.{name}.{name}ORRESU", result.units)
        for qnam, *_ in fact.qualifiers:
            clause = ET.SubElement(version, _q(DEF, "WhereClauseDef"),
                                   {"OID": f"WC.{name}.QNAM.{qnam}"})
            check = ET.SubElement(clause, _q(ODM, "RangeCheck"), {
                "Comparator": "EQ", "SoftHard": "Soft", _q(DEF, "ItemOID"): f"IT.{name}.QNAM"})
            ET.SubElement(check, _q(ODM, "CheckValue")).text = qnam


def _check(clause: ET.Element, item: str, values: tuple[str, ...]) -> None:
    check = ET.SubElement(clause, _q(ODM, "RangeCheck"), {
        "Comparator": "EQ" if len(values) == 1 else "IN", "SoftHard": "Soft",
        _q(DEF, "ItemOID"): item})
    for value in values:
        ET.SubElement(check, _q(ODM, "CheckValue")).text = value


def _value_items(version: ET.Element, name: str, fact: DatasetFacts) -> None:
    for result in fact.results:
        attributes = {"OID": f"IT.{name}.{name}ORRES.{result.testcd}", "Name": f"{name}ORRES",
                      "DataType": result.data_type, "Length": str(result.length),
                      "SASFieldName": f"{name}ORRES"}
        if result.decimals is not None:
            attributes["SignificantDigits"] = str(result.decimals)
        item = ET.SubElement(version, _q(ODM, "ItemDef"), attributes)
        unit = f" ({', '.join(result.units)})" if result.units else ""
        _description(item, f"{result.test or result.testcd}{unit}")
        ET.SubElement(item, _q(DEF, "Origin"), {"Type": "Collected"})
    for qnam, label, length, origin in fact.qualifiers:
        item = ET.SubElement(version, _q(ODM, "ItemDef"), {
            "OID": f"IT.{name}.QVAL.{qnam}", "Name": qnam, "DataType": "text",
            "Length": str(length), "SASFieldName": qnam})
        _description(item, label)
        ET.SubElement(item, _q(DEF, "Origin"), {"Type": _QORIG.get(origin, "Derived")})


def _origin(dataset: Dataset, name: str) -> str:
    if dataset.klass == "TRIAL DESIGN":
        return "Protocol"
    if dataset.standard == "ADaMIG" and name not in ("STUDYID", "USUBJID", "SUBJID", "SITEID"):
        return "Derived"
    if name in _ASSIGNED:
        return "Assigned"
    if name in _FROM_PROTOCOL:
        return "Protocol"
    if name == "LBNRIND":
        return "Derived"
    if name.endswith(_DERIVED) or name in ("QVAL",):
        return "Derived"
    return "Collected"


Described = dict[str, tuple[Dataset, "pd.DataFrame | DatasetFacts"]]


def define_tree(study: Study, datasets: Described, *, allocation: str,
                created: dt.datetime | None = None) -> ET.ElementTree:
    """The define.xml document of ``datasets`` (name -> (spec, frame written or its facts))."""
    created = created or dt.datetime.now(dt.UTC)
    analysis = all(spec.standard == "ADaMIG" for spec, _ in datasets.values())
    root = ET.Element(_q(ODM, "ODM"), {
        "FileType": "Snapshot",
        "FileOID": f"DEFINE.{study.studyid}.{'ADAM' if analysis else 'SDTM'}",
        "ODMVersion": "1.3.2", "CreationDateTime": created.replace(microsecond=0).isoformat(),
        "Originator": "trialdesk", "SourceSystem": "trialdesk",
        _q(DEF, "Context"): "Submission"})
    study_element = ET.SubElement(root, _q(ODM, "Study"), {"OID": f"STUDY.{study.studyid}"})
    variables = ET.SubElement(study_element, _q(ODM, "GlobalVariables"))
    registry = study.protocol.registry
    ET.SubElement(variables, _q(ODM, "StudyName")).text = study.studyid
    ET.SubElement(variables, _q(ODM, "StudyDescription")).text = english(
        registry.brief_title)
    ET.SubElement(variables, _q(ODM, "ProtocolName")).text = study.studyid
    version = ET.SubElement(study_element, _q(ODM, "MetaDataVersion"), {
        "OID": "MDV.1", "Name": f"{study.studyid} {'ADaM' if analysis else 'SDTM'} datasets",
        "Description": f"allocation: {allocation}", _q(DEF, "DefineVersion"): "2.1.0"})
    standards = ET.SubElement(version, _q(DEF, "Standards"))
    ET.SubElement(standards, _q(DEF, "Standard"), {
        "OID": "STD.1", "Name": "ADaMIG" if analysis else "SDTMIG", "Type": "IG",
        "Version": "1.1" if analysis else "3.3", "Status": "Final"})
    items, comment = [], allocation == "dummy"
    all_facts = {name: written if isinstance(written, DatasetFacts) else dataset_facts(
        spec, written) for name, (spec, written) in datasets.items()}
    _value_lists(version, all_facts)
    for name, (spec, _) in datasets.items():
        facts = all_facts[name]
        group = ET.SubElement(version, _q(ODM, "ItemGroupDef"), {
            "OID": f"IG.{name}", "Name": name, "Repeating": "No" if name in (
                "DM", "ADSL") else "Yes", "IsReferenceData": "Yes" if spec.klass ==
            "TRIAL DESIGN" else "No", "SASDatasetName": name,
            "Purpose": "Analysis" if spec.standard == "ADaMIG" else "Tabulation",
            _q(DEF, "Structure"): spec.structure, _q(DEF, "StandardOID"): "STD.1",
            _q(DEF, "ArchiveLocationID"): f"LF.{name}"})
        if spec.standard != "ADaMIG":
            group.set("Domain", name[4:] if name.startswith("SUPP") else name)
        _description(group, spec.label)
        for order, column in enumerate(facts.columns, start=1):
            variable = spec.variable(column)
            attributes = {"ItemOID": f"IT.{name}.{column}", "OrderNumber": str(order),
                          "Mandatory": "Yes" if variable.core == REQ else "No"}
            if column in spec.keys:
                attributes["KeySequence"] = str(spec.keys.index(column) + 1)
            if name == "LB" and column == "LBNRIND":
                attributes["MethodOID"] = "MT.LB.LBNRIND"
            ET.SubElement(group, _q(ODM, "ItemRef"), attributes)
            items.append((name, spec, variable, facts))
        ET.SubElement(group, _q(DEF, "Class"), {"Name": spec.klass})
        leaf = ET.SubElement(group, _q(DEF, "leaf"), {
            "ID": f"LF.{name}", _q(XLINK, "href"): f"{name.lower()}.xpt"})
        ET.SubElement(leaf, _q(DEF, "title")).text = f"{name.lower()}.xpt"
    for name, spec, variable, facts in items:
        data_type = facts.types[variable.name]
        attributes = {"OID": f"IT.{name}.{variable.name}", "Name": variable.name,
                      "DataType": data_type, "SASFieldName": variable.name}
        if data_type in ("text", "integer", "float"):
            attributes["Length"] = str(facts.lengths[variable.name])
        if comment and variable.name in ARM_VARIABLES:
            attributes[_q(DEF, "CommentOID")] = "COM.DUMMY"
        if name == "LB" and variable.name in _FROM_PROTOCOL:
            attributes[_q(DEF, "CommentOID")] = "COM.LB.NORMALRANGE"
        if spec.standard == "ADaMIG" and variable.type == DATETIME:
            attributes[_q(DEF, "DisplayFormat")] = "DATE9."
        item = ET.SubElement(version, _q(ODM, "ItemDef"), attributes)
        _description(item, variable.label)
        if variable.name in facts.codes:
            ET.SubElement(item, _q(ODM, "CodeListRef"),
                          {"CodeListOID": f"CL.{variable.codelist}"})
        ET.SubElement(item, _q(DEF, "Origin"), {"Type": _origin(spec, variable.name)})
        if variable.name == "QVAL" and facts.qualifiers:
            ET.SubElement(item, _q(DEF, "ValueListRef"), {"ValueListOID": f"VL.{name}.QVAL"})
        if variable.name == f"{name}ORRES" and facts.results:
            ET.SubElement(item, _q(DEF, "ValueListRef"),
                          {"ValueListOID": f"VL.{name}.{name}ORRES"})
    for name, facts in all_facts.items():
        _value_items(version, name, facts)
    _code_lists(version, datasets, all_facts, dummy=comment)
    lab = all_facts.get("LB")
    if lab is not None and "LBNRIND" in lab.columns:
        method = ET.SubElement(version, _q(ODM, "MethodDef"), {
            "OID": "MT.LB.LBNRIND", "Name": "Reference range indicator",
            "Type": "Computation"})
        _description(method, NRIND_METHOD)
    if comment:
        note = ET.SubElement(version, _q(DEF, "CommentDef"), {"OID": "COM.DUMMY"})
        _description(note, DUMMY_COMMENT)
    if lab is not None and set(_FROM_PROTOCOL) & set(lab.columns):
        note = ET.SubElement(version, _q(DEF, "CommentDef"), {"OID": "COM.LB.NORMALRANGE"})
        _description(note, NORMAL_RANGE_COMMENT)
    return ET.ElementTree(root)


def _code_lists(version: ET.Element, datasets: Described, facts: dict[str, DatasetFacts], *,
                dummy: bool) -> None:
    """One CodeList a code list name, with the terms of every variable that uses it (EPOCH's
    in DS, EX, AE...): with decodes where some term has one, else as enumerated items. The arm
    codes of the dummy allocation say so, as their variables do."""
    merged: dict[str, dict[str, str]] = {}
    for name, (spec, _) in datasets.items():
        for column, terms in facts[name].codes.items():
            merged.setdefault(spec.variable(column).codelist or column, {}).update(terms)
    for codelist, terms in merged.items():
        element = ET.SubElement(version, _q(ODM, "CodeList"), {
            "OID": f"CL.{codelist}", "Name": codelist, "DataType": "text"})
        if dummy and codelist == "ARMCD":
            element.set(_q(DEF, "CommentOID"), "COM.DUMMY")
        decoded = any(code != decode for code, decode in terms.items())
        order = FIXED[codelist] if codelist in FIXED else sorted(terms.items())
        for rank, (code, _) in enumerate(order, start=1):
            if decoded:
                entry = ET.SubElement(element, _q(ODM, "CodeListItem"),
                                      {"CodedValue": code, "OrderNumber": str(rank)})
                decode = ET.SubElement(entry, _q(ODM, "Decode"))
                ET.SubElement(decode, _q(ODM, "TranslatedText"),
                              {XML_LANG: "en"}).text = terms[code]
            else:
                ET.SubElement(element, _q(ODM, "EnumeratedItem"),
                              {"CodedValue": code, "OrderNumber": str(rank)})


def write_define(study: Study, datasets: Described, folder: Path, *, allocation: str,
                 created: dt.datetime | None = None) -> Path:
    """Write ``define.xml`` into ``folder`` and check it against the schema."""
    path = folder / "define.xml"
    tree = define_tree(study, datasets, allocation=allocation, created=created)
    ET.indent(tree)
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    validate_define(path)
    return path


def validate_define(path: Path) -> None:
    """Raise ``xmlschema.XMLSchemaValidationError`` unless ``path`` is valid Define-XML 2.1."""
    _schema().validate(str(path))


_SCHEMA_CACHE: dict[str, Any] = {}


def _schema() -> Any:
    import xmlschema

    if "define" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["define"] = xmlschema.XMLSchema(str(SCHEMA))
    return _SCHEMA_CACHE["define"]
