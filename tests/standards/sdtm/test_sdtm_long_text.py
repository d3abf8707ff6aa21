"""Text over 200 bytes (SDTMIG 3.3 section 4.5.3.2): the first part stays in its variable, the
rest goes to SUPP-- records (QNAM AETERM1, AETERM2..., QLABEL the variable's label, IDVAR/IDVARVAL
the record's --SEQ); parts of at most 200 UTF-8 bytes, cut between words and never inside a
character; the parts read back from the XPT files and joined give the value back exactly."""

from __future__ import annotations

import dataclasses
import itertools
import xml.etree.ElementTree as ET

import pyreadstat
from sdtm_sample import DAY0, study, subjects

from trialdesk.standards.sdtm import design, form_domains, subject_domains
from trialdesk.standards.sdtm.arms import ArmCell
from trialdesk.standards.sdtm.define import DEF, ODM, validate_define, write_define
from trialdesk.standards.sdtm.frames import numbered, to_frame
from trialdesk.standards.sdtm.long_text import qualifier_name, split_text, supplemental_rows
from trialdesk.standards.sdtm.records import FormRecord
from trialdesk.standards.sdtm.spec import SDTM_DATASETS
from trialdesk.standards.sdtm.xpt import VALUE_MAX, write_xpt

NS = {"odm": ODM, "def": DEF}
_WORDS = ("Hipotensión ortostática grave con síncope y caída en el baño, tratada con líquidos "
          "intravenosos; señal revisada por el médico del ensayo, sin secuelas aparentes. ")
# 450 characters, 474 bytes; ends "médicos" (the AE builder strips blanks at the ends)
LONG_TERM = (_WORDS * 4)[:449] + "s"


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def test_a_long_accented_text_splits_between_words_in_parts_of_200_bytes_at_most():
    assert (len(LONG_TERM), _bytes(LONG_TERM)) == (450, 474)  # an accent takes 2 bytes
    parts = split_text(LONG_TERM)
    assert "".join(parts) == LONG_TERM
    assert all(_bytes(part) <= VALUE_MAX for part in parts)
    assert [_bytes(part) for part in parts] == [195, 198, 81]
    for part, following in itertools.pairwise(parts):
        # cut before a blank: the part ends a word, the next begins with the blank (kept)
        assert not part[-1].isspace() and following[0] == " "


def test_a_text_without_blanks_is_cut_between_characters_never_inside_one():
    accented = "é" * 150  # 300 bytes: 100 characters fit in 200 bytes
    assert split_text(accented) == ["é" * 100, "é" * 50]
    # "e" + combining acute (1 + 2 bytes): a base letter is not parted from its accent
    combined = "e\u0301" * 100
    parts = split_text(combined)
    assert "".join(parts) == combined and parts[0] == "e\u0301" * 66
    assert split_text("short") == ["short"]
    assert split_text("é" * 100) == ["é" * 100]  # exactly 200 bytes: stays whole


def test_the_qualifier_names_append_a_digit_within_eight_characters():
    assert [qualifier_name("AETERM", n) for n in (1, 2, 10)] == ["AETERM1", "AETERM2",
                                                                "AETERM10"]
    assert qualifier_name("AEDECOD", 1) == "AEDECOD1"
    assert qualifier_name("ACTARMCD", 1) == "ACTARMC1"


def _ae_frame():
    person = subjects()[0]
    events = [
        FormRecord(person.code, "log", "adverse_event", 1, {
            "ae_term": "Hypotension", "ae_onset_date": "2020-03-03"}, DAY0),
        FormRecord(person.code, "log", "adverse_event", 2, {
            "ae_term": LONG_TERM, "ae_decod": "Hypotension",
            "ae_onset_date": "2020-03-04"}, DAY0),
    ]
    rows = numbered(form_domains.ae_rows(study(), person, events), "AESEQ")
    return to_frame(SDTM_DATASETS["AE"], rows)


def test_ae_keeps_the_first_part_and_suppae_the_rest_read_back_and_joined_exactly(tmp_path):
    ae = _ae_frame()
    rest = supplemental_rows(ae, SDTM_DATASETS["AE"])
    suppae = to_frame(SDTM_DATASETS["SUPPAE"], rest)
    write_xpt(ae, SDTM_DATASETS["AE"], tmp_path)  # checked against the v5 limits first
    write_xpt(suppae, SDTM_DATASETS["SUPPAE"], tmp_path)
    ae_read, _ = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    supp_read, meta = pyreadstat.read_xport(str(tmp_path / "suppae.xpt"))
    assert meta.table_name == "SUPPAE"
    assert ae_read.at[0, "AETERM"] == "Hypotension"
    long_one = ae_read.iloc[1]
    assert _bytes(long_one["AETERM"]) <= VALUE_MAX and LONG_TERM.startswith(long_one["AETERM"])
    assert list(supp_read["QNAM"]) == ["AETERM1", "AETERM2"]
    assert set(supp_read["RDOMAIN"]) == {"AE"} and set(supp_read["IDVAR"]) == {"AESEQ"}
    assert set(supp_read["IDVARVAL"]) == {"2"} and long_one["AESEQ"] == 2
    assert set(supp_read["USUBJID"]) == {long_one["USUBJID"]}
    assert set(supp_read["QLABEL"]) == {"Reported Term for the Adverse Event"}
    assert set(supp_read["QORIG"]) == {"CRF"}
    assert long_one["AETERM"] + "".join(supp_read["QVAL"]) == LONG_TERM


def test_the_decoded_term_of_a_long_reported_term_goes_on_too(tmp_path):
    person = subjects()[0]
    event = FormRecord(person.code, "log", "adverse_event", 1, {"ae_term": LONG_TERM}, DAY0)
    ae = to_frame(SDTM_DATASETS["AE"], numbered(form_domains.ae_rows(study(), person, [event]),
                                                "AESEQ"))
    rest = supplemental_rows(ae, SDTM_DATASETS["AE"])
    assert [r["QNAM"] for r in rest] == ["AETERM1", "AETERM2", "AEDECOD1", "AEDECOD2"]
    decod = ae.at[0, "AEDECOD"] + "".join(r["QVAL"] for r in rest if r["QNAM"].startswith(
        "AEDECOD"))
    assert decod == LONG_TERM.upper()


def test_cm_name_and_indication_go_on_in_suppcm():
    person = subjects()[0]
    med = FormRecord(person.code, "log", "concomitant_medication", 1, {
        "cm_name": LONG_TERM, "cm_indication": LONG_TERM[:300]}, DAY0)
    cm = to_frame(SDTM_DATASETS["CM"], numbered(form_domains.cm_rows(study(), person, [med]),
                                                "CMSEQ"))
    rest = supplemental_rows(cm, SDTM_DATASETS["CM"])
    assert [r["QNAM"] for r in rest] == ["CMTRT1", "CMTRT2", "CMINDC1"]
    assert cm.at[0, "CMINDC"] + rest[2]["QVAL"] == LONG_TERM[:300]
    assert {r["IDVAR"] for r in rest} == {"CMSEQ"}


def test_define_xml_describes_suppae_and_validates(tmp_path):
    ae = _ae_frame()
    suppae = to_frame(SDTM_DATASETS["SUPPAE"], supplemental_rows(ae, SDTM_DATASETS["AE"]))
    path = write_define(study(), {"AE": (SDTM_DATASETS["AE"], ae),
                                  "SUPPAE": (SDTM_DATASETS["SUPPAE"], suppae)},
                        tmp_path, allocation="real")
    validate_define(path)
    text = path.read_text()
    assert 'Name="SUPPAE"' in text and 'Domain="AE"' in text and "suppae.xpt" in text
    assert 'OID="IT.SUPPAE.QVAL"' in text
    # QVAL's value-level metadata: one item a QNAM, chosen where QNAM equals it
    root = ET.parse(path).getroot()  # noqa: S314 - the file this test wrote
    version = root.find("odm:Study/odm:MetaDataVersion", NS)
    value_list = version.find("def:ValueListDef[@OID='VL.SUPPAE.QVAL']", NS)
    assert [r.get("ItemOID") for r in value_list.findall("odm:ItemRef", NS)] == [
        "IT.SUPPAE.QVAL.AETERM1", "IT.SUPPAE.QVAL.AETERM2"]
    clause = version.find("def:WhereClauseDef[@OID='WC.SUPPAE.QNAM.AETERM1']/odm:RangeCheck", NS)
    assert (clause.get(f"{{{DEF}}}ItemOID"), clause.find("odm:CheckValue", NS).text) == (
        "IT.SUPPAE.QNAM", "AETERM1")
    item = version.find("odm:ItemDef[@OID='IT.SUPPAE.QVAL.AETERM1']", NS)
    [first_rest] = suppae.loc[suppae["QNAM"] == "AETERM1", "QVAL"]
    assert item.get("Length") == str(_bytes(first_rest)) == "198"
    assert item.find("odm:Description/odm:TranslatedText", NS).text == (
        "Reported Term for the Adverse Event")
    qval = version.find("odm:ItemDef[@OID='IT.SUPPAE.QVAL']/def:ValueListRef", NS)
    assert qval.get("ValueListOID") == "VL.SUPPAE.QVAL"


def test_a_trial_summary_value_splits_by_bytes():
    parts = design._split(LONG_TERM)
    assert list(parts) == ["TSVAL", "TSVAL1", "TSVAL2"]
    assert all(_bytes(v) <= VALUE_MAX for v in parts.values())
    assert "".join(parts.values()) == LONG_TERM


def test_dm_has_no_sequence_its_suppdm_record_says_so_with_empty_idvar():
    person = dataclasses.replace(subjects()[0], arm=ArmCell("MSC", LONG_TERM))
    dm = to_frame(SDTM_DATASETS["DM"], [subject_domains.dm_row(study(), person, {})])
    rest = supplemental_rows(dm, SDTM_DATASETS["DM"])
    assert [r["QNAM"] for r in rest] == ["ARM1", "ARM2", "ACTARM1", "ACTARM2"]
    assert {(r["IDVAR"], r["IDVARVAL"], r["QORIG"]) for r in rest} == {("", "", "Assigned")}
    assert dm.at[0, "ARM"] + rest[0]["QVAL"] + rest[1]["QVAL"] == LONG_TERM
