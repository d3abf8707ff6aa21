"""CONSORT 2010 flow diagram (arithmetic checked, SVG drawn) and the forest plot."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from trialdesk.stats.analysis import (
    ConsortCounts,
    ConsortError,
    forest_plot,
    two_proportions,
)

SVG = "{http://www.w3.org/2000/svg}"

# The flow of a 45-participant trial (coded groups); the numbers add up.
COUNTS = {
    "assessed": 107,
    "excluded": {"Not meeting inclusion criteria": 50, "Declined to participate": 7,
                 "Other reasons": 5},
    "randomized": 45,
    "arms": [
        {"label": "group 1", "allocated": 21, "received": 20,
         "did_not_receive": {"Withdrew consent before infusion": 1},
         "discontinued": {"Infusion reaction": 1}, "analysed": 21},
        {"label": "group 2", "allocated": 24, "received": 24, "lost_to_follow_up": {"Moved": 1},
         "analysed": 23, "excluded_from_analysis": {"No day-7 PaO2/FiO2": 1}},
    ],
}


def test_consort_diagram_is_written_with_every_box_and_count(test_output_dir):
    path = ConsortCounts.from_dict(COUNTS).write_svg(test_output_dir / "consort.svg")
    root = ET.parse(path).getroot()  # noqa: S314 - our own output
    texts = " | ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    rects = list(root.iter(f"{SVG}rect"))
    assert len(rects) >= 12  # background, stage labels and boxes
    for expected in (
        "Assessed for eligibility (n\u00a0=\u00a0107)",
        "Excluded (n\u00a0=\u00a062)",
        "Randomized (n\u00a0=\u00a045)",
        "Allocated to group 1 (n\u00a0=\u00a021)",
        "Allocated to group 2 (n\u00a0=\u00a024)",
        "Analysed (n\u00a0=\u00a023)",
        "Enrollment", "Allocation", "Follow-up", "Analysis",
    ):
        assert expected in texts, expected
    assert len(list(root.iter(f"{SVG}line"))) >= 8  # arrows drawn


def test_consort_rendered_to_pixels_is_not_blank(test_output_dir):
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    # Draw the SVG's boxes with matplotlib to check the geometry without a browser.
    root = ET.fromstring(ConsortCounts.from_dict(COUNTS).to_svg())  # noqa: S314 - our own output
    width, height = float(root.get("width")), float(root.get("height"))
    figure = Figure(figsize=(width / 100, height / 100), dpi=100)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    for rect in list(root.iter(f"{SVG}rect"))[1:]:
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        w, h = float(rect.get("width")), float(rect.get("height"))
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="black"))
    png = test_output_dir / "consort_boxes.png"
    figure.savefig(png)
    import matplotlib.image as mpimg

    rgb = mpimg.imread(png)[..., :3]
    assert 0.005 < np.mean(np.any(rgb < 0.5, axis=-1)) < 0.5


@pytest.mark.parametrize(
    ("change", "box"),
    [
        (lambda c: c.update(randomized=46), "Randomized"),
        (lambda c: c["excluded"].update({"Other reasons": 4}), "Randomized"),
        (lambda c: c["arms"][1].update(allocated=25, analysed=24), "Allocation"),
        (lambda c: c["arms"][0].update(received=21), "Allocated to group 1"),
        (lambda c: c["arms"][1].update(analysed=24), "Analysed (group 2)"),
        (lambda c: c["arms"][0].update(discontinued={"x": 30}), "Follow-up (group 1)"),
        (lambda c: c["arms"][0].update(analysed=-1), "Analysed (group 1)"),
    ],
)
def test_counts_that_do_not_add_up_are_refused_naming_the_box(change, box, tmp_path):
    counts = copy.deepcopy(COUNTS)
    change(counts)
    flow = ConsortCounts.from_dict(counts)
    with pytest.raises(ConsortError) as error:
        flow.write_svg(tmp_path / "never.svg")
    assert error.value.box == box
    assert box in str(error.value)
    assert not (tmp_path / "never.svg").exists()


def test_unknown_keys_in_counts_are_refused():
    counts = copy.deepcopy(COUNTS)
    counts["arms"][0]["analyzed"] = 21
    with pytest.raises(ConsortError, match="unknown keys: analyzed"):
        ConsortCounts.from_dict(counts)


def test_labels_are_escaped_in_the_svg():
    counts = copy.deepcopy(COUNTS)
    counts["arms"][0]["label"] = "A & <B>"
    svg = ConsortCounts.from_dict(counts).to_svg()
    ET.fromstring(svg)  # noqa: S314 - our own output; still well-formed
    assert "A &amp; &lt;B&gt;" in svg


def test_forest_plot_of_outcome_effects(test_output_dir):
    import matplotlib.image as mpimg

    result = two_proportions(6, 21, 6, 24, label_a="group 1", label_b="group 2", outcome="SAE")
    effects = [
        *result.effects(),
        {"label": "28-day mortality: hazard ratio", "estimate": 0.8, "lower": 0.3,
         "upper": 2.1, "scale": "ratio", "method": "Cox"},
        {"label": "not estimable", "estimate": None, "lower": None, "upper": None,
         "scale": "ratio", "method": "Cox"},
    ]
    png = forest_plot(effects, test_output_dir / "forest.png", title="Outcomes",
                      comparison="group 1 vs group 2")
    forest_plot(effects, test_output_dir / "forest.svg")
    rgb = mpimg.imread(png)[..., :3]
    assert 0.01 < np.mean(np.any(rgb < 0.95, axis=-1)) < 0.6
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        forest_plot(effects, test_output_dir / "forest.pdf")


def test_consort_diagram_in_another_language_keeps_every_count():
    labels = {"assessed": "Evaluados para elegibilidad", "allocated_to": "Asignados a {group}",
              "enrollment": "Inclusión"}
    svg = ConsortCounts.from_dict(COUNTS).to_svg(labels)
    assert "Evaluados para" in svg and "(n\u00a0=\u00a0107)" in svg
    assert "Asignados a group 2 (n\u00a0=\u00a024)" in svg and ">Inclusión<" in svg
    assert "Assessed for eligibility" not in svg
    assert "Randomized (n\u00a0=\u00a045)" in svg  # a word not given stays English
