"""Kit codes: random labels for the infusion bags, each ending in a check character.

A kit code is seven random characters plus one check character, printed as ``ABCD-EFGH``. The
random part is drawn from its own stream of the seed (``"kit-codes"``), independent of the arms,
so neither a code nor the order of codes says anything about the arm.

Two schemes exist; a list records its own in its metadata as ``kit_code_scheme``:

``crockford32-gf32`` (:data:`CROCKFORD`, every list generated since issue 14)
    Characters from Crockford's base32 alphabet ``0123456789ABCDEFGHJKMNPQRSTVWXYZ``: no I, L, O or
    U, so a code never mixes O with 0 or I/L with 1 (``ATV3-O0UH`` was misread at the bedside).
    Input is read as Crockford specifies: case does not matter, I and L are read as 1, O as 0,
    hyphens and spaces are ignored, so a code typed with a look-alike still finds its kit.

    The check character comes from the same 32 characters: it is chosen so that
    ``sum(alpha**(7 - i) * value_i) == 0`` over the field GF(32) (polynomial x^5 + x^2 + 1, alpha
    a root, so alpha has order 31; ``value_i`` is the character's position in the alphabet, as
    in Crockford's encoding). This is a weighted check of the family of the old MOD 37,36 one,
    moved to a field with exactly 32 elements. Why not the other candidates:

    - Luhn mod 32 and ISO 7064 MOD 33,32 (the old scheme's family at N = 32) need no new
      arithmetic but miss about 1 in 420 transpositions of adjacent characters (measured: 48 and
      49 of 20,300), and Luhn misses every transposition across one character.
    - Crockford's own mod-37 check catches them all but needs five check symbols outside the
      alphabet (``* ~ $ = U``): U is one of the letters left out, and punctuation on a bag label
      is easy to miss or to mistype.

    Over GF(32) every weight is non-zero and the weights of any two of the eight positions differ,
    so every single-character substitution and every transposition of two characters (adjacent
    or not) changes the sum: all are caught (exhaustively checked in the tests).

``iso7064-mod37-36`` (:data:`LEGACY`, lists made before issue 14, and lists that record no scheme)
    Characters ``0-9A-Z`` with the ISO/IEC 7064 hybrid MOD 37,36 check character. O and 0, I and 1
    are different characters here, so input is only upper-cased: such lists keep working exactly
    as they were made.

Stored codes and commitments: :func:`format_kit_code` only upper-cases and re-hyphenates, whatever
the scheme; it is what the commitment hashes (``commitment.canonical_row``), so a list committed
under the old scheme verifies byte for byte as before. Reading look-alikes (:func:`read_kit_code`)
is for what a person types, never for what a list stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .random_source import RandomSource

RANDOM_LENGTH = 7
CODE_LENGTH = RANDOM_LENGTH + 1


@dataclass(frozen=True)
class KitCodeScheme:
    """An alphabet, its check character and how typed input is read."""

    name: str
    alphabet: str
    description: str
    # typed character -> the alphabet's character it stands for (Crockford's look-alikes)
    look_alikes: tuple[tuple[str, str], ...]
    _check: Callable[[Sequence[int]], int]  # check value of a payload's character values
    _valid: Callable[[Sequence[int]], bool]  # whether a whole code's values pass the check

    def check_character(self, payload: str) -> str:
        """Return the check character for ``payload`` (characters of this alphabet)."""
        payload = payload.upper()
        bad = sorted({character for character in payload if character not in self.alphabet})
        if bad:
            raise ValueError(
                f"kit code characters must be from {self.description}, got {''.join(bad)!r}"
            )
        return self.alphabet[self._check([self.alphabet.index(c) for c in payload])]

    def is_valid(self, code: str) -> bool:
        """Return True if ``code`` as written (case, hyphens and spaces aside) is a code of this
        scheme: the right length, only this alphabet, and the check character matches."""
        code = normalize_kit_code(code)
        if len(code) != CODE_LENGTH or any(character not in self.alphabet for character in code):
            return False
        return self._valid([self.alphabet.index(character) for character in code])

    def read(self, typed: str) -> str | None:
        """Return the code a person typed, as stored (``ABCD-EFGH``), or None if it is none.

        Look-alikes are read as the characters they stand for (Crockford: I, L -> 1, O -> 0).
        """
        code = normalize_kit_code(typed)
        for look_alike, meant in self.look_alikes:
            code = code.replace(look_alike, meant)
        return format_kit_code(code) if self.is_valid(code) else None

    def generate(self, count: int, source: RandomSource) -> list[str]:
        """Return ``count`` distinct codes drawn from ``source``, formatted ``ABCD-EFGH``."""
        size = len(self.alphabet)
        codes: list[str] = []
        seen: set[str] = set()
        while len(codes) < count:
            payload = "".join(self.alphabet[source.below(size)] for _ in range(RANDOM_LENGTH))
            if payload in seen:  # 32**7 ≈ 3.4e10 codes, so a repeat is rare but must not slip by
                continue
            seen.add(payload)
            codes.append(format_kit_code(payload + self.check_character(payload)))
        return codes


# --- ISO/IEC 7064 hybrid MOD 37,36 over 0-9A-Z (the scheme before issue 14) ---------------------

_M36 = 36


def _mod37_36_sum(values: Sequence[int]) -> int:
    # ISO/IEC 7064 hybrid system with M = 36, M + 1 = 37 (clause 7 of the standard).
    check = _M36 // 2
    for value in values:
        check = (((check or _M36) * 2) % (_M36 + 1) + value) % _M36
    return check


def _mod37_36_check(values: Sequence[int]) -> int:
    return (1 - ((_mod37_36_sum(values) or _M36) * 2) % (_M36 + 1)) % _M36


# --- weighted sum over GF(32) ------------------------------------------------------------------

_GF32_MODULUS = 0b100101  # x^5 + x^2 + 1, primitive: x generates all 31 non-zero elements


def _gf32_times_x(value: int) -> int:
    value <<= 1
    return value ^ _GF32_MODULUS if value & 0b100000 else value


def _gf32_sum(values: Sequence[int]) -> int:
    # Horner: ((v_0 * x + v_1) * x + ...) = sum of v_i * x^(n-1-i); addition is XOR
    total = 0
    for value in values:
        total = _gf32_times_x(total) ^ value
    return total


def _gf32_check(values: Sequence[int]) -> int:
    # The code's sum is payload_sum * x + check, which is zero for check = payload_sum * x
    # (in characteristic 2, minus is plus).
    return _gf32_times_x(_gf32_sum(values))


LEGACY = KitCodeScheme(
    name="iso7064-mod37-36",
    alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    description="0-9 or A-Z, ISO 7064 MOD 37,36 check",
    look_alikes=(),
    _check=_mod37_36_check,
    _valid=lambda values: _mod37_36_sum(values) == 1,
)
CROCKFORD = KitCodeScheme(
    name="crockford32-gf32",
    alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ",
    description="Crockford base32: 0-9 and A-Z without I, L, O, U; GF(32) check",
    look_alikes=(("I", "1"), ("L", "1"), ("O", "0")),
    _check=_gf32_check,
    _valid=lambda values: _gf32_sum(values) == 0,
)
CURRENT = CROCKFORD
SCHEMES = {scheme.name: scheme for scheme in (CROCKFORD, LEGACY)}
METADATA_KEY = "kit_code_scheme"

ALPHABET = CURRENT.alphabet  # what new codes are made of


def scheme_named(name: str | None) -> KitCodeScheme:
    """Return the scheme a list's metadata names; a list that names none predates issue 14."""
    if name is None:
        return LEGACY
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(
            f"unknown kit code scheme {name!r} (known: {', '.join(SCHEMES)})"
        ) from None


def scheme_of_codes(codes: Iterable[str]) -> KitCodeScheme | None:
    """Return the scheme every one of ``codes`` belongs to as written (current first), or None.

    For a list that carries no metadata (a CSV file): its codes are checked by the scheme they
    were made with. A code in the current alphabet whose check also passes the old one is
    identical under both, so the choice changes nothing that is stored or committed.
    """
    codes = list(codes)
    for scheme in (CURRENT, *(s for s in SCHEMES.values() if s is not CURRENT)):
        if all(scheme.is_valid(code) for code in codes):
            return scheme
    return None


def check_character(payload: str, scheme: KitCodeScheme = CURRENT) -> str:
    """Return the check character for ``payload`` under ``scheme`` (by default the current one)."""
    return scheme.check_character(payload)


def normalize_kit_code(code: str) -> str:
    """Return ``code`` upper-cased without hyphens or spaces (the form the check is computed on).

    No look-alike is replaced: in an old list O and 0 are different characters.
    """
    return "".join(code.split()).replace("-", "").upper()


def format_kit_code(code: str) -> str:
    """Return a normalized 8-character code printed as ``ABCD-EFGH`` (the stored form)."""
    code = normalize_kit_code(code)
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def is_valid_kit_code(code: str, scheme: KitCodeScheme = CURRENT) -> bool:
    """Return True if ``code`` has the right length, alphabet and check character."""
    return scheme.is_valid(code)


def read_kit_code(typed: str, scheme: KitCodeScheme = CURRENT) -> str | None:
    """Return the stored form of a typed code (look-alikes read as meant), or None if invalid."""
    return scheme.read(typed)


def generate_kit_codes(
    count: int, source: RandomSource, scheme: KitCodeScheme = CURRENT
) -> list[str]:
    """Return ``count`` distinct kit codes drawn from ``source``, formatted ``ABCD-EFGH``."""
    return scheme.generate(count, source)
