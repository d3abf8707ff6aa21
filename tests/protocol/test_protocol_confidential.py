"""A protocol that keeps its block sizes in ``randomization.confidential.toml`` beside the seed
(``protocol.confidential``), so that its own file can go to the sites and be published (ICH E9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialdesk.protocol import ProtocolError, default_protocol_path, load_protocol
from trialdesk.protocol.confidential import CONFIDENTIAL_FILE, confidential_beside
from trialdesk.protocol.summary import summarize
from trialdesk.randomization import ProcedureError, procedure_from_protocol

IN_FILE = 'method = "permuted-blocks"\nblock_sizes = [2, 4]\n'
CONFIDENTIAL = 'method = "permuted-blocks"\nconfidential = true\n'


def published_protocol(folder: Path) -> Path:
    """The bundled protocol with its block sizes taken out and marked confidential."""
    text = default_protocol_path().read_text(encoding="utf-8")
    assert IN_FILE in text
    path = folder / "protocol.toml"
    path.write_text(text.replace(IN_FILE, CONFIDENTIAL), encoding="utf-8")
    return path


def confidential_file(folder: Path, body: str = "[randomization]\nblock_sizes = [4, 6]\n") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / CONFIDENTIAL_FILE
    path.write_text(body, encoding="utf-8")
    return path


def test_the_published_file_loads_without_block_sizes_but_makes_no_list(tmp_path):
    protocol = load_protocol(published_protocol(tmp_path))
    assert protocol.design.randomization.confidential
    assert protocol.design.randomization.block_sizes == []
    with pytest.raises(ProcedureError, match="confidential"):  # no default block size
        procedure_from_protocol(protocol)
    assert "block sizes confidential" in summarize(protocol)


def test_the_confidential_file_beside_the_seed_gives_the_block_sizes(tmp_path):
    secret = confidential_file(tmp_path / "data")
    assert confidential_beside(tmp_path / "data") == secret
    assert confidential_beside(tmp_path) is None
    protocol = load_protocol(published_protocol(tmp_path), confidential=secret)
    assert protocol.design.randomization.block_sizes == [4, 6]
    assert procedure_from_protocol(protocol).parameters["block_sizes"] == [4, 6]
    shown = summarize(protocol)
    assert "block sizes confidential" in shown and "4, 6" not in shown and "[4, 6]" not in shown


def test_the_confidential_file_overrides_and_completes_the_protocol(tmp_path):
    secret = confidential_file(
        tmp_path / "data",
        "[randomization]\nblock_sizes = [2]\nparameters = { slots_per_stratum = 12 }\n")
    protocol = load_protocol(None, confidential=secret)  # the bundled protocol, overridden
    assert protocol.design.randomization.block_sizes == [2]
    assert protocol.design.randomization.parameters["slots_per_stratum"] == 12
    assert load_protocol().design.randomization.block_sizes == [2, 4]  # unchanged without it


def test_a_confidential_protocol_may_not_print_its_block_sizes(tmp_path):
    path = published_protocol(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(
        CONFIDENTIAL, CONFIDENTIAL + "block_sizes = [2, 4]\n"), encoding="utf-8")
    with pytest.raises(ProtocolError) as error:
        load_protocol(path)
    assert [issue.rule for issue in error.value.issues] == ["confidential-in-file"]
    assert error.value.issues[0].line is not None


def test_a_wrong_value_is_reported_at_its_line_in_the_confidential_file(tmp_path):
    secret = confidential_file(tmp_path / "data", "# secret\n[randomization]\nblock_sizes = [3]\n")
    with pytest.raises(ProtocolError) as error:
        load_protocol(published_protocol(tmp_path), confidential=secret)
    issue = error.value.issues[0]
    assert (issue.file, issue.line, issue.rule) == (str(secret), 3, "block-fits-ratio")


def test_the_confidential_file_takes_only_randomization_parameters(tmp_path):
    secret = confidential_file(tmp_path / "data",
                               "[randomization]\nmethod = \"complete\"\nblock_sizes = [2]\n")
    with pytest.raises(ProtocolError, match="unknown key 'method'"):
        load_protocol(published_protocol(tmp_path), confidential=secret)
