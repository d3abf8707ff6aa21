"""CONSORT 2010 flow diagram: counts checked for arithmetic, drawn as SVG.

Boxes (Schulz et al., CONSORT 2010 statement, flow diagram): Enrollment (assessed for eligibility,
excluded with reasons, randomized); per group Allocation (allocated, received the allocated
intervention, did not receive it with reasons), Follow-up (lost to follow-up, discontinued
intervention, with reasons) and Analysis (analysed, excluded from analysis with reasons).

The arithmetic checked, each failure naming its box:

- excluded = sum of the exclusion reasons; assessed - excluded = randomized;
- the groups' allocated add up to randomized;
- per group: received + did not receive = allocated; the reasons add up to their box;
  lost to follow-up + discontinued <= allocated; analysed + excluded from analysis = allocated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape


class ConsortError(ValueError):
    """Counts that do not add up; ``box`` names the diagram box at fault."""

    def __init__(self, box: str, message: str) -> None:
        self.box = box
        super().__init__(f"CONSORT box {box!r}: {message}")


@dataclass(frozen=True)
class ArmFlow:
    label: str
    allocated: int
    received: int
    did_not_receive: dict[str, int] = field(default_factory=dict)
    lost_to_follow_up: dict[str, int] = field(default_factory=dict)
    discontinued: dict[str, int] = field(default_factory=dict)
    analysed: int = 0
    excluded_from_analysis: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsortCounts:
    assessed: int
    excluded: dict[str, int]
    randomized: int
    arms: list[ArmFlow]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsortCounts:
        """Build from JSON-like data; unknown or missing keys are errors naming the key."""
        known = {"assessed", "excluded", "randomized", "arms"}
        unknown = set(data) - known
        if unknown:
            raise ConsortError("counts", f"unknown keys: {', '.join(sorted(unknown))}")
        for key in known:
            if key not in data:
                raise ConsortError("counts", f"missing key {key!r}")
        arm_known = {
            "label", "allocated", "received", "did_not_receive", "lost_to_follow_up",
            "discontinued", "analysed", "excluded_from_analysis",
        }
        arms = []
        for i, arm in enumerate(data["arms"]):
            unknown = set(arm) - arm_known
            if unknown:
                raise ConsortError(f"arm {i + 1}", f"unknown keys: {', '.join(sorted(unknown))}")
            for key in ("label", "allocated", "received", "analysed"):
                if key not in arm:
                    raise ConsortError(f"arm {i + 1}", f"missing key {key!r}")
            arms.append(ArmFlow(**arm))
        return cls(
            assessed=data["assessed"],
            excluded=dict(data["excluded"]),
            randomized=data["randomized"],
            arms=arms,
        )

    @classmethod
    def from_json(cls, path: str | Path) -> ConsortCounts:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def check(self) -> None:
        """Raise ConsortError naming the first box whose counts do not add up."""
        _count("Assessed for eligibility", self.assessed)
        _count("Randomized", self.randomized)
        excluded = _reasons("Excluded", self.excluded)
        if self.assessed - excluded != self.randomized:
            raise ConsortError(
                "Randomized",
                f"assessed {self.assessed} - excluded {excluded} = {self.assessed - excluded}, "
                f"but randomized is {self.randomized}",
            )
        if not self.arms:
            raise ConsortError("Allocation", "no groups")
        labels = [a.label for a in self.arms]
        if len(set(labels)) != len(labels):
            raise ConsortError("Allocation", "two groups have the same label")
        allocated = sum(a.allocated for a in self.arms)
        if allocated != self.randomized:
            raise ConsortError(
                "Allocation",
                f"allocated {' + '.join(str(a.allocated) for a in self.arms)} = {allocated}, "
                f"but randomized is {self.randomized}",
            )
        for arm in self.arms:
            box = f"Allocated to {arm.label}"
            _count(box, arm.allocated)
            _count(box, arm.received)
            not_received = _reasons(box, arm.did_not_receive)
            if arm.received + not_received != arm.allocated:
                raise ConsortError(
                    box,
                    f"received {arm.received} + did not receive {not_received} = "
                    f"{arm.received + not_received}, but allocated is {arm.allocated}",
                )
            box = f"Follow-up ({arm.label})"
            lost = _reasons(box, arm.lost_to_follow_up)
            stopped = _reasons(box, arm.discontinued)
            if lost + stopped > arm.allocated:
                raise ConsortError(
                    box,
                    f"lost {lost} + discontinued {stopped} = {lost + stopped} exceeds "
                    f"allocated {arm.allocated}",
                )
            box = f"Analysed ({arm.label})"
            _count(box, arm.analysed)
            excluded_analysis = _reasons(box, arm.excluded_from_analysis)
            if arm.analysed + excluded_analysis != arm.allocated:
                raise ConsortError(
                    box,
                    f"analysed {arm.analysed} + excluded from analysis {excluded_analysis} = "
                    f"{arm.analysed + excluded_analysis}, but allocated is {arm.allocated}",
                )

    def to_svg(self, labels: Mapping[str, str] | None = None) -> str:
        """Draw the diagram; ``labels`` replace the English box and stage texts (keys of
        ``LABELS``; "allocated_to" takes ``{group}``), for a reader in another language."""
        self.check()
        return _render(self, {**LABELS, **(labels or {})})

    def write_svg(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_svg(), encoding="utf-8")
        return path


def _count(box: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConsortError(box, f"counts must be whole numbers, not negative (got {value!r})")
    return value


def _reasons(box: str, reasons: dict[str, int]) -> int:
    total = 0
    for reason, n in reasons.items():
        total += _count(f"{box}: {reason}", n)
    return total


# --- drawing ---------------------------------------------------------------------------------

FONT = 13
LINE = 17
BOX_W = 270
GAP = 40
SIDE_W = 270
STAGE_COLOUR = "#0072B2"


def _lines(title: str, n: int, reasons: dict[str, int] | None = None) -> list[str]:
    # "(n = x)" is joined by no-break spaces so that wrapping never splits it.
    lines = [f"{title} (n\u00a0=\u00a0{n})"]
    for reason, count in (reasons or {}).items():
        lines.append(f"\u2022 {reason} (n\u00a0=\u00a0{count})")
    return lines


def _wrap(line: str, width: int = 36) -> list[str]:
    words, out, current = line.split(" "), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = "  " + word if line.startswith("\u2022") else word
        else:
            current = f"{current} {word}".strip() if current else word
    out.append(current)
    return out


class _Canvas:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.max_x = 0.0
        self.max_y = 0.0

    def box(self, x: float, y: float, w: float, lines: list[str]) -> float:
        wrapped = [piece for line in lines for piece in _wrap(line)]
        h = LINE * len(wrapped) + 14
        self.parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
            'fill="#ffffff" stroke="#000000" stroke-width="1.2"/>'
        )
        for i, text in enumerate(wrapped):
            self.parts.append(
                f'<text x="{x + 8:.0f}" y="{y + 7 + LINE * (i + 1) - 4:.0f}" '
                f'font-size="{FONT}">{escape(text)}</text>'
            )
        self.max_x = max(self.max_x, x + w)
        self.max_y = max(self.max_y, y + h)
        return h

    def arrow(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#000000" '
            'stroke-width="1.2" marker-end="url(#arrow)"/>'
        )

    def stage(self, y: float, name: str) -> None:
        self.parts.append(
            f'<rect x="10" y="{y:.0f}" width="110" height="26" rx="6" fill="{STAGE_COLOUR}"/>'
            f'<text x="65" y="{y + 18:.0f}" font-size="{FONT}" fill="#ffffff" '
            f'text-anchor="middle" font-weight="bold">{escape(name)}</text>'
        )


# the diagram's own words (CONSORT 2010's flow diagram), in English
LABELS = {
    "enrollment": "Enrollment", "assessed": "Assessed for eligibility", "excluded": "Excluded",
    "randomized": "Randomized", "allocation": "Allocation", "allocated_to": "Allocated to {group}",
    "received": "Received allocated intervention",
    "did_not_receive": "Did not receive allocated intervention", "follow_up": "Follow-up",
    "lost": "Lost to follow-up", "discontinued": "Discontinued intervention",
    "analysis": "Analysis", "analysed": "Analysed",
    "excluded_from_analysis": "Excluded from analysis",
}


def _render(c: ConsortCounts, words: Mapping[str, str]) -> str:
    canvas = _Canvas()
    n_arms = len(c.arms)
    left = 140
    total_w = max(n_arms * BOX_W + (n_arms - 1) * GAP, BOX_W + GAP + SIDE_W)
    centre = left + total_w / 2
    y = 20
    canvas.stage(y, words["enrollment"])
    h = canvas.box(centre - BOX_W / 2, y, BOX_W, _lines(words["assessed"], c.assessed))
    top_mid = y + h
    side_y = top_mid + 20
    excluded = _lines(words["excluded"], sum(c.excluded.values()), c.excluded)
    side_h = canvas.box(centre + GAP, side_y, SIDE_W, excluded)
    rand_y = side_y + side_h + 20
    canvas.arrow(centre, top_mid, centre, rand_y)
    canvas.parts.append(
        f'<line x1="{centre:.0f}" y1="{side_y + 20:.0f}" x2="{centre + GAP:.0f}" '
        f'y2="{side_y + 20:.0f}" stroke="#000000" stroke-width="1.2" marker-end="url(#arrow)"/>'
    )
    h = canvas.box(centre - BOX_W / 2, rand_y, BOX_W, _lines(words["randomized"], c.randomized))
    y = rand_y + h + 30
    arm_x = [left + i * (BOX_W + GAP) for i in range(n_arms)]
    if n_arms * BOX_W + (n_arms - 1) * GAP < total_w:
        offset = (total_w - (n_arms * BOX_W + (n_arms - 1) * GAP)) / 2
        arm_x = [x + offset for x in arm_x]
    # Branch from Randomized to each group.
    canvas.parts.append(
        f'<line x1="{centre:.0f}" y1="{rand_y + h:.0f}" x2="{centre:.0f}" y2="{y - 15:.0f}" '
        'stroke="#000000" stroke-width="1.2"/>'
    )
    mids = [x + BOX_W / 2 for x in arm_x]
    canvas.parts.append(
        f'<line x1="{min(mids):.0f}" y1="{y - 15:.0f}" x2="{max(mids):.0f}" y2="{y - 15:.0f}" '
        'stroke="#000000" stroke-width="1.2"/>'
    )
    for m in mids:
        canvas.arrow(m, y - 15, m, y)
    stages = [
        (words["allocation"], lambda a: _lines(
            words["allocated_to"].format(group=a.label), a.allocated)
         + _lines(words["received"], a.received)
         + _lines(words["did_not_receive"], sum(a.did_not_receive.values()), a.did_not_receive)),
        (words["follow_up"], lambda a: _lines(
            words["lost"], sum(a.lost_to_follow_up.values()), a.lost_to_follow_up)
         + _lines(words["discontinued"], sum(a.discontinued.values()), a.discontinued)),
        (words["analysis"], lambda a: _lines(words["analysed"], a.analysed)
         + _lines(words["excluded_from_analysis"], sum(a.excluded_from_analysis.values()),
                  a.excluded_from_analysis)),
    ]
    for s, (name, content) in enumerate(stages):
        canvas.stage(y, name)
        heights = [canvas.box(x, y, BOX_W, content(a)) for x, a in zip(arm_x, c.arms, strict=True)]
        bottom = y + max(heights)
        if s < len(stages) - 1:
            next_y = bottom + 30
            for m, hh in zip(mids, heights, strict=True):
                canvas.arrow(m, y + hh, m, next_y)
            y = next_y
    width = max(canvas.max_x, left + total_w) + 20
    height = canvas.max_y + 20
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif">'
        "<title>CONSORT 2010 flow diagram</title>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#000000"/></marker></defs>'
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>'
    )
    return head + "".join(canvas.parts) + "</svg>\n"
