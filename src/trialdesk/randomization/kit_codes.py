"""Kit codes: random labels for the infusion bags, with an ISO/IEC 7064 MOD 37,36 check character.

A kit code is seven random characters from ``0-9A-Z`` plus one check character, printed as
``ABCD-EFGH``. The random part is drawn from its own stream of the seed, independent of the arms,
so neither a code nor the order of codes says anything about the arm. The hybrid MOD 37,36 system
catches every single-character substitution and all but about 0.2% of transpositions of two
adjacent characters (measured in the tests), which are the usual typing errors.
"""

from __future__ import annotations

from .random_source import RandomSource

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
RANDOM_LENGTH = 7
_MODULUS = len(ALPHABET)


def _checksum(characters: str) -> int:
    # ISO/IEC 7064 hybrid system with M = 36, M + 1 = 37 (clause 7 of the standard).
    check = _MODULUS // 2
    for character in characters:
        check = (((check or _MODULUS) * 2) % (_MODULUS + 1) + ALPHABET.index(character)) % _MODULUS
    return check


def check_character(payload: str) -> str:
    """Return the MOD 37,36 check character for ``payload`` (characters from ``0-9A-Z``)."""
    payload = payload.upper()
    _require_alphabet(payload)
    return ALPHABET[(1 - ((_checksum(payload) or _MODULUS) * 2) % (_MODULUS + 1)) % _MODULUS]


def normalize_kit_code(code: str) -> str:
    """Return ``code`` upper-cased without hyphens or spaces (the form the check is computed on)."""
    return "".join(code.split()).replace("-", "").upper()


def format_kit_code(code: str) -> str:
    """Return a normalized 8-character code printed as ``ABCD-EFGH``."""
    code = normalize_kit_code(code)
    return f"{code[:4]}-{code[4:]}" if len(code) == RANDOM_LENGTH + 1 else code


def is_valid_kit_code(code: str) -> bool:
    """Return True if ``code`` has the right length, alphabet and check character."""
    code = normalize_kit_code(code)
    if len(code) != RANDOM_LENGTH + 1 or any(character not in ALPHABET for character in code):
        return False
    return _checksum(code) == 1


def generate_kit_codes(count: int, source: RandomSource) -> list[str]:
    """Return ``count`` distinct kit codes drawn from ``source``, formatted ``ABCD-EFGH``."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        payload = "".join(ALPHABET[source.below(_MODULUS)] for _ in range(RANDOM_LENGTH))
        if payload in seen:  # 36**7 ≈ 7.8e10 codes, so a repeat is rare but must not slip through
            continue
        seen.add(payload)
        codes.append(format_kit_code(payload + check_character(payload)))
    return codes


def _require_alphabet(text: str) -> None:
    bad = sorted({character for character in text if character not in ALPHABET})
    if bad:
        raise ValueError(f"kit code characters must be 0-9 or A-Z, got {''.join(bad)!r}")
