"""Readable, stable column names for custom fields (the rules are documented in transforms/README.md).

Column names are what dashboards depend on, so they are chosen once and then kept: a field keeps
its column as long as its name does not change, a field whose name is pinned in the pinning file
always gets the pinned column, and clashes never silently overwrite each other.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

from shared.failures import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Postgres truncates identifiers at 63 bytes; staying under it keeps the views exportable to most warehouses.
MAX_IDENTIFIER_BYTES = 63
HASH_SUFFIX_CHARS = 6
LEADING_DIGIT_PREFIX = "field_"
KEYWORD_SUFFIX = "_field"
EMPTY_NAME_PREFIX = "field_"

# Latin letters that NFKD does not decompose into ASCII.
LATIN_LETTERS = {
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "þ": "th",
    "ı": "i",
    "ŧ": "t",
    "ħ": "h",
}


FIELD_ENTITIES = ("deal_fields", "person_fields", "organization_fields", "product_fields", "activity_fields")


class PinningFileError(ValueError, UserError):
    """The column-names file cannot be used as written: the message names the file and the fix."""


@dataclass(frozen=True)
class CustomField:
    """A custom field as the naming rules see it."""

    key: str
    name: str
    value_suffixes: tuple[str, ...] = ("",)  # column suffixes the field's type produces, "" = the base column


@dataclass(frozen=True)
class Assignment:
    key: str
    field_name: str
    column: str
    how: str  # "pinned" | "kept" | "derived" | "suffixed"


@lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """DuckDB's reserved keywords: a column named like one would need quoting in every query."""
    with duckdb.connect() as con:
        rows = con.execute("select keyword_name from duckdb_keywords() where keyword_category = 'reserved'")
        return frozenset(row[0] for row in rows.fetchall())


def snake_case(name: str) -> str:
    """Lower-case words joined by `_`: Latin accents dropped, other scripts kept, the rest separates."""
    words: list[str] = []
    current: list[str] = []
    for char in name:
        for piece in transliterate(char):
            if piece.isalnum():
                current.append(piece)
            elif current:
                words.append("".join(current))
                current = []
    if current:
        words.append("".join(current))
    return "_".join(split_camel_case(word) for word in words).lower()


def transliterate(char: str) -> str:
    """One character as the name uses it: ASCII and Latin letters to ASCII, other scripts unchanged."""
    if char.isascii():
        return char
    lower = char.lower()
    if lower in LATIN_LETTERS:
        return LATIN_LETTERS[lower]
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if decomposed.isascii():
        return decomposed
    return char if char.isalnum() else " "


def split_camel_case(word: str) -> str:
    """`dealOwner` -> `deal_owner`, `ARRValue` -> `arr_value`; words in other scripts are left alone."""
    word = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", word)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", word)


def base_column_name(field_name: str, field_key: str, reserve_bytes: int = 0) -> str:
    """The column a field would get if nothing clashed with it."""
    name = snake_case(field_name)
    if not name:
        name = EMPTY_NAME_PREFIX + field_key[:HASH_SUFFIX_CHARS]
    if name[0].isdigit():
        name = LEADING_DIGIT_PREFIX + name
    if name in reserved_words():
        name += KEYWORD_SUFFIX
    return truncate(name, MAX_IDENTIFIER_BYTES - reserve_bytes)


def truncate(name: str, max_bytes: int) -> str:
    """Cut to at most max_bytes of UTF-8, on a character boundary, without a trailing `_`."""
    encoded = name.encode()
    if len(encoded) <= max_bytes:
        return name
    return encoded[:max_bytes].decode(errors="ignore").rstrip("_")


def with_hash_suffix(base: str, field_key: str, hash_chars: int, reserve_bytes: int) -> str:
    suffix = "_" + field_key[:hash_chars]
    return truncate(base, MAX_IDENTIFIER_BYTES - reserve_bytes - len(suffix)) + suffix


def assign_columns(
    fields: Iterable[CustomField],
    builtin_columns: Iterable[str],
    previous: Mapping[str, tuple[str, str]] | None = None,
    pinned: Mapping[str, str] | None = None,
) -> dict[str, Assignment]:
    """Choose one column name per field key.

    previous: field key -> (field name, column) from the last run; pinned: field key -> column.
    Order of precedence: pinned names, then columns kept from the last run (field not renamed),
    then new names in field-key order, a clashing name getting the first 6 hex chars of the key.
    """
    fields = sorted(fields, key=lambda field: field.key)
    previous = previous or {}
    pinned = pinned or {}
    taken = set(builtin_columns)
    result: dict[str, Assignment] = {}

    def columns_of(field: CustomField, column: str) -> set[str]:
        return {column + suffix for suffix in field.value_suffixes}

    def claim(field: CustomField, column: str, how: str) -> bool:
        wanted = columns_of(field, column)
        if wanted & taken:
            return False
        taken.update(wanted)
        result[field.key] = Assignment(field.key, field.name, column, how)
        return True

    for field in fields:
        if field.key in pinned and not claim(field, pinned[field.key], "pinned"):
            raise PinningFileError(
                f"the column-names file pins {pinned[field.key]!r} for field {field.key} ({field.name!r}), "
                "which clashes with a built-in column or another pinned field; pin another name"
            )
    for field in fields:
        kept = previous.get(field.key)
        if field.key not in result and kept and kept[0] == field.name:
            claim(field, kept[1], "kept")
    for field in fields:
        if field.key in result:
            continue
        reserve = max(len(suffix.encode()) for suffix in field.value_suffixes)
        if claim(field, base_column_name(field.name, field.key, reserve), "derived"):
            continue
        base = base_column_name(field.name, field.key)
        for hash_chars in range(HASH_SUFFIX_CHARS, len(field.key) + 1):
            if claim(field, with_hash_suffix(base, field.key, hash_chars, reserve), "suffixed"):
                break
        else:
            raise ValueError(f"no free column name for field {field.key}")
    return result


def load_pinned_columns(path: str | Path | None, required: bool = False) -> dict[str, dict[str, str]]:
    """The pinning file: `[deal_fields]` tables of `<field key> = "<column>"`. A missing file means
    no pins, unless `required` (the user named it). A syntax error, an unknown section (a typo would
    silently pin nothing) or a value that is not a name is a PinningFileError."""
    if path is None or not Path(path).exists():
        if required:
            raise PinningFileError(f"the column-names file {path} does not exist; check --column-names")
        return {}
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise PinningFileError(f"{path} is not valid TOML: {error}") from None
    for field_entity, pins in document.items():
        if field_entity not in FIELD_ENTITIES or not isinstance(pins, dict):
            raise PinningFileError(
                f"{path}: unknown section [{field_entity}]; sections are {', '.join(FIELD_ENTITIES)}"
            )
        for key, column in pins.items():
            if not isinstance(column, str) or not column:
                raise PinningFileError(f"{path}: [{field_entity}] {key} must be a non-empty string")
    return document
