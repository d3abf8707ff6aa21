"""Issue 18's pages: the overview, a kit's preparation and the forecast, in English and Spanish,
for the roles that read them; writes post to ``/supply/do/`` through the same actions."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from enrollment import randomize
from login import signed_in_client
from supply_kit import (
    QUALITY,
    SUPPLY,
    free_kits,
    record_weight,
    released_lot_with_kits,
    ship,
    ship_and_receive,
    temperature_log,
)
from trial_factory import PASSWORD

from trialdesk.web.core.timezones import site_zone
from trialdesk.web.supply.models import Lot, Preparation, Shipment


def _client(trial, username: str, language: str | None = None):
    return signed_in_client(trial.users[username], language=language)


def test_the_supply_manager_registers_and_quality_releases_a_lot_through_the_pages(trial):
    manager = _client(trial, SUPPLY)
    page = manager.get("/supply/")
    assert page.status_code == 200 and "Register a lot" in page.content.decode()
    posted = manager.post("/supply/do/", {
        "do": "register_lot", "code": "LOT-9", "product": "placebo", "manufacturer": "Lab",
        "manufactured_on": dt.datetime.now(dt.UTC).date().isoformat(), "result_sterility": "pass",
        "result_endotoxin": "0.2", "result_mycoplasma": "pass"})
    assert posted.status_code == 302
    assert Lot.objects.get(code="LOT-9").status == Lot.PENDING
    quality = _client(trial, QUALITY)
    assert "legally binding" in quality.get("/supply/").content.decode()
    wrong = quality.post("/supply/do/", {"do": "release", "lot_code": "LOT-9",
                                         "password": "wrong"}, follow=True)
    assert "password" in wrong.content.decode()
    assert Lot.objects.get(code="LOT-9").status == Lot.PENDING
    quality.post("/supply/do/", {"do": "release", "lot_code": "LOT-9", "password": PASSWORD})
    assert Lot.objects.get(code="LOT-9").status == Lot.RELEASED


def test_the_pharmacist_confirms_receipt_with_the_logger_csv_and_prepares_a_kit(trial):
    code, kit = randomize(trial.api("investigator-co-01"))
    released_lot_with_kits(trial, "LOT", [kit])
    shipment = ship(trial, [kit])
    pharmacist = _client(trial, "pharmacist-co-01")
    upload = SimpleUploadedFile("logger.csv", temperature_log([-180] * 6).encode(),
                                content_type="text/csv")
    pharmacist.post("/supply/do/", {"do": "receive", "shipment": str(shipment["id"]),
                                    "temperature_log": upload})
    assert Shipment.objects.get(pk=shipment["id"]).status == Shipment.RECEIVED
    record_weight(trial, code, 70)
    # the page reads a typed time in the reader's zone: the site's (Bogotá)
    thawed = (timezone.now() - dt.timedelta(minutes=30)).astimezone(
        site_zone("CO-01")).strftime("%Y-%m-%dT%H:%M")
    answer = pharmacist.post("/supply/do/", {"do": "prepare", "kit_code": kit,
                                             "thawed_at": thawed, "viability_percent": "91"},
                             follow=True)
    assert Preparation.objects.filter(slot__kit_code=kit).exists(), answer.content.decode()
    assert Preparation.objects.get().dose_cells == 70e6
    page = pharmacist.get(f"/supply/kits/{kit}/").content.decode()
    assert "70000000" in page and "Use by" in page


def test_the_pages_in_spanish_and_the_forecast_for_the_supply_manager_only(trial):
    kits = free_kits("CO-01", count=4)
    released_lot_with_kits(trial, "LOT", kits)
    ship_and_receive(trial, kits)
    body = _client(trial, SUPPLY, "es").get("/supply/").content.decode()
    assert "Suministro del producto" in body and "Existencias por centro" in body
    forecast = _client(trial, SUPPLY, "es").get("/supply/forecast/")
    assert forecast.status_code == 200
    assert "Probabilidad de desabastecimiento" in forecast.content.decode()
    for username in ("pharmacist-co-01", QUALITY, "investigator-co-01", "monitor"):
        assert _client(trial, username).get("/supply/forecast/").status_code == 403
    for username in ("investigator-co-01", "coordinator-co-01", "data_manager", "monitor",
                     "admin", "analyst"):
        assert _client(trial, username).get("/supply/").status_code == 403


def test_every_marked_string_of_the_app_is_in_its_spanish_catalogue(tmp_path, monkeypatch,
                                                                     settings):
    from pathlib import Path

    from catalogues import marked_strings_of_app, msgids

    import trialdesk.web.supply

    app = Path(trialdesk.web.supply.__file__).parent
    marked = marked_strings_of_app(app, tmp_path, monkeypatch, settings)
    assert marked and marked <= msgids(app / "locale" / "es" / "LC_MESSAGES" / "django.po")
