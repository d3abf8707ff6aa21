"""The cell product's rules as `trialdesk protocol show` prints them, in English or Spanish
(issue 18): release tests, dose and rounding, temperatures, post-thaw window, shelf life,
resupply and forecast. Nothing here depends on an arm."""

from __future__ import annotations

import re

from trialdesk.protocol.product import ProductRules, ReleaseTest

TEXTS = {
    "en": {
        "title": "Cell product:",
        "release": "Release tests (limits inclusive; a missing result fails the lot):",
        "pass": "pass",
        "cells_only": " (cell lots only)",
        "dose": "Dose: {dose} cells/kg{cap}; a weight above {weight} kg is refused",
        "cap": ", at most {cap} cells",
        "rounding": "Rounding: cells {how} {cells}, then the volume {how} {volume} mL, at "
                    "{nominal} cells/mL as formulated unless the lot's concentration is measured",
        "nearest": "to the nearest (half up)",
        "down": "down to",
        "temperatures": "Storage {storage} °C; shipping {shipping} °C; out of range longer than "
                        "{grace} min is an excursion",
        "life": "Infusion ends within {hours} h of thaw; shelf life {days} days",
        "resupply": "Resupply when either arm has {minimum} usable kits or fewer; shipments keep "
                    "the {days}-day stock-out risk at or below {target}",
        "infusion": "Infusion rate {rate} mL/h; volume infused {volume} mL",
    },
    "es": {
        "title": "Producto celular:",
        "release": "Pruebas de liberación (límites inclusivos; un resultado que falta rechaza el "
                   "lote):",
        "pass": "conforme",
        "cells_only": " (solo lotes con células)",
        "dose": "Dosis: {dose} células/kg{cap}; se rechaza un peso superior a {weight} kg",
        "cap": ", como máximo {cap} células",
        "rounding": "Redondeo: células {how} {cells}, luego el volumen {how} {volume} mL, a "
                    "{nominal} células/mL según la formulación salvo que se mida la concentración "
                    "del lote",
        "nearest": "al múltiplo más cercano (mitad hacia arriba) de",
        "down": "hacia abajo a un múltiplo de",
        "temperatures": "Almacenamiento {storage} °C; transporte {shipping} °C; fuera de rango más "
                        "de {grace} min es una excursión",
        "life": "La infusión termina dentro de las {hours} h tras la descongelación; vida útil "
                "{days} días",
        "resupply": "Reabastecer cuando un brazo tenga {minimum} kits utilizables o menos; los "
                    "envíos mantienen el riesgo de desabastecimiento a {days} días en {target} o "
                    "menos",
        "infusion": "Velocidad de infusión {rate} mL/h; volumen infundido {volume} mL",
    },
}


def _number(value: float, language: str) -> str:
    text = re.sub(r"e\+?0*(\d)", r"e\1", f"{value:g}")
    return text.replace(".", ",") if language == "es" else text


def _range(bounds: tuple[float, float], language: str) -> str:
    joiner = " a " if language == "es" else " to "
    return joiner.join(_number(bound, language) for bound in bounds)


def _test_line(test: ReleaseTest, language: str, text: dict[str, str]) -> str:
    label = test.label_text(language)
    if test.kind == "pass":
        rule = f"{label}: {text['pass']}"
    else:
        unit = f" {test.unit}" if test.unit else ""
        sign = ">=" if test.kind == "min" else "<="
        rule = f"{label} {sign} {_number(test.limit or 0, language)}{unit}"
    return rule + (text["cells_only"] if test.cell_lot_only else "")


def product_lines(rules: ProductRules | None, language: str = "en") -> list[str]:
    """The product's lines (none for a protocol without ``[product]``)."""
    if rules is None:
        return []
    text = TEXTS["es" if language.split("-")[0].lower() == "es" else "en"]
    lang = "es" if text is TEXTS["es"] else "en"
    rounding = rules.dose_rounding
    cap = ("" if rules.dose_cap_cells is None
           else text["cap"].format(cap=_number(rules.dose_cap_cells, lang)))
    target = f"{rules.stockout_target * 100:.3g}"
    target = f"{target.replace('.', ',')} %" if lang == "es" else f"{target}%"
    return [
        text["title"],
        f"  {text['release']}",
        *(f"    - {_test_line(test, lang, text)}" for test in rules.release_tests),
        "  " + text["dose"].format(dose=_number(rules.dose_cells_per_kg, lang), cap=cap,
                                   weight=_number(rules.max_weight_kg, lang)),
        "  " + text["rounding"].format(how=text[rounding.mode],
                                       cells=_number(rounding.cells_step, lang),
                                       volume=_number(rounding.volume_step_ml, lang),
                                       nominal=_number(rules.nominal_cells_per_ml, lang)),
        "  " + text["temperatures"].format(storage=_range(rules.storage_celsius, lang),
                                           shipping=_range(rules.shipping_celsius, lang),
                                           grace=rules.excursion_grace_minutes),
        "  " + text["life"].format(hours=_number(rules.post_thaw_hours, lang),
                                   days=rules.shelf_life_days),
        "  " + text["resupply"].format(minimum=rules.resupply_minimum_per_arm,
                                       days=rules.forecast_days, target=target),
        "  " + text["infusion"].format(rate=_range(rules.infusion_rate_ml_per_h, lang),
                                       volume=_range(rules.infusion_volume_ml, lang)),
    ]
