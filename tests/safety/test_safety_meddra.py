"""The MedDRA ASCII reader (trialdesk.safety.meddra) on a synthetic release.

``tests/data/meddra-synthetic/`` is written in the format of the MedDRA distribution files, with
invented terms and codes (99xxxxxx), not MedDRA content (MedDRA is licensed; see
tests/data/README.md). Broken variants are made from it in a temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trialdesk.safety.meddra import (
    FILES,
    Level,
    LowLevelTerm,
    MeddraError,
    load_meddra,
)


@pytest.fixture(scope="module")
def synthetic(test_data: Path) -> Path:
    return test_data / "meddra-synthetic"


@pytest.fixture(scope="module")
def meddra(synthetic: Path):
    return load_meddra(synthetic)


@pytest.fixture
def copy(tmp_path: Path, synthetic: Path) -> Path:
    folder = tmp_path / "MedAscii"
    shutil.copytree(synthetic, folder)
    return folder


def edit(folder: Path, name: str, line: int, new: str | None) -> None:
    """Replace (or with None delete) 1-based ``line`` of ``name``."""
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines()
    if new is None:
        del lines[line - 1]
    else:
        lines[line - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_loads_every_level(meddra):
    assert len(meddra.socs) == 2 and len(meddra.hlgts) == 2 and len(meddra.hlts) == 3
    assert len(meddra.pts) == 3 and len(meddra.llts) == 9
    soc = meddra.socs[99000001]
    assert (soc.name, soc.abbreviation, soc.level) == (
        "Synthetic glimmer system disorders",
        "Glim",
        Level.SOC,
    )
    llt = meddra.llts[99400003]
    assert llt == LowLevelTerm(
        Level.LLT, 99400003, "Glimmer flutter (old term)", pt_code=99300001, current=False
    )
    assert meddra.pts[99300002].primary_soc_code == 99000002
    # the multiaxial PT sits under two HLTs
    assert meddra.hlts_of_pt[99300002] == (99200001, 99200002)
    assert meddra.llts[99400009].name == "Glimmer flicker, Zürich type"  # read as UTF-8
    # as in MedDRA, the LLT that repeats a PT shares its code: each level keeps its own codes
    assert meddra.llts[99300002].pt_code == 99300002 == meddra.pts[99300002].code


def test_hierarchy_follows_the_primary_soc(meddra):
    llt, pt, hlt, hlgt, soc = meddra.hierarchy(99300001)
    assert (llt.code, pt.code, hlt.code, hlgt.code, soc.code) == (
        99300001,
        99300001,
        99200001,
        99100001,
        99000001,
    )
    assert [t.level for t in (llt, pt, hlt, hlgt, soc)] == list(Level)
    # "Humour surge" is linked to HLT 99200001 (flicker, glimmer SOC) as well as 99200002; its
    # primary SOC in pt.asc is the humour SOC, so the path goes through 99200002, not the lower code
    path = meddra.hierarchy("99400005")
    assert (path.pt.name, path.hlt.code, path.hlgt.code, path.soc.code) == (
        "Humour surge",
        99200002,
        99100002,
        99000002,
    )
    assert path.soc.name == "Synthetic humour disorders"


def test_hierarchy_unknown_or_bad_code(meddra):
    with pytest.raises(KeyError, match="99499999"):
        meddra.hierarchy(99499999)
    with pytest.raises(ValueError, match="llt_code"):
        meddra.hierarchy("fog")


def test_search_case_insensitive_current_first(meddra):
    names = [t.name for t in meddra.search("GLIMMER")]
    # current LLTs first (exact, then starts-with, then word match), the non-current one last
    assert names == [
        "Glimmer flicker",
        "Glimmer flicker, Zürich type",
        "Flickering glimmer",
        "Glimmer flutter (old term)",
    ]
    assert [t.name for t in meddra.search("humour surge")] == [
        "Humour surge",
        "Sudden humour surge",
    ]
    # "surge" also matches the non-current "Surge, humour": current ones first even though the
    # non-current one starts with the word
    assert [t.name for t in meddra.search("surge")] == [
        "Humour surge",
        "Sudden humour surge",
        "Surge, humour",
    ]


def test_search_limit_code_and_no_match(meddra):
    assert len(meddra.search("g", limit=2)) == 2
    assert meddra.search("99300003")[0].name == "Grey fog"
    assert meddra.search("  grey   FOG ")[0].name == "Grey fog"
    assert meddra.search("volcano") == []
    with pytest.raises(ValueError, match="text"):
        meddra.search("   ")
    with pytest.raises(ValueError, match="limit"):
        meddra.search("fog", limit=0)


def test_latin1_release_read(copy):
    # older releases in European languages are Latin-1: "é" is one byte, invalid as UTF-8
    path = copy / "llt.asc"
    text = path.read_text(encoding="utf-8").replace("Grey fog$", "Brouillard gris léger$")
    path.write_bytes(text.replace("Zürich", "Zurich").encode("latin-1"))
    assert b"\xe9" in path.read_bytes()
    meddra = load_meddra(copy)
    assert meddra.llts[99300003].name == "Brouillard gris léger"
    assert meddra.search("LÉGER")[0].code == 99300003


def test_crlf_upper_case_names_and_trailing_blank_lines(copy):
    source = copy / "llt.asc"
    data = source.read_bytes().replace(b"\n", b"\r\n") + b"\r\n"
    source.unlink()
    (copy / "LLT.ASC").write_bytes(data)
    assert len(load_meddra(copy).llts) == 9


@pytest.mark.parametrize(
    ("name", "line", "new", "message"),
    [
        ("llt.asc", 2, "99400002$Flickering glimmer$99300001$", r"llt\.asc line 2: .*fields"),
        ("llt.asc", 3, "9940000x$Bad$99300001$$$$$$$Y$$", r"llt\.asc line 3: llt_code '9940000x'"),
        (
            "llt.asc",
            4,
            "99300002$Humour surge$99399999$$$$$$$Y$$",
            r"llt\.asc line 4: pt_code 99399999",
        ),
        ("llt.asc", 5, "99400005$Sudden$99300002$$$$$$$maybe$$", r"llt\.asc line 5: llt_currency"),
        (
            "llt.asc",
            6,
            "99300001$Again$99300002$$$$$$$Y$$",
            r"llt\.asc line 6: llt_code 99300001 .*twice",
        ),
        ("llt.asc", 7, "99300003$ $99300003$$$$$$$Y$$", r"llt\.asc line 7: llt_name is empty"),
        ("pt.asc", 1, "99300001$Glimmer flicker$$99000009$$$$$$$$", r"pt\.asc line 1: pt_soc_code"),
        ("soc.asc", 2, "99000002$Synthetic humour disorders", r"soc\.asc line 2: .*fields"),
        ("hlt_pt.asc", 2, "99200002$99300099$", r"hlt_pt\.asc line 2: pt_code 99300099"),
        ("soc_hlgt.asc", 1, "99000003$99100001$", r"soc_hlgt\.asc line 1: soc_code 99000003"),
        ("hlgt_hlt.asc", 3, None, r"pt\.asc line 3: pt_code 99300003 has no HLT"),
    ],
)
def test_malformed_input_names_file_and_line(copy, name, line, new, message):
    edit(copy, name, line, new)
    with pytest.raises(MeddraError, match=message):
        load_meddra(copy)


@pytest.mark.parametrize("name", FILES)
def test_missing_file_named(copy, name):
    (copy / name).unlink()
    with pytest.raises(MeddraError, match=f"^{name}: not found"):
        load_meddra(copy)


def test_not_a_folder(tmp_path):
    with pytest.raises(MeddraError, match="not a folder"):
        load_meddra(tmp_path / "nowhere")
