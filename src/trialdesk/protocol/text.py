"""Texts shown to people, with their translations.

In the protocol file a text is either a plain string (English only) or a table of languages:
``label = { en = "Heart rate", es = "Frecuencia cardiaca" }``. English is always required; a missing
translation falls back to English and ``protocol check`` lists it.
"""

from __future__ import annotations

from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

DEFAULT_LANGUAGE = "en"


class LocalizedText:
    """A text in several languages; ``text(lang)`` falls back to English."""

    __slots__ = ("translations",)

    def __init__(self, translations: dict[str, str]) -> None:
        self.translations = dict(translations)

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        """Return the text in ``language`` (e.g. "es" or "es-co"), else in English."""
        for candidate in (language, language.split("-")[0].lower()):
            if candidate in self.translations:
                return self.translations[candidate]
        return self.translations[DEFAULT_LANGUAGE]

    def missing(self, languages: list[str]) -> list[str]:
        """Return the languages in ``languages`` that have no translation."""
        return [language for language in languages if language not in self.translations]

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"LocalizedText({self.translations!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalizedText) and other.translations == self.translations

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.translations.items())))

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source_type: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def parse(value: Any) -> LocalizedText:
            if isinstance(value, LocalizedText):
                return value
            if isinstance(value, str):
                if not value.strip():
                    raise PydanticCustomError("text_empty", "a text must not be empty")
                return cls({DEFAULT_LANGUAGE: value})
            if isinstance(value, dict):
                if DEFAULT_LANGUAGE not in value:
                    raise PydanticCustomError(
                        "text_english", "a translated text needs its English version ('en')"
                    )
                bad = [key for key, text in value.items() if not isinstance(text, str)]
                if bad:
                    raise PydanticCustomError(
                        "text_type", "translation {language!r} must be text", {"language": bad[0]}
                    )
                return cls(value)
            raise PydanticCustomError(
                "text_type", "a text must be a string or a table of languages such as {{en = ...}}"
            )

        return core_schema.no_info_plain_validator_function(
            parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda text: text.translations
            ),
        )
