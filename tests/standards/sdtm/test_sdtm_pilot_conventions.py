"""Our SDTM datasets against the conventions the CDISC pilot's own files show (CDISCPILOT01,
tests/data/cdiscpilot01/sdtm): the same names carry the same labels and types, in the same order;
what SDTMIG makes required is there in both; the fixed-width variables have the pilot's widths.

The pilot follows SDTMIG 3.1.2; three labels were renamed in SDTMIG 3.2 (which we follow, as 3.3
does): listed in ``RENAMED`` with their old text, so that any other difference fails."""

from __future__ import annotations

import pyreadstat
import pytest
from sdtm_sample import frames

from trialdesk.standards.sdtm.spec import REQ, SDTM_DATASETS
from trialdesk.standards.sdtm.xpt import write_xpt

DOMAINS = ("DM", "DS", "EX", "AE", "TA", "TS")
# variable -> (the pilot's SDTMIG 3.1.2 label, the SDTMIG 3.2+ label we write)
RENAMED = {
    "EXTRT": ("Name of Actual Treatment", "Name of Treatment"),
    "EXDOSE": ("Dose per Administration", "Dose"),
    "TAETORD": ("Order of Element within Arm", "Planned Order of Element within Arm"),
}
# one-character flags and codes, the two-letter domain, and 8-character codes: as the pilot
FIXED_WIDTH = {"DOMAIN": 2, "DTHFL": 1, "SEX": 1, "AESER": 1, "AESDTH": 1}
CODES_OF_EIGHT = ("ARMCD", "ACTARMCD", "TSPARMCD", "ETCD")


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sdtm")
    metas = {}
    for name, frame in frames().items():
        path = write_xpt(frame, SDTM_DATASETS[name], folder)
        metas[name] = pyreadstat.read_xport(str(path), metadataonly=True)[1]
    return metas


def _pilot(test_data, name: str, *, data: bool = False):
    frame, meta = pyreadstat.read_xport(
        str(test_data / "cdiscpilot01" / "sdtm" / f"{name.lower()}.xpt"), metadataonly=not data,
        encoding="latin1")  # the pilot's TS holds a Windows-1252 character
    return (frame, meta) if data else meta


@pytest.mark.parametrize("name", DOMAINS)
def test_shared_variables_have_the_pilots_labels_types_and_order(test_data, ours, name):
    pilot, mine = _pilot(test_data, name), ours[name]
    shared = [v for v in mine.column_names if v in pilot.column_names]
    assert len(shared) >= 5, shared
    # the same relative order (the IG's)
    assert shared == [v for v in pilot.column_names if v in shared]
    for variable in shared:
        theirs = pilot.column_names_to_labels[variable]
        label = mine.column_names_to_labels[variable]
        if variable in RENAMED:
            assert (theirs, label) == RENAMED[variable], variable
        else:
            assert label == theirs, variable
        assert (pilot.readstat_variable_types[variable] == "double") == (
            mine.readstat_variable_types[variable] == "double"), variable
    assert mine.table_name == pilot.table_name == name


@pytest.mark.parametrize("name", DOMAINS)
def test_the_required_variables_are_in_ours_and_in_the_pilots(test_data, ours, name):
    required = [v.name for v in SDTM_DATASETS[name].variables if v.core == REQ]
    assert set(required) <= set(ours[name].column_names)
    assert set(required) <= set(_pilot(test_data, name).column_names)
    # and in front of the others of their kind: identifiers first, as in the pilot
    assert ours[name].column_names[:2] == _pilot(test_data, name).column_names[:2]


@pytest.mark.parametrize("name", DOMAINS)
def test_fixed_widths_and_the_v5_limits_as_in_the_pilot(test_data, ours, name):
    values, pilot = _pilot(test_data, name, data=True)
    mine = ours[name]
    for variable, width in mine.variable_storage_width.items():
        assert width <= 200, variable
        if variable in FIXED_WIDTH and variable in pilot.column_names:
            assert width == pilot.variable_storage_width[variable] == FIXED_WIDTH[variable]
        if variable in CODES_OF_EIGHT:
            # (the pilot stores some in 200 bytes; its values are 8 characters at most)
            assert width <= 8
            if variable in values:
                assert values[variable].str.len().max() <= 8
        if mine.readstat_variable_types[variable] == "double":
            assert width == 8 == pilot.variable_storage_width.get(variable, 8)
    assert all(len(v) <= 8 for v in mine.column_names)
    assert all(len(label) <= 40 for label in mine.column_labels)
