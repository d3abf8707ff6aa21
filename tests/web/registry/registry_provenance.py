"""What the record page of the trial must mark as added by the trial protocol, and the check.

A value is checked where the page shows it whole (an element whose text is exactly the value): it
must sit inside an element marked ``data-provenance="protocol"`` that carries the visible
"trial protocol" label (``.source[data-source="protocol"]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

import tinyhtml5
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from pydantic import BaseModel

from trialdesk.protocol import Protocol, load_protocol
from trialdesk.protocol.text import LocalizedText
from trialdesk.web.registry.labels import INTERVENTION_MODELS, words
from trialdesk.web.registry.sections import SEX, age_text

XHTML = "{http://www.w3.org/1999/xhtml}"


def collapse(text: str) -> str:
    return " ".join(text.split())


# Values of protocol-added fields the record page does not show, each with why; any other
# protocol-added value of the record must be shown, labelled.
NOT_SHOWN = {
    "eligibilityCriteria": "the record's one text of the criteria; the page lists each criterion",
    "stdAges": "ClinicalTrials.gov's age groups, derived from the minimum and maximum age",
    "armGroupLabels": "an intervention's arms: the arms table names them already",
    "interventionNames": "an arm's interventions: named (labelled) in the interventions list",
    "enrollmentInfo.type": "the target is estimated: the page's row says \"Target enrollment\"",
}
CLOSED_SITES = {"COMPLETED", "TERMINATED", "WITHDRAWN"}
CODES = {"allocation", "primaryPurpose", "masking", "whoMasked", "type", "status",
         "overallStatus", "studyType"}


def _translations(value: Any, language: str, found: dict[str, str]) -> dict[str, str]:
    """Every English text of the protocol with its text in ``language``."""
    if isinstance(value, LocalizedText):
        found.setdefault(value.text("en"), value.text(language))
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _translations(getattr(value, name), language, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _translations(item, language, found)
    elif isinstance(value, dict):
        for item in value.values():
            _translations(item, language, found)
    return found


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Each scalar under ``value`` with the key that holds it."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _at(document: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        document = document.get(part, {}) if isinstance(document, dict) else {}
    return document


def _shown(key: str, value: Any, spanish: dict[str, str]) -> tuple[str, ...]:
    """How the page shows one value of the record (in the active language): its forms."""
    if isinstance(value, bool):
        return (str(_("Yes") if value else _("No")),)
    if isinstance(value, int):  # a count: shown alone (the trial now) or with its unit
        return (str(value), ngettext("%(n)s participant", "%(n)s participants", value)
                % {"n": value})
    if key == "interventionModel":
        return (str(INTERVENTION_MODELS[value]),)
    if key == "sex":
        return (str(SEX[value]),)
    if key in ("minimumAge", "maximumAge"):
        return (age_text(value),)
    if key in CODES:
        return (words(value),)
    return (spanish.get(value, value),)


def _site(location: dict[str, Any]) -> list[tuple[str, ...]]:
    """A location as the sites table shows it: its name, "city, country" and its status."""
    status = location["status"]
    shown = (pgettext("registry", "Closed to recruitment") if status in CLOSED_SITES
             else words(status))
    return [(location["facility"],), (f"{location['city']}, {location['country']}",),
            (str(shown),)]


def shown_values(protocol: Protocol, document: dict[str, Any], paths: list[str],
                 language: str) -> list[tuple[str, ...]]:
    """Every value of the record ``document`` under ``paths``, as the page shows it in
    ``language`` (each value: the forms it may take)."""
    translated = _translations(protocol, language, {})
    values: list[tuple[str, ...]] = []
    with translation.override(language):
        for path in paths:
            if path in NOT_SHOWN:
                continue
            if path.endswith(".locations"):
                values += [forms for site in _at(document, path) for forms in _site(site)]
                continue
            for key, value in _leaves(_at(document, path), path.rsplit(".", 1)[-1]):
                where = f"{path.rsplit('.', 1)[-1]}.{key}"
                if key not in NOT_SHOWN and where not in NOT_SHOWN and value not in (None, ""):
                    values.append(_shown(key, value, translated))
    return list(dict.fromkeys(values))


def protocol_added_values(protocol: Protocol, document: dict[str, Any],
                          provenance: dict[str, Any], language: str) -> list[tuple[str, ...]]:
    """The values under the paths the ``provenance`` document calls protocol-added."""
    return shown_values(protocol, document, provenance["protocolAdded"], language)


def record_values(client: Any, nct_id: str, language: str
                  ) -> tuple[list[tuple[str, ...]], set[str]]:
    """The protocol-added values of the record ``nct_id`` as served (JSON record and its
    provenance document, read through the Django test ``client``), and the texts of its
    registry values (which a registry block may show: "Recruiting", the trial's own status, is
    also an activated site's)."""
    document = client.get(f"/registry/{nct_id}.json").json()
    provenance = client.get(f"/registry/{nct_id}.provenance.json").json()
    protocol = load_protocol()
    registry = [item["path"] for item in provenance["fields"] if item["source"] == "registry"
                and item["path"].startswith(("protocolSection", "derivedSection"))]
    return (protocol_added_values(protocol, document, provenance, language),
            {form for forms in shown_values(protocol, document, registry, language)
             for form in forms})


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

    Terms trialdesk inferred for the ranking and the ranking itself, the similar trials (blocks
    marked "inferred", shown as such), are not values of the record; a value the registry gives
    too may sit in a registry block.
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


def unlabelled(html: str, values: list[str | tuple[str, ...]],
               registry_values: set[str] = frozenset()) -> dict[str, str]:
    """Each value shown without its protocol label (or not shown at all), with why.

    A value is a text or the forms it may take (a count alone and with its unit): one form at
    least must be shown, and every element showing any form labelled. ``registry_values``: texts
    the registry gives as well (a condition that is also one of its MeSH terms), which a
    registry block may show with the registry's label.
    """
    main, parents = main_of(html)
    problems = {}
    for value in values:
        forms = (value,) if isinstance(value, str) else value
        elements = [element for form in forms for element in elements_showing(main, form)]
        if not elements:
            problems[forms[0]] = "not shown"
        elif not all(labelled_protocol(element, parents, forms[0] in registry_values)
                     for element in elements):
            problems[forms[0]] = "shown without the trial protocol label"
    return problems
