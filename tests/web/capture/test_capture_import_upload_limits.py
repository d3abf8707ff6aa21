"""Uploads at ``/capture/import/``: a file that is not UTF-8 is a 422 naming the field (it was a
500: decoded outside the ``try``), and a file over the import limit is a 413 naming the limit,
refused as it streams in: never stored whole, read or parsed (a 50 MB upload used to be read and
parsed for 10 s before being refused)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from login import signed_in_client

from trialdesk.web import settings as server_settings
from trialdesk.web.capture import importing, views_review
from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"
HEADER = "participant,visit,form,heart_rate,systolic_bp,diastolic_bp,temperature\n"


def _client(trial: Any) -> Client:
    return signed_in_client(trial.users[COORD], raise_request_exception=False)


def _upload(client: Client, content: bytes, fmt: str = "csv") -> Any:
    upload = SimpleUploadedFile(f"rows.{fmt}", content, content_type="text/csv")
    return client.post("/capture/import/", {"format": fmt, "file": upload})


def _stored() -> tuple[int, int]:
    return FormInstance.objects.count(), AuditRecord.objects.count()


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count what reaches the parser and the bytes Django's own upload handlers store."""
    seen = {"parsed": 0, "stored": 0}
    parse_rows = importing.parse_rows

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        seen["parsed"] += 1
        return parse_rows(*args, **kwargs)

    monkeypatch.setattr(views_review, "parse_rows", counting_parse)
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        receive = handler.receive_data_chunk

        def counting_receive(self: Any, raw_data: bytes, start: int,
                             _receive: Any = receive) -> Any:
            if getattr(self, "activated", True):  # the memory handler passes on big files
                seen["stored"] += len(raw_data)
            return _receive(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting_receive)
    return seen


@pytest.mark.parametrize("content", [
    "participant,visit\nCO-01-0001,día0\n".encode("latin-1"),  # Windows-1252/Latin-1 export
    b"\xff\xfep\x00a\x00r\x00",  # UTF-16
    b"participant,visit\n\xc3\n",  # a truncated UTF-8 sequence
])
def test_an_upload_that_is_not_utf8_is_a_422_naming_the_file(trial, content):
    client = _client(trial)
    before = _stored()
    response = _upload(client, content)
    assert response.status_code == 422, response.content[:300]
    assert "file: must be UTF-8 text" in response.content.decode()
    assert _stored() == before


def test_a_utf8_upload_with_a_byte_order_mark_is_read(trial):
    response = _upload(_client(trial), "\ufeff".encode() + HEADER.encode())
    assert response.status_code == 200, response.content[:300]
    assert 'id="import-result"' in response.content.decode()


def test_an_upload_over_the_import_limit_is_a_413_naming_it_and_is_never_read(trial, spies):
    client = _client(trial)
    before = _stored()
    limit = server_settings.TRIALDESK_IMPORT_MAX_BYTES
    row = "CO-01-0001,day0,vital_signs,80,120,70,37.0\n"
    content = (HEADER + row * (limit // len(row) + 100)).encode()
    assert len(content) > limit
    response = _upload(client, content)
    assert response.status_code == 413, response.content[:300]
    assert "file: must be at most 5 MB (the import limit)" in response.content.decode()
    assert spies["parsed"] == 0
    assert spies["stored"] <= limit  # the rest was discarded as it came in
    assert _stored() == before


def test_the_limit_is_checked_on_the_bytes_of_the_file(trial, settings, spies):
    settings.TRIALDESK_IMPORT_MAX_BYTES = settings.TRIALDESK_UPLOAD_MAX_BYTES = 4096
    client = _client(trial)
    under = (HEADER + "\n" * (4096 - len(HEADER))).encode()  # blank lines: no rows
    response = _upload(client, under)
    assert response.status_code == 200, response.content[:300]
    assert spies["parsed"] == 1
    response = _upload(client, under + b"\n")
    assert response.status_code == 413, response.content[:300]
    assert "file: must be at most 4 KB (the import limit)" in response.content.decode()
    assert spies["parsed"] == 1


def test_pasted_text_over_the_import_limit_is_a_413(trial, settings, spies):
    settings.TRIALDESK_IMPORT_MAX_BYTES = 4096
    response = _client(trial).post("/capture/import/", {"format": "csv",
                                                        "text": HEADER + "x" * 5000})
    assert response.status_code == 413, response.content[:300]
    assert "text: must be at most 4 KB (the import limit)" in response.content.decode()
    assert spies["parsed"] == 0


def test_the_upload_settings_fit_the_import_limit():
    limit = server_settings.TRIALDESK_IMPORT_MAX_BYTES
    assert limit == 5 * 2**20
    assert limit == server_settings.TRIALDESK_UPLOAD_MAX_BYTES
    handler = server_settings.FILE_UPLOAD_HANDLERS[0]
    assert handler == "trialdesk.web.core.uploads.UploadLimitHandler"
    # files over 1 MB go to a temporary file, not memory; a pasted or API import fits a body
    assert server_settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2**20
    assert limit < server_settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2 * limit
