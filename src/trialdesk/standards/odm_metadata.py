"""ODM 1.3.2 study metadata from the protocol: visits as StudyEventDefs, forms, one item group
per form, items with data types, units, range checks and code lists, derivations as MethodDefs;
one MetaDataVersion per recorded protocol version (``MDV.v1``, ``MDV.v2`` ...: the server's
numbers, since an amended file may keep its own ``version`` text).

The choices ODM leaves open are listed in ``standards.odm``; the OIDs are made here.
"""

from __future__ import annotations

import hashlib

from lxml import etree as ET

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.schema import Protocol
from trialdesk.standards.export_data import LOG_VISIT
from trialdesk.standards.protocol_versions import ProtocolVersion

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SPONSOR_LOCATION = "LOC.SPONSOR"
SYSTEM_USER = "USR.system"
LOG_EVENT = "SE.LOG"
YESNO_CODELIST = "CL.YESNO"
TEXT_LENGTH = 2000
CENSORED_LENGTH = 24


def study_oid(protocol: Protocol) -> str:
    return f"ST.{protocol.registry.nct_id}"


def metadata_oid(number: int) -> str:
    """The OID of the MetaDataVersion of the server's protocol version ``number``."""
    return f"MDV.v{number}"


def event_oid(visit: str) -> str:
    return LOG_EVENT if visit == LOG_VISIT else f"SE.{visit}"


def form_oid(form: str) -> str:
    return f"F.{form}"


def group_oid(form: str) -> str:
    return f"IG.{form}"


def item_oid(form: str, field: str) -> str:
    return f"IT.{form}.{field}"


def user_oid(username: str) -> str:
    return f"USR.{username}"


def location_oid(site: str | None) -> str:
    return f"LOC.{site}" if site else SPONSOR_LOCATION


def sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: v for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def translated(parent: ET.Element, tag: str, texts: dict[str, str]) -> ET.Element:
    element = sub(parent, tag)
    for language, text in texts.items():
        sub(element, "TranslatedText", text, **{XML_LANG: language})
    return element


# --- metadata ------------------------------------------------------------------------------------

def _log_forms(protocol: Protocol) -> list[Form]:
    listed = {code for visit in protocol.visits for code in visit.forms}
    return [form for form in protocol.forms if form.code not in listed]


def _data_type(field: FormField) -> str:
    if field.lloq is not None or field.uloq is not None:
        return "text"
    return {"integer": "integer", "decimal": "float", "text": "text", "date": "date",
            "datetime": "datetime", "choice": "text", "yesno": "integer"}[field.type]


def _units(protocols: list[Protocol]) -> list[str]:
    return sorted({field.unit for protocol in protocols for form in protocol.forms
                   for field in form.fields if field.unit})


def _unit_oid(unit: str) -> str:
    return "MU." + "".join(ch if ch.isalnum() else "_" for ch in unit) + f".{short_hash(unit)}"


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _range_checks(item: ET.Element, field: FormField) -> None:
    for bounds, softhard in ((field.range, "Hard"), (field.soft_range, "Soft")):
        if bounds is None:
            continue
        for comparator, limit in (("GE", bounds.min), ("LE", bounds.max)):
            if limit is not None:
                check = sub(item, "RangeCheck", Comparator=comparator, SoftHard=softhard)
                sub(check, "CheckValue", f"{limit:g}")
                if field.unit:
                    sub(check, "MeasurementUnitRef", MeasurementUnitOID=_unit_oid(field.unit))


def _item_def(mdv: ET.Element, form: Form, field: FormField) -> None:
    data_type = _data_type(field)
    attributes: dict[str, str] = {"OID": item_oid(form.code, field.code), "Name": field.code,
                                  "DataType": data_type}
    if data_type == "text":
        attributes["Length"] = str(CENSORED_LENGTH if field.lloq or field.uloq else TEXT_LENGTH)
        if field.type == "choice":
            attributes["Length"] = str(max(len(choice.code) for choice in field.choices))
    elif data_type == "integer":
        attributes["Length"] = "1" if field.type == "yesno" else "10"
    elif data_type == "float":
        attributes["Length"] = "16"
        if field.decimals is not None:
            attributes["SignificantDigits"] = str(field.decimals)
    if field.lloq is not None or field.uloq is not None:
        limits = [f"LLOQ {field.lloq:g}" if field.lloq else "", f"ULOQ {field.uloq:g}"
                  if field.uloq else ""]
        attributes["Comment"] = ("a number, or a result beyond the assay's limit written as "
                                 f"'<limit' or '>limit' ({', '.join(x for x in limits if x)})")
    if field.derived is not None:
        attributes["Origin"] = "Derived"
    item = sub(mdv, "ItemDef", **attributes)
    if field.help is not None:
        translated(item, "Description", field.help.translations)
    translated(item, "Question", field.label.translations)
    if field.unit:
        sub(item, "MeasurementUnitRef", MeasurementUnitOID=_unit_oid(field.unit))
    if data_type in ("integer", "float"):
        _range_checks(item, field)
    if field.type == "choice":
        sub(item, "CodeListRef", CodeListOID=f"CL.{form.code}.{field.code}")
    elif field.type == "yesno":
        sub(item, "CodeListRef", CodeListOID=YESNO_CODELIST)


def _code_lists(mdv: ET.Element, protocol: Protocol) -> None:
    for form in protocol.forms:
        for field in form.fields:
            if field.type != "choice":
                continue
            code_list = sub(mdv, "CodeList", OID=f"CL.{form.code}.{field.code}",
                             Name=field.code, DataType="text")
            for choice in field.choices:
                item = sub(code_list, "CodeListItem", CodedValue=choice.code)
                translated(item, "Decode", choice.label.translations)
    yesno = sub(mdv, "CodeList", OID=YESNO_CODELIST, Name="yesno", DataType="integer")
    for value, en, es in (("1", "Yes", "Sí"), ("0", "No", "No")):
        translated(sub(yesno, "CodeListItem", CodedValue=value), "Decode", {"en": en, "es": es})


def _method_text(field: FormField) -> str:
    derived = field.derived
    source = getattr(derived, "source", None)
    if source is not None:
        return f"computed from the form's fields: {source}"
    return f"derived by the rule {getattr(derived, 'rule', type(derived).__name__)} " \
           f"({derived!r})"


def _method_oid(form: Form, field: FormField) -> str:
    return f"MT.{form.code}.{field.code}"


def _metadata_version(study: ET.Element, version: ProtocolVersion) -> None:
    protocol = version.protocol
    mdv = sub(study, "MetaDataVersion", OID=metadata_oid(version.number),
               Name=f"Protocol version {version.number}",
               Description=f"{protocol.registry.nct_id} protocol version {version.number} "
                           f"(file version {protocol.version})")
    visits = sorted(protocol.visits, key=lambda visit: visit.day)
    log_forms = _log_forms(protocol)
    events = [(event_oid(visit.code), visit.title.translations, visit.forms, "Scheduled")
              for visit in visits]
    if log_forms:
        events.append((LOG_EVENT, {"en": "Log forms (any time)", "es": "Registros (en cualquier "
                                   "momento)"}, [form.code for form in log_forms], "Common"))
    order = sub(mdv, "Protocol")
    for number, (oid, _, _, _) in enumerate(events, start=1):
        sub(order, "StudyEventRef", StudyEventOID=oid, OrderNumber=str(number), Mandatory="No"
             if oid == LOG_EVENT else "Yes")
    for oid, titles, forms, kind in events:
        event = sub(mdv, "StudyEventDef", OID=oid, Name=titles["en"], Repeating="No", Type=kind)
        translated(event, "Description", titles)
        for number, code in enumerate(forms, start=1):
            sub(event, "FormRef", FormOID=form_oid(code), OrderNumber=str(number),
                 Mandatory="No" if kind == "Common" else "Yes")
    for form in protocol.forms:
        form_def = sub(mdv, "FormDef", OID=form_oid(form.code), Name=form.title.text("en"),
                        Repeating="Yes" if form.repeating else "No")
        translated(form_def, "Description", form.title.translations)
        sub(form_def, "ItemGroupRef", ItemGroupOID=group_oid(form.code), Mandatory="Yes")
    for form in protocol.forms:
        group = sub(mdv, "ItemGroupDef", OID=group_oid(form.code), Name=form.code,
                     Repeating="No")
        for number, field in enumerate(form.fields, start=1):
            attributes = {"ItemOID": item_oid(form.code, field.code), "OrderNumber": str(number),
                          "Mandatory": "Yes" if field.required else "No"}
            if field.derived is not None:
                attributes["MethodOID"] = _method_oid(form, field)
            sub(group, "ItemRef", **attributes)
    for form in protocol.forms:
        for field in form.fields:
            _item_def(mdv, form, field)
    _code_lists(mdv, protocol)
    for form in protocol.forms:
        for field in form.fields:
            if field.derived is not None:
                method = sub(mdv, "MethodDef", OID=_method_oid(form, field),
                              Name=f"{form.code}.{field.code}", Type="Computation")
                translated(method, "Description", {"en": _method_text(field)})


def study_element(protocol: Protocol, versions: list[ProtocolVersion] | None = None
                  ) -> ET.Element:
    """The ``Study`` element: global variables, units, one MetaDataVersion per protocol version
    (``versions``, oldest first; by default ``protocol`` alone as version 1)."""
    versions = versions or [ProtocolVersion(1, protocol)]
    study = ET.Element("Study", OID=study_oid(protocol))
    variables = sub(study, "GlobalVariables")
    sub(variables, "StudyName", protocol.registry.nct_id)
    sub(variables, "StudyDescription", protocol.registry.official_title.text("en"))
    sub(variables, "ProtocolName", f"{protocol.registry.nct_id} v{protocol.version}")
    units = _units([version.protocol for version in versions])
    if units:
        basic = sub(study, "BasicDefinitions")
        for unit in units:
            definition = sub(basic, "MeasurementUnit", OID=_unit_oid(unit), Name=unit)
            translated(definition, "Symbol", {"en": unit})
    for version in versions:
        _metadata_version(study, version)
    return study
