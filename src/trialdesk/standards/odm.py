"""CDISC ODM 1.3.2: the study metadata from the protocol and its clinical data with the audit trail
and signatures, as another EDC imports them.

The file is *Transactional* (ODM 1.3.2 section 2.9): every audited save of a form is one
``FormData`` whose changed items carry their ``TransactionType`` (Insert / Update / Remove) and an
``AuditRecord`` (user, site, time, reason, the audit trail's sequence number as ``SourceID``), in
the order they happened; a receiving system that applies them in order ends with the values the
form holds now. A signature is a ``FormData`` of ``TransactionType="Context"`` with its
``Signature`` (and an ``Annotation`` when it was voided), its meaning a ``SignatureDef``.

Modelling choices ODM leaves open:
- visits are ``StudyEventDef``s (scheduled, ordered by study day); the repeating forms no visit
  lists (adverse events, medications, ventilation episodes) belong to a ``Common`` event ``SE.LOG``;
- each form has one item group; a yes/no field is an integer with the code list 1 = Yes, 0 = No
  (as REDCap writes it); a field with assay limits is ``text`` so that ``<1.5`` is a value;
- a derived field's rule is a ``MethodDef`` (Computation) its ``ItemRef`` names.
- no allocation: the arm is randomization data, not case report form data, and ODM has no
  standard place for it, so this file carries none for any reader (blinding holds by omission).
- protocol amendments (issue 17): one ``MetaDataVersion`` per recorded protocol version, each
  whole, and one ``ClinicalData`` per version holding the forms captured under it, its
  ``MetaDataVersionOID`` naming that version; each site's ``Location`` lists a
  ``MetaDataVersionRef`` per version in force there, its ``EffectiveDate`` the day it came in
  force (the ethics approval, or the version's effective date if later). This is how ODM 1.3.2
  ties data to versioned metadata (ClinicalData names the MetaDataVersion that governs it; the
  schema allows any number of both) and what EDC exports that read and write it do (Oracle
  InForm Adapter: a form's data in the ClinicalData of the study version that defined it, one
  ClinicalData per version; the site's version approval date as EffectiveDate). A reader that
  follows the references reads every value with the definition it was entered under; one that
  reads only the first MetaDataVersion still reads a coherent file for the data before the
  amendment. A single union MetaDataVersion was the alternative: it cannot say which version a
  form was entered under (FormData has no version attribute) and would hold old forms to
  definitions they never had (a range narrowed later). Each version is written whole rather than
  by ``Include``: an Include cannot take away what an amendment removed. A subject whose forms
  span versions has a SubjectData in each ClinicalData: ``Insert`` in the first, ``Update``
  after.

Written with lxml one subject at a time (bounded memory);
``validate_odm`` checks a file against the ODM 1.3.2 schema odmlib ships (with libxml2).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from lxml import etree as ET

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.censored import censored_text, is_censored
from trialdesk.protocol.schema import Protocol
from trialdesk.standards.export_data import (
    FormChange,
    FormRecord,
    FormSignature,
    SubjectRecord,
    TrialExport,
    UserRecord,
)
from trialdesk.standards.odm_metadata import (
    ODM_NS,
    SYSTEM_USER,
    event_oid,
    form_oid,
    group_oid,
    item_oid,
    location_oid,
    metadata_oid,
    short_hash,
    study_element,
    study_oid,
    sub,
    user_oid,
)
from trialdesk.standards.protocol_versions import ProtocolVersion

# --- admin data ----------------------------------------------------------------------------------

def signature_def_oid(meaning: str) -> str:
    return f"SD.{short_hash(meaning)}"


def admin_element(export: TrialExport, meanings: Iterable[str]) -> ET.Element:
    """Users, locations (the sites and the sponsor) and one SignatureDef per signing meaning."""
    protocol = export.protocol
    admin = ET.Element("AdminData", StudyOID=study_oid(protocol))
    users: list[UserRecord] = [*export.users, UserRecord("system", "trialdesk", "system", None)]
    for user in users:
        element = sub(admin, "User", OID=user_oid(user.username), UserType="Other")
        sub(element, "LoginName", user.username)
        if user.full_name:
            sub(element, "FullName", user.full_name)
        sub(element, "Organization", user.role)
        sub(element, "LocationRef", LocationOID=location_oid(user.site))
    names = {site.code: site.name for site in protocol.sites}
    names.update({site.code: site.name for site in export.sites})
    start = protocol.earliest_date()
    first, *later = export.protocol_versions()
    for code, name, kind in [*((c, n, "Site") for c, n in names.items()),
                             ("", protocol.registry.sponsor, "Sponsor")]:
        location = sub(admin, "Location", OID=location_oid(code or None), Name=name,
                        LocationType=kind)
        # the versions the location works under, each from the date it came in force there
        dates = export.in_force_from.get(code, {})
        for number, since in [(first.number, start), *((v.number, dates.get(v.number))
                                                       for v in later)]:
            if since is not None:
                sub(location, "MetaDataVersionRef", StudyOID=study_oid(protocol),
                     MetaDataVersionOID=metadata_oid(number), EffectiveDate=since.isoformat())
    for meaning in sorted(set(meanings)):
        definition = sub(admin, "SignatureDef", OID=signature_def_oid(meaning),
                          Methodology="Electronic")
        sub(definition, "Meaning", meaning)
        sub(definition, "LegalReason", "21 CFR Part 11 electronic signature")
    return admin


# --- clinical data -------------------------------------------------------------------------------

def odm_value(field: FormField, value: Any) -> str:
    """A stored value as ODM writes it (yes/no as 1/0, censored results as ``<1.5``)."""
    if is_censored(value):
        return censored_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if field.type == "integer" and value.is_integer():
            return str(int(value))
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _audit(parent: ET.Element, user: str, site: str | None, at: dt.datetime, reason: str,
           source: int | None, user_site: dict[str, str | None]) -> ET.Element:
    record = sub(parent, "AuditRecord")
    sub(record, "UserRef", UserOID=user_oid(user) if user in user_site else SYSTEM_USER)
    sub(record, "LocationRef", LocationOID=location_oid(user_site.get(user, site)))
    sub(record, "DateTimeStamp", _timestamp(at))
    if reason:
        sub(record, "ReasonForChange", reason)
    if source is not None:
        sub(record, "SourceID", f"audit:{source}")
    return record


class UnknownForm(ValueError):
    """A participant's form the protocol does not define (ODM needs its metadata)."""


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _transaction(old: Any, new: Any) -> str:
    if new is None or new == "":
        return "Remove"
    return "Insert" if old is None or old == "" else "Update"


def _form_data(event: ET.Element, record: FormRecord, transaction: str) -> ET.Element:
    return sub(event, "FormData", FormOID=form_oid(record.form),
                FormRepeatKey=str(record.seq), TransactionType=transaction)


def _change(event: ET.Element, form: Form, record: FormRecord, change: FormChange, first: bool,
            site: str, user_site: dict[str, str | None]) -> None:
    form_data = _form_data(event, record, "Insert" if first else "Update")
    status = ""
    if change.status:
        old_status, new_status = change.status
        status = f"saved as {new_status}" if old_status is None else \
            f"status {old_status} -> {new_status}"
    _audit(form_data, change.user, site, change.at, change.reason or status, change.audit_seq,
           user_site)
    group = sub(form_data, "ItemGroupData", ItemGroupOID=group_oid(form.code),
                 TransactionType="Insert" if first else "Update")
    fields = {field.code: field for field in form.fields}
    template = None
    for code in (field.code for field in form.fields):  # the protocol's order
        if code not in change.values:
            continue
        old, new = change.values[code]
        transaction = _transaction(old, new)
        attributes = {"ItemOID": item_oid(form.code, code), "TransactionType": transaction}
        if transaction != "Remove":
            attributes["Value"] = odm_value(fields[code], new)
        item = sub(group, "ItemData", **attributes)
        if template is None:
            template = _audit(item, change.user, site, change.at, change.reason,
                              change.audit_seq, user_site)
        else:  # the same record on every item of the save: copied, not rebuilt (C speed)
            item.append(copy.deepcopy(template))


def _signature(event: ET.Element, record: FormRecord, signature: FormSignature, site: str,
               user_site: dict[str, str | None]) -> None:
    form_data = _form_data(event, record, "Context")
    element = sub(form_data, "Signature", ID=f"SIG.{signature.signature_id}")
    sub(element, "UserRef", UserOID=user_oid(signature.user) if signature.user in user_site
         else SYSTEM_USER)
    sub(element, "LocationRef", LocationOID=location_oid(user_site.get(signature.user, site)))
    sub(element, "SignatureRef", SignatureOID=signature_def_oid(signature.meaning))
    sub(element, "DateTimeStamp", _timestamp(signature.at))
    if signature.voided_at is not None:
        note = sub(form_data, "Annotation", SeqNum="1")
        sub(note, "Comment", f"signature SIG.{signature.signature_id} voided at "
                              f"{_timestamp(signature.voided_at)}"
                              f"{' by ' + signature.voided_by if signature.voided_by else ''}: "
                              f"{signature.void_reason}", SponsorOrSite="Site")


def _events(record: FormRecord) -> Iterator[tuple[dt.datetime, int, Any]]:
    for change in record.changes:
        yield change.at, 0, change
    for signature in record.signatures:
        yield signature.at, 1, signature


def subject_elements(export: TrialExport, subject: SubjectRecord,
                     user_site: dict[str, str | None]) -> list[tuple[int, ET.Element]]:
    """(version number, SubjectData) for each protocol version the subject's forms were captured
    under, oldest first: ``Insert`` in the first, ``Update`` after (a subject without forms has
    one, under the first version)."""
    versions = export.protocol_versions()
    known = {version.number: version for version in versions}
    by_number: dict[int, list[FormRecord]] = {}
    for record in subject.forms:
        if record.protocol_version not in known:  # never leave data out silently
            raise UnknownForm(f"{subject.code}: form {record.form!r} was captured under "
                              f"protocol version {record.protocol_version}, which the export "
                              "does not hold; the export stops rather than leave it out")
        by_number.setdefault(record.protocol_version, []).append(record)
    numbers = sorted(by_number) or [versions[0].number]
    return [(number, subject_element(export, subject, user_site, version=known[number],
                                     records=by_number.get(number, []),
                                     transaction="Insert" if index == 0 else "Update"))
            for index, number in enumerate(numbers)]


def subject_element(export: TrialExport, subject: SubjectRecord,
                    user_site: dict[str, str | None], *, version: ProtocolVersion | None = None,
                    records: list[FormRecord] | None = None,
                    transaction: str = "Insert") -> ET.Element:
    """One subject's transactions under one protocol version (by default the first, with every
    form): every save of every form, then its signatures, in time order."""
    version = version or export.protocol_versions()[0]
    protocol = version.protocol
    element = ET.Element("SubjectData", SubjectKey=subject.code, TransactionType=transaction)
    sub(element, "SiteRef", LocationOID=location_oid(subject.site))
    forms = {form.code: form for form in protocol.forms}
    order = {visit.code: visit.day for visit in protocol.visits}
    records = sorted(subject.forms if records is None else records,
                     key=lambda r: (order.get(r.visit, 10**6), r.visit, r.form, r.seq))
    current_visit, event = None, element
    for record in records:
        form = forms.get(record.form)
        if form is None:  # never leave data out silently
            raise UnknownForm(f"{subject.code}: form {record.form!r} is not in protocol version "
                              f"{version.number}; the export stops rather than leave it out")
        if record.visit != current_visit:
            event = sub(element, "StudyEventData", StudyEventOID=event_oid(record.visit),
                        TransactionType="Upsert")
            current_visit = record.visit
        replayed: dict[str, Any] = {}
        for _, _, item in sorted(_events(record), key=lambda event_: (event_[0], event_[1])):
            if isinstance(item, FormChange):
                _change(event, form, record, item, item is record.changes[0],
                        subject.site, user_site)
                for code, (_, new) in item.values.items():
                    replayed[code] = new
            else:
                _signature(event, record, item, subject.site, user_site)
        _reconcile(event, form, record, replayed, export.created_at)
    return element


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {code: value for code, value in values.items() if value is not None and value != ""}


def _reconcile(event: ET.Element, form: Form, record: FormRecord, replayed: dict[str, Any],
               at: dt.datetime) -> None:
    """Values no audited change accounts for (data stored before the audit trail held field
    changes): one last transaction by the system, so that replaying the file gives the form."""
    now, then = _present(record.values), _present(replayed)
    differing = [f for f in form.fields if now.get(f.code) != then.get(f.code)]
    if not differing:
        return
    form_data = _form_data(event, record, "Upsert")
    reason = "the value stored now; no audited change on record holds it"
    _audit(form_data, "system", None, at, reason, None, {})
    group = sub(form_data, "ItemGroupData", ItemGroupOID=group_oid(form.code),
                TransactionType="Upsert")
    for field in differing:
        attributes = {"ItemOID": item_oid(form.code, field.code)}
        if field.code in now:
            attributes.update(TransactionType="Upsert", Value=odm_value(field, now[field.code]))
        else:
            attributes["TransactionType"] = "Remove"
        item = sub(group, "ItemData", **attributes)
        _audit(item, "system", None, at, reason, None, {})


def write_odm(export: TrialExport, out: IO[bytes], *,
              on_subject: Callable[[SubjectRecord], None] | None = None,
              signature_meanings: Iterable[str] = ()) -> int:
    """Write the ODM file to ``out`` subject by subject; return the number of subjects.

    ``signature_meanings``: every meaning a signature may carry (their SignatureDefs come before
    the clinical data, which is read once)."""
    protocol = export.protocol
    created = _timestamp(export.created_at)
    user_site = {user.username: user.site for user in export.users}
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write((f'<ODM xmlns="{ODM_NS}" ODMVersion="1.3.2" FileType="Transactional" '
               f'Granularity="All" FileOID="ODM.{protocol.registry.nct_id}.{created}" '
               f'CreationDateTime="{created}" Originator="trialdesk" SourceSystem="trialdesk"'
               f'{_attr("SourceSystemVersion", export.source_version)} '
               f'Description="{protocol.registry.nct_id}: metadata and clinical data with audit '
               f'trail and signatures (no allocation)">\n').encode())
    versions = export.protocol_versions()
    out.write(ET.tostring(study_element(protocol, versions), encoding="utf-8") + b"\n")
    out.write(ET.tostring(admin_element(export, signature_meanings), encoding="utf-8") + b"\n")
    first, *later = (version.number for version in versions)
    out.write(_clinical_data_start(protocol, first))
    count = 0
    with ExitStack() as stack:
        # the later versions' ClinicalData follow the first's: their subjects wait in temporary
        # files (on disk, not in memory) until the subjects are read
        spools = {number: stack.enter_context(tempfile.TemporaryFile()) for number in later}
        for subject in export.subjects:
            for number, element in subject_elements(export, subject, user_site):
                target = out if number == first else spools[number]
                target.write(ET.tostring(element, encoding="utf-8") + b"\n")
            count += 1
            if on_subject is not None:
                on_subject(subject)
        out.write(b"</ClinicalData>\n")
        for number, spool in spools.items():
            if spool.tell() == 0:
                continue
            spool.seek(0)
            out.write(_clinical_data_start(protocol, number))
            shutil.copyfileobj(spool, out)
            out.write(b"</ClinicalData>\n")
    out.write(b"</ODM>\n")
    return count


def _clinical_data_start(protocol: Protocol, number: int) -> bytes:
    return (f'<ClinicalData StudyOID="{study_oid(protocol)}" '
            f'MetaDataVersionOID="{metadata_oid(number)}">\n').encode()


def _attr(name: str, value: str) -> str:
    from xml.sax.saxutils import quoteattr

    return f" {name}={quoteattr(value)}" if value else ""


SUBJECT_TAG = f"{{{ODM_NS}}}SubjectData"


def odm_schema_path() -> Path:
    """The ODM 1.3.2 schema (ODM1-3-2.xsd) as odmlib ships it (CDISC's published files)."""
    from odmlib.schema_manager import get_schema_path

    return Path(get_schema_path("odm", "1.3.2"))


def validate_odm(path: Path) -> list[str]:
    """Check ``path`` against the ODM 1.3.2 schema; return the problems (empty when valid).

    libxml2 (lxml) validates while it reads, one subject at a time: each SubjectData is dropped
    once read, so a file of any size validates in bounded memory."""
    try:
        for _, element in ET.iterparse(str(path), events=("end",), schema=_schema(),
                                       huge_tree=True):
            if element.tag == SUBJECT_TAG:
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except ET.XMLSyntaxError as error:
        return [str(error)]
    return []


_SCHEMA: list[Any] = []


def _schema() -> Any:
    if not _SCHEMA:
        _SCHEMA.append(ET.XMLSchema(ET.parse(str(odm_schema_path()))))
    return _SCHEMA[0]
