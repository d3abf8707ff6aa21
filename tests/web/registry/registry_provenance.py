"""What the record page of the trial must mark as added by the trial protocol, and the check.

A value is checked where the page shows it whole (an element whose text is exactly the value): it
must sit inside an element marked ``data-provenance="protocol"`` that carries the visible
"trial protocol" label (``.source[data-source="protocol"]``).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

import tinyhtml5

from trialdesk.protocol import Protocol

XHTML = "{http://www.w3.org/1999/xhtml}"


def collapse(text: str) -> str:
    return " ".join(text.split())


def protocol_added_values(protocol: Protocol, language: str) -> list[str]:
    """Texts the protocol adds to the registry record, as the page shows them in ``language``."""
    registry, design = protocol.registry, protocol.design
    values = [registry.brief_title.text(language), registry.official_title.text(language)]
    values += [arm.label.text(language) for arm in design.arms]
    values += [arm.description.text(language) for arm in design.arms]
    if design.masking.description is not None:
        values.append(design.masking.description.text(language))
    values += [outcome.measure.text(language) for outcome in protocol.outcomes]
    values += [outcome.description.text(language) for outcome in protocol.outcomes]
    values += [c.text.text(language) for c in protocol.eligibility.inclusion]
    values += [c.text.text(language) for c in protocol.eligibility.exclusion]
    values += list(registry.keywords)
    values += list(registry.conditions)  # in Spanish shown beside their DeCS label
    return list(dict.fromkeys(values))


def _text(element: Element) -> str:
    return collapse("".join(element.itertext()))


def elements_showing(root: Element, value: str) -> list[Element]:
    """The innermost elements under ``root`` whose whole text is ``value``."""
    wanted = collapse(value)
    found = [element for element in root.iter() if _text(element) == wanted]
    return [element for element in found if not any(_text(child) == wanted for child in element)]


def _has_label(block: Element, source: str) -> bool:
    return any(element.get("data-source") == source and "source" in element.get("class", "")
               for element in block.iter())


def _block(element: Element, parents: dict[Element, Element]) -> Element | None:
    node: Element | None = element
    while node is not None and node.get("data-provenance") is None:
        node = parents.get(node)
    return node


def labelled_protocol(element: Element, parents: dict[Element, Element],
                      also_registry: bool = False) -> bool:
    """True when ``element`` is inside a protocol-marked block that shows the protocol label.

    Terms trialdesk inferred for the ranking (a block marked "inferred", shown as such) are not
    values of the record; a value the registry gives too may sit in a registry block.
    """
    block = _block(element, parents)
    if block is None:
        return False
    kind = block.get("data-provenance")
    if kind == "inferred":
        return True
    if kind == "registry":
        return also_registry and _has_label(block, "registry")
    return kind == "protocol" and _has_label(block, "protocol")


def main_of(html: str) -> tuple[Element, dict[Element, Element]]:
    root = tinyhtml5.parse(html)
    main = next(element for element in root.iter() if element.tag == f"{XHTML}main")
    return main, {child: parent for parent in main.iter() for child in parent}


def unlabelled(html: str, values: list[str], registry_values: set[str] = frozenset()
               ) -> dict[str, str]:
    """Each value shown without its protocol label (or not shown at all), with why.

    ``registry_values``: texts the registry gives as well (a condition that is also one of its
    MeSH terms), which a registry block may show with the registry's label.
    """
    main, parents = main_of(html)
    problems = {}
    for value in values:
        elements = elements_showing(main, value)
        if not elements:
            problems[value] = "not shown"
        elif not all(labelled_protocol(element, parents, value in registry_values)
                     for element in elements):
            problems[value] = "shown without the trial protocol label"
    return problems
