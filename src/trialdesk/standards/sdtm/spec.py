"""The datasets trialdesk writes, described once: name, label, class, keys and, per variable, its
name, label, type and core status (SDTMIG 3.3 / ADaMIG 1.1), in the implementation guide's order.

The XPT writer takes the labels from here, the builders the order, define.xml everything. Labels
are the guides' own (the CDISC pilot's files write the same ones, which a test checks).
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT, INTEGER, FLOAT, DATETIME = "text", "integer", "float", "datetime"
REQ, EXP, PERM = "Req", "Exp", "Perm"


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: str = TEXT
    core: str = EXP
    codelist: str | None = None

    @property
    def numeric(self) -> bool:
        return self.type in (INTEGER, FLOAT)


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    klass: str
    structure: str
    keys: tuple[str, ...]
    variables: tuple[Variable, ...]
    standard: str = "SDTMIG"

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]


def _v(spec: str) -> Variable:
    """``"NAME|Label|type|core|codelist"`` (type, core and codelist optional)."""
    parts = spec.split("|")
    name, label = parts[0], parts[1]
    kind = parts[2] if len(parts) > 2 and parts[2] else TEXT
    core = parts[3] if len(parts) > 3 and parts[3] else EXP
    codelist = parts[4] if len(parts) > 4 and parts[4] else None
    return Variable(name, label, kind, core, codelist)


_IDS = ("STUDYID|Study Identifier||Req", "DOMAIN|Domain Abbreviation||Req",
        "USUBJID|Unique Subject Identifier||Req")
_VISIT = ("VISITNUM|Visit Number|float|Exp", "VISIT|Visit Name||Perm",
          "VISITDY|Planned Study Day of Visit|integer|Perm")


def _dataset(name: str, label: str, klass: str, structure: str, keys: str,
             *variables: str, standard: str = "SDTMIG") -> Dataset:
    return Dataset(name, label, klass, structure, tuple(keys.split(",")),
                   tuple(_v(v) for v in variables), standard)


DM = _dataset(
    "DM", "Demographics", "SPECIAL PURPOSE", "One record per subject", "STUDYID,USUBJID",
    *_IDS, "SUBJID|Subject Identifier for the Study||Req",
    "RFSTDTC|Subject Reference Start Date/Time|datetime", "RFENDTC|Subject Reference End "
    "Date/Time|datetime", "RFXSTDTC|Date/Time of First Study Treatment|datetime",
    "RFXENDTC|Date/Time of Last Study Treatment|datetime",
    "RFICDTC|Date/Time of Informed Consent|datetime",
    "RFPENDTC|Date/Time of End of Participation|datetime", "DTHDTC|Date/Time of Death|datetime",
    "DTHFL|Subject Death Flag|||NY", "SITEID|Study Site Identifier||Req",
    "AGE|Age|integer", "AGEU|Age Units|||AGEU", "SEX|Sex||Req|SEX",
    # the arm codes' list is made from the data: a blinded export's holds the dummy groups only
    "ARMCD|Planned Arm Code|||ARMCD", "ARM|Description of Planned Arm",
    "ACTARMCD|Actual Arm Code|||ARMCD", "ACTARM|Description of Actual Arm",
    "ARMNRS|Reason Arm and/or Actual Arm is Null", "COUNTRY|Country||Req",
    "DMDTC|Date/Time of Collection|datetime|Perm", "DMDY|Study Day of Collection|integer|Perm")

SV = _dataset(
    "SV", "Subject Visits", "SPECIAL PURPOSE", "One record per subject per actual visit",
    "STUDYID,USUBJID,VISITNUM", *_IDS[:2], "USUBJID|Unique Subject Identifier||Req",
    "VISITNUM|Visit Number|float|Req", "VISIT|Visit Name||Exp",
    "VISITDY|Planned Study Day of Visit|integer|Perm",
    "SVSTDTC|Start Date/Time of Visit|datetime|Exp", "SVENDTC|End Date/Time of Visit|datetime",
    "SVSTDY|Study Day of Start of Visit|integer|Perm")

DS = _dataset(
    "DS", "Disposition", "EVENTS", "One record per disposition status or protocol milestone per "
    "subject", "STUDYID,USUBJID,DSSEQ", *_IDS, "DSSEQ|Sequence Number|integer|Req",
    "DSTERM|Reported Term for the Disposition Event||Req",
    "DSDECOD|Standardized Disposition Term||Req", "DSCAT|Category for Disposition Event",
    "EPOCH|Epoch|||EPOCH", "DSDTC|Date/Time of Collection|datetime|Perm",
    "DSSTDTC|Start Date/Time of Disposition Event|datetime",
    "DSSTDY|Study Day of Start of Disposition Event|integer|Perm")

EX = _dataset(
    "EX", "Exposure", "INTERVENTIONS", "One record per constant dosing interval per subject",
    "STUDYID,USUBJID,EXTRT,EXSTDTC", *_IDS, "EXSEQ|Sequence Number|integer|Req",
    "EXTRT|Name of Treatment||Req", "EXDOSE|Dose|float", "EXDOSU|Dose Units",
    "EXDOSFRM|Dose Form", "EXROUTE|Route of Administration|||ROUTE", "EXLOT|Lot Number||Perm",
    *_VISIT, "EPOCH|Epoch|||EPOCH",
    "EXSTDTC|Start Date/Time of Treatment|datetime", "EXENDTC|End Date/Time of Treatment|datetime",
    "EXSTDY|Study Day of Start of Treatment|integer|Perm",
    "EXENDY|Study Day of End of Treatment|integer|Perm")

AE = _dataset(
    "AE", "Adverse Events", "EVENTS", "One record per adverse event per subject",
    "STUDYID,USUBJID,AEDECOD,AESTDTC", *_IDS, "AESEQ|Sequence Number|integer|Req",
    "AESPID|Sponsor-Defined Identifier||Perm",
    "AETERM|Reported Term for the Adverse Event||Req", "AEDECOD|Dictionary-Derived Term||Req",
    "AESER|Serious Event|||NY", "AEREL|Causality", "AEOUT|Outcome of Adverse Event|||OUT",
    "AETOXGR|Standard Toxicity Grade||Perm", "AESDTH|Results in Death||Perm|NY",
    "EPOCH|Epoch|||EPOCH", "AESTDTC|Start Date/Time of Adverse Event|datetime",
    "AEENDTC|End Date/Time of Adverse Event|datetime",
    "AESTDY|Study Day of Start of Adverse Event|integer|Perm",
    "AEENDY|Study Day of End of Adverse Event|integer|Perm")

CM = _dataset(
    "CM", "Concomitant/Prior Medications", "INTERVENTIONS",
    "One record per recorded medication occurrence per subject", "STUDYID,USUBJID,CMTRT,CMSTDTC",
    *_IDS, "CMSEQ|Sequence Number|integer|Req", "CMSPID|Sponsor-Defined Identifier||Perm",
    "CMTRT|Reported Name of Drug, Med, or Therapy||Req", "CMINDC|Indication||Perm",
    "CMROUTE|Route of Administration||Perm|ROUTE", "EPOCH|Epoch|||EPOCH",
    "CMSTDTC|Start Date/Time of Medication|datetime",
    "CMENDTC|End Date/Time of Medication|datetime",
    "CMSTDY|Study Day of Start of Medication|integer|Perm",
    "CMENDY|Study Day of End of Medication|integer|Perm")

VS = _dataset(
    "VS", "Vital Signs", "FINDINGS", "One record per vital sign measurement per time point per "
    "visit per subject", "STUDYID,USUBJID,VSTESTCD,VISITNUM", *_IDS,
    "VSSEQ|Sequence Number|integer|Req", "VSTESTCD|Vital Signs Test Short Name||Req|VSTESTCD",
    "VSTEST|Vital Signs Test Name||Req|VSTEST", "VSORRES|Result or Finding in Original Units",
    "VSORRESU|Original Units", "VSSTRESC|Character Result/Finding in Std Format",
    "VSSTRESN|Numeric Result/Finding in Standard Units|float", "VSSTRESU|Standard Units",
    "VSSTAT|Completion Status||Perm", *_VISIT, "EPOCH|Epoch|||EPOCH",
    "VSDTC|Date/Time of Measurements|datetime", "VSDY|Study Day of Vital Signs|integer|Perm")

LB = _dataset(
    "LB", "Laboratory Test Results", "FINDINGS", "One record per lab test per time point per visit "
    "per subject", "STUDYID,USUBJID,LBTESTCD,VISITNUM", *_IDS,
    "LBSEQ|Sequence Number|integer|Req",
    "LBTESTCD|Lab Test or Examination Short Name||Req|LBTESTCD",
    "LBTEST|Lab Test or Examination Name||Req|LBTEST", "LBCAT|Category for Lab Test",
    "LBORRES|Result or Finding in Original Units", "LBORRESU|Original Units",
    "LBORNRLO|Reference Range Lower Limit in Orig Unit", "LBORNRHI|Reference Range Upper Limit "
    "in Orig Unit", "LBSTRESC|Character Result/Finding in Std Format",
    "LBSTRESN|Numeric Result/Finding in Standard Units|float", "LBSTRESU|Standard Units",
    "LBSTNRLO|Reference Range Lower Limit-Std Units|float",
    "LBSTNRHI|Reference Range Upper Limit-Std Units|float",
    "LBNRIND|Reference Range Indicator|||NRIND", "LBLLOQ|Lower Limit of Quantitation|float|Perm",
    *_VISIT, "EPOCH|Epoch|||EPOCH", "LBDTC|Date/Time of Specimen Collection|datetime",
    "LBDY|Study Day of Specimen Collection|integer|Perm")

TA = _dataset(
    "TA", "Trial Arms", "TRIAL DESIGN", "One record per planned Element per Arm",
    "STUDYID,ARMCD,TAETORD", *_IDS[:2], "ARMCD|Planned Arm Code||Req",
    "ARM|Description of Planned Arm||Req", "TAETORD|Planned Order of Element within Arm|integer"
    "|Req", "ETCD|Element Code||Req", "ELEMENT|Description of Element||Perm",
    "TABRANCH|Branch", "TATRANS|Transition Rule", "EPOCH|Epoch||Req|EPOCH")

TE = _dataset(
    "TE", "Trial Elements", "TRIAL DESIGN", "One record per planned Element", "STUDYID,ETCD",
    *_IDS[:2], "ETCD|Element Code||Req", "ELEMENT|Description of Element||Req",
    "TESTRL|Rule for Start of Element||Req", "TEENRL|Rule for End of Element",
    "TEDUR|Planned Duration of Element||Perm")

TV = _dataset(
    "TV", "Trial Visits", "TRIAL DESIGN", "One record per planned Visit per Arm",
    "STUDYID,VISITNUM", *_IDS[:2], "VISITNUM|Visit Number|float|Req",
    "VISIT|Visit Name||Perm", "VISITDY|Planned Study Day of Visit|integer|Perm",
    "TVSTRL|Visit Start Rule||Req", "TVENRL|Visit End Rule")

TS = _dataset(
    "TS", "Trial Summary", "TRIAL DESIGN", "One record per trial summary parameter value",
    "STUDYID,TSPARMCD,TSSEQ", *_IDS[:2], "TSSEQ|Sequence Number|integer|Req",
    "TSPARMCD|Trial Summary Parameter Short Name||Req",
    "TSPARM|Trial Summary Parameter||Req", "TSVAL|Parameter Value||Exp",
    # a value over 200 characters goes on in TSVAL1, TSVAL2... (SDTMIG 3.3, TS assumptions)
    "TSVAL1|Parameter Value 1||Perm", "TSVAL2|Parameter Value 2||Perm",
    "TSVAL3|Parameter Value 3||Perm")



def supplemental(domain: str) -> Dataset:
    """SUPP-- of ``domain``: SUPPDM's qualifiers, and in any domain the rest of a text over 200
    bytes (``long_text``)."""
    return _dataset(
        f"SUPP{domain}", f"Supplemental Qualifiers for {domain}", "RELATIONSHIP",
        "One record per IDVAR, IDVARVAL, and QNAM value per subject",
        "STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM", "STUDYID|Study Identifier||Req",
        "RDOMAIN|Related Domain Abbreviation||Req", "USUBJID|Unique Subject Identifier||Req",
        "IDVAR|Identifying Variable", "IDVARVAL|Identifying Variable Value",
        "QNAM|Qualifier Variable Name||Req", "QLABEL|Qualifier Variable Label||Req",
        "QVAL|Data Value||Req", "QORIG|Origin||Req", "QEVAL|Evaluator")


SUPPDM = supplemental("DM")
# the subject-level domains that may hold a text over 200 bytes (SV gets SUPP-- in SDTMIG 3.4)
SUPPLEMENTED = ("DM", "DS", "EX", "AE", "CM", "VS", "LB")

SDTM_DATASETS: dict[str, Dataset] = {d.name: d for d in (
    DM, SUPPDM, SV, DS, EX, AE, CM, VS, LB, TA, TE, TV, TS,
    *(supplemental(domain) for domain in SUPPLEMENTED if domain != "DM"))}

ADSL = _dataset(
    "ADSL", "Subject-Level Analysis Dataset", "SUBJECT LEVEL ANALYSIS DATASET",
    "One record per subject", "STUDYID,USUBJID",
    "STUDYID|Study Identifier||Req", "USUBJID|Unique Subject Identifier||Req",
    "SUBJID|Subject Identifier for the Study||Req", "SITEID|Study Site Identifier||Req",
    "ARM|Description of Planned Arm||Req", "TRT01P|Planned Treatment for Period 01||Req",
    "TRT01A|Actual Treatment for Period 01||Req", "RANDDT|Date of Randomization|datetime",
    "ITTFL|Intent-To-Treat Population Flag||Cond", "SAFFL|Safety Population Flag||Cond",
    "DTHFL|Subject Death Flag||Perm", "DTHDT|Date of Death|datetime|Perm",
    "LSTALVDT|Date Last Known Alive|datetime|Perm",
    "DTH28FL|Death by Day 28 Flag||Perm", "DTH28FN|Death by Day 28 Flag (N)|integer|Perm",
    "VFD28|Ventilator-Free Days to Day 28|integer|Perm",
    "DATAUSE|Consent Allows Use of Data||Perm", standard="ADaMIG")

ADTTE = _dataset(
    "ADTTE", "Time-to-Event Analysis Dataset", "BASIC DATA STRUCTURE",
    "One record per subject per parameter", "STUDYID,USUBJID,PARAMCD",
    "STUDYID|Study Identifier||Req", "USUBJID|Unique Subject Identifier||Req",
    "SITEID|Study Site Identifier||Perm", "TRT01P|Planned Treatment for Period 01||Cond",
    "PARAMCD|Parameter Code||Req", "PARAM|Parameter||Req",
    "STARTDT|Time-to-Event Origin Date for Subject|datetime|Cond",
    "ADT|Analysis Date|datetime|Cond", "AVAL|Analysis Value|float|Cond",
    "CNSR|Censor|integer|Cond", "EVNTDESC|Event or Censoring Description||Perm",
    standard="ADaMIG")

ADAM_DATASETS: dict[str, Dataset] = {d.name: d for d in (ADSL, ADTTE)}
