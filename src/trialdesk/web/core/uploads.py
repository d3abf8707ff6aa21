"""The first upload handler: a file is kept only up to ``settings.TRIALDESK_UPLOAD_MAX_BYTES``.

Past the limit the rest of the file is discarded as it streams in (Django's ``SkipFile``): it is
neither stored nor parsed, the request's other fields still arrive (the CSRF token), and the
field's name is added to ``request.uploads_too_large`` for the view to answer 413 naming the
limit. Whatever the view does, a file over the limit never reaches it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


def uploads_too_large(request: Any) -> list[str]:
    """The names of the file fields of ``request`` refused for their size (after parsing)."""
    return list(getattr(request, "uploads_too_large", []))


class UploadLimitHandler(FileUploadHandler):
    def _refuse(self) -> None:
        if not hasattr(self.request, "uploads_too_large"):
            self.request.uploads_too_large = []
        if self.field_name not in self.request.uploads_too_large:
            self.request.uploads_too_large.append(self.field_name)
        raise SkipFile

    def new_file(self, field_name: str, file_name: str, content_type: str,
                 content_length: int | None, charset: str | None = None,
                 content_type_extra: dict | None = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset,
                         content_type_extra)
        # the part says how long it is (browsers rarely do): refuse before reading it
        if content_length is not None and content_length > settings.TRIALDESK_UPLOAD_MAX_BYTES:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.TRIALDESK_UPLOAD_MAX_BYTES:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers keep the file
