"""SAS transport v5: what is written reads back equal (pyreadstat, and R's haven where
installed), the header says version 5, and a name, label or value over a v5 limit is refused
naming the dataset, the variable and the row (pyreadstat writes them without complaint)."""

from __future__ import annotations

import math
import shutil
import subprocess

import pandas as pd
import pyreadstat
import pytest
from sdtm_sample import frames

from trialdesk.standards.sdtm.spec import SDTM_DATASETS, Dataset, Variable
from trialdesk.standards.sdtm.xpt import VALUE_MAX, XportLimitError, is_version_5, write_xpt


def _equal(written: pd.DataFrame, read: pd.DataFrame) -> None:
    assert list(read.columns) == list(written.columns)
    for column in written.columns:
        for ours, theirs in zip(written[column], read[column], strict=True):
            if isinstance(ours, float) and math.isnan(ours):
                assert theirs is None or math.isnan(theirs), column
            else:
                assert ours == theirs, column


@pytest.mark.parametrize("name", ["DM", "DS", "EX", "AE", "TA", "TS"])
def test_a_dataset_reads_back_equal_and_says_version_5(tmp_path, name):
    frame = frames()[name]
    path = write_xpt(frame, SDTM_DATASETS[name], tmp_path)
    assert is_version_5(path)
    assert path.read_bytes()[:80].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")
    read, meta = pyreadstat.read_xport(str(path))
    _equal(frame, read)
    assert meta.table_name == name
    assert meta.column_labels == [SDTM_DATASETS[name].variable(c).label for c in frame.columns]


def test_a_version_8_file_is_told_apart(tmp_path):
    path = tmp_path / "v8.xpt"
    pyreadstat.write_xport(pd.DataFrame({"A": ["x"]}), str(path), file_format_version=8)
    assert not is_version_5(path)


_SPEC = Dataset("XX", "Test", "EVENTS", "One record", ("STUDYID",),
                (Variable("STUDYID", "Study Identifier"), Variable("XXTERM", "Term")))


def test_a_value_over_200_bytes_is_refused_naming_dataset_variable_and_row(tmp_path):
    frame = pd.DataFrame({"STUDYID": ["S1", "S1", "S1"],
                          "XXTERM": ["short", "x" * VALUE_MAX, "é" * 101]})  # 202 bytes
    with pytest.raises(XportLimitError) as refused:
        write_xpt(frame, _SPEC, tmp_path)
    assert (refused.value.dataset, refused.value.variable, refused.value.row) == ("XX", "XXTERM", 3)
    assert str(refused.value).startswith("dataset XX, variable XXTERM, row 3: ")
    assert not (tmp_path / "xx.xpt").exists()


def test_a_long_name_or_label_is_refused(tmp_path):
    frame = pd.DataFrame({"STUDYID": ["S1"], "XXTERMLONG": ["a"]})
    spec = Dataset("XX", "Test", "EVENTS", "One record", ("STUDYID",),
                   (Variable("STUDYID", "Study Identifier"), Variable("XXTERMLONG", "Term")))
    with pytest.raises(XportLimitError, match="variable XXTERMLONG: a variable name has at most 8"):
        write_xpt(frame, spec, tmp_path)
    spec = Dataset("XX", "Test", "EVENTS", "One record", ("STUDYID",),
                   (Variable("STUDYID", "S" * 41), Variable("XXTERM", "Term")))
    with pytest.raises(XportLimitError, match="variable STUDYID: the label is over 40"):
        write_xpt(frame.rename(columns={"XXTERMLONG": "XXTERM"}), spec, tmp_path)
    long_name = Dataset("TOOLONGDS", "Test", "EVENTS", "", (), _SPEC.variables)
    with pytest.raises(XportLimitError, match="dataset TOOLONGDS: a dataset name"):
        write_xpt(frame.rename(columns={"XXTERMLONG": "XXTERM"}), long_name, tmp_path)


def test_every_label_of_the_specification_fits_version_5():
    from trialdesk.standards.sdtm.spec import ADAM_DATASETS

    for dataset in [*SDTM_DATASETS.values(), *ADAM_DATASETS.values()]:
        assert len(dataset.name) <= 8 and len(dataset.label) <= 40, dataset.name
        for variable in dataset.variables:
            assert len(variable.name) <= 8 and len(variable.label.encode()) <= 40, variable


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_haven_reads_the_same_values(tmp_path):
    frame = frames()["AE"]
    path = write_xpt(frame, SDTM_DATASETS["AE"], tmp_path)
    script = (f"d <- haven::read_xpt('{path}'); cat(d$AETERM, d$AESEQ, d$AESTDY, "
              "attr(d$AETERM, 'label'), sep='|')")
    result = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True,
                            timeout=120, check=False)
    if "there is no package called" in result.stderr:
        pytest.skip("R's haven is not installed")
    assert result.returncode == 0, result.stderr
    expected = [*frame["AETERM"], *(f"{v:g}" for v in frame["AESEQ"]),
                *(f"{v:g}" for v in frame["AESTDY"]), "Reported Term for the Adverse Event"]
    assert result.stdout.split("|") == expected
