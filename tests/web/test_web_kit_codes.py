"""Kit codes on the server (issue 14): new lists use Crockford base32 and record it; a kit code
typed with a look-alike (O for 0, I or L for 1) finds its kit; a list loaded before the change
(no scheme recorded, codes 0-9A-Z) keeps its codes and its rules."""

from __future__ import annotations

from enrollment import randomize
from login import login_page_client

from trialdesk.randomization import RandomSource
from trialdesk.randomization.kit_codes import ALPHABET, CROCKFORD, LEGACY, METADATA_KEY
from trialdesk.web.trials.kits import loaded_kit_code_scheme, typed_kit_code
from trialdesk.web.trials.models import AllocationListRecord, AllocationSlot, Dispensing


def _with_look_alikes(code: str) -> str:
    """``code`` as a hurried hand might type it: lower case, no hyphen, O for 0, I/L for 1."""
    return code.replace("-", " ").replace("0", "O").replace("1", "l").lower()


def test_a_new_list_records_its_scheme_and_uses_only_crockford_base32(trial):
    record = AllocationListRecord.objects.get()
    assert record.metadata[METADATA_KEY] == CROCKFORD.name
    assert loaded_kit_code_scheme() is CROCKFORD
    codes = AllocationSlot.objects.values_list("kit_code", flat=True)
    assert set("".join(codes).replace("-", "")) <= set(ALPHABET)
    assert all(CROCKFORD.is_valid(code) for code in codes)


def test_a_kit_typed_with_look_alikes_is_dispensed_on_the_pharmacy_page(trial):
    investigator = trial.api("investigator-co-01")
    kit = ""
    for _ in range(12):  # about 40% of codes hold a 0 or a 1
        _, kit = randomize(investigator)
        if {"0", "1"} & set(kit):
            break
    assert {"0", "1"} & set(kit), "no kit with a 0 or a 1 in 12 randomizations"
    typed = _with_look_alikes(kit)
    assert typed != kit.lower().replace("-", " ")
    assert typed_kit_code(typed) == kit
    client = login_page_client("pharmacist-co-01")
    response = client.post("/pharmacy/", {"kit_code": typed, "lot": "LOT-14"})
    assert response.status_code == 302
    assert Dispensing.objects.get().slot.kit_code == kit


def test_a_list_loaded_before_issue_14_keeps_its_codes_and_rules(trial):
    # What a database of before the change holds: no scheme in the list's metadata, codes from
    # 0-9A-Z with the MOD 37,36 check (O and 0 are different characters there).
    record = AllocationListRecord.objects.get()
    metadata = dict(record.metadata)
    metadata.pop(METADATA_KEY)
    AllocationListRecord.objects.filter(pk=record.pk).update(metadata=metadata)
    slots = list(AllocationSlot.objects.order_by("sequence"))
    old_codes = LEGACY.generate(len(slots), RandomSource(b"o" * 32, "kit-codes"))
    for slot, code in zip(slots, old_codes, strict=True):
        slot.kit_code = code
    AllocationSlot.objects.bulk_update(slots, ["kit_code"])
    assert loaded_kit_code_scheme() is LEGACY

    investigator = trial.api("investigator-co-01")
    kit = ""
    for _ in range(12):
        _, kit = randomize(investigator)
        if set("01OI") & set(kit):
            break
    assert kit in old_codes
    # case, spaces and hyphens are forgiven; a look-alike is not: it names another code
    assert typed_kit_code(kit.lower().replace("-", " ")) == kit
    swapped = kit.translate(str.maketrans("01OI", "IO10"))
    if swapped != kit:
        assert typed_kit_code(swapped) != kit
    client = login_page_client("pharmacist-co-01")
    response = client.post("/pharmacy/", {"kit_code": kit.lower(), "lot": "LOT-OLD"})
    assert response.status_code == 302
    assert Dispensing.objects.get().slot.kit_code == kit


def test_a_code_copied_as_printed_costs_no_statement(trial, django_assert_num_queries):
    kit = AllocationSlot.objects.values_list("kit_code", flat=True).first()
    with django_assert_num_queries(0):
        assert typed_kit_code(kit) == kit
    with django_assert_num_queries(1):  # a look-alike or lower case asks the list's scheme
        assert typed_kit_code(kit.lower()) == kit


def test_the_api_finds_a_kit_typed_with_look_alikes(trial):
    investigator = trial.api("investigator-co-01")
    kit = ""
    for _ in range(12):
        _, kit = randomize(investigator)
        if {"0", "1"} & set(kit):
            break
    typed = kit.replace("-", "").replace("0", "o").replace("1", "I")
    pharmacist = trial.api("pharmacist-co-01")
    response = pharmacist.get(f"/api/v1/kits/{typed}")
    assert response.status_code == 200, response.content
    assert response.json()["kit_code"] == kit
    dispensed = pharmacist.post(f"/api/v1/kits/{typed}/dispense", {"lot": "LOT-API"})
    assert dispensed.status_code == 201, dispensed.content
    assert dispensed.json()["kit_code"] == kit
    # the other site's pharmacist gets the same 404 as for a kit that does not exist
    assert trial.api("pharmacist-co-02").get(f"/api/v1/kits/{typed}").status_code == 404
