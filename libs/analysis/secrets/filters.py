"""Tests that tell a credential from things shaped like one: placeholders, references,
documentation examples, UUIDs, hashes, sequences and words."""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter

# Substrings that mark a value as an example or a placeholder, whatever its shape.
PLACEHOLDER_PARTS = (
    "example",
    "sample",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "insert",
    "dummy",
    "fake",
    "redacted",
    "xxxx",
    "****",
    "...",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "credential",
    "lorem",
    "foobar",
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "yourpass",
    "todo",
    "fixme",
    "notreal",
    "not_real",
    "not-real",
    "notasecret",
    "not-a-secret",
    "not_a_secret",
    "secret",
    "password",
    "passwd",
    "mysql",
    "postgres",
    "abcdef",
    "123456",
    "qwerty",
    "letmein",
)
PLACEHOLDER_WORDS = frozenset(
    {
        "pass",
        "test",
        "tests",
        "testing",
        "admin",
        "root",
        "user",
        "username",
        "guest",
        "default",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "empty",
        "token",
        "key",
        "apikey",
        "api_key",
        "value",
        "string",
        "str",
        "required",
        "optional",
        "unset",
        "unknown",
        "inherit",
        "hidden",
        "masked",
        "private",
        "public",
        "local",
        "localhost",
        "development",
        "dev",
        "prod",
        "production",
        "staging",
        "demo",
        "sandbox",
        "temp",
        "tmp",
        "blank",
        "na",
        "n/a",
        "tbd",
        "foo",
        "bar",
        "baz",
        "hunter2",
    }
)
# The documentation examples providers publish, which appear in countless READMEs.
KNOWN_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "123e4567-e89b-12d3-a456-426614174000",  # the UUID of RFC 4122 and countless docs
    }
)
# How a value that stands for something else starts, in any file (first) and unquoted
# (second): YAML aliases, tags and anchors, expressions.
_REFERENCE = re.compile(
    r"^(?:\$[A-Za-z_{(]|#\{|env[.:(\[]|process\.env|os\.environ|os\.getenv|getenv"
    r"|System\.getenv|ENV\[|secrets\.|vars\.|settings\.|config\.|self\.|this\.|params\."
    r"|request\.|\{[A-Za-z_]\w*\}$)",
    re.I,
)
_UNQUOTED_REFERENCE = re.compile(r"^(?:![A-Za-z_]+(?:\s|$)|[<\[({])")  # YAML tags, flow
_YAML_ALIAS = re.compile(r"^[&*]([A-Za-z_][\w-]*)$")
_TEMPLATED = re.compile(
    r"\$\{[A-Za-z_]|\{\{[^{}]*\}\}|\$\([a-z]+[ )]|%\(\w+\)[sdr]|<%.*%>|\{%.*%\}|#\{[^}]*\}"
    r"|^\$[A-Z_][A-Z0-9_]*$|^<[^<>]{2,}>$|<(?:your|insert|replace|enter|my)[^<>]*>",
    re.I,
)
# printf/format placeholders count only when the rest of the value is words: "user_%s"
_FORMAT_SPEC = re.compile(r"%[sdrx]|\{\w*\}")
# A UUID, alone, braced ({...}, Windows GUIDs) or named by a scheme (urn:uuid:, uuid:)
_UUID = re.compile(
    r"^(?:[A-Za-z]+:)*\{?[0-9a-zA-Z]{8}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}"
    r"-[0-9a-zA-Z]{12}\}?$"
)
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_INTEGRITY = re.compile(r"^(?:sha1|sha256|sha384|sha512|md5)[-:]", re.I)
_PATHLIKE = re.compile(
    r"^(?:/|\./|\.\./|~/)[\w.@~/-]*$|^[A-Za-z]:\\|\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml"
    r"|txt|env|cfg|ini|conf|toml|xml|gpg|asc|pub)$",
    re.I,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_DOTTED = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+(?:\(\))?$")
_WORDY = re.compile(r"^[a-z]+(?:[-_ .][a-z]+)*$")
_CAMEL_CASE = re.compile(r"^(?:[A-Z]?[a-z]+|[A-Z](?=[A-Z][a-z])|[-_ .])+$")
_CAMEL_TOKENS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_REGEX = re.compile(r"\[[^\]]{2,}\][+*?{]|\(\?(?:[:=!]|<[=!]|P<)|\\[dwsbDWS][+*?{)]|\[\^|^\^.*\$$")
_FLAG = re.compile(r"^--[a-z][a-z0-9-]*=?$|^-[A-Za-z]$")
_VERSION = re.compile(r"^[\^~>=<]*v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$")
_WORD_NUMBER = re.compile(r"^([A-Za-z]{3,})[-_]?\d{1,8}$")
_IDENTIFIER_TOKENS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def has_run(value: str, length: int = 6) -> bool:
    """An ascending or descending run (abcdef, 123456) or one character repeated."""
    if len(value) < length:
        return False
    value = value.lower()
    up = down = same = 1
    for prev, cur in zip(value, value[1:], strict=False):
        step = ord(cur) - ord(prev)
        up = up + 1 if step == 1 else 1
        down = down + 1 if step == -1 else 1
        same = same + 1 if step == 0 else 1
        if up >= length or down >= length or same >= length:
            return True
    return False


_LEET = str.maketrans("0134579@$!|", "oieastgasil")
_LEET_WORDS = ("password", "passw", "secret", "changeme", "letmein", "welcome", "qwerty", "admin")


def _written(value: str, lowered: str, part: str) -> bool:
    """`part` occurs in `value` written as a word would be (fake, FAKE, Fake; not fAkE)."""
    index = lowered.find(part)
    while index >= 0:
        written = value[index : index + len(part)]
        if not part.isalpha() or written in (part, part.upper(), part.capitalize()):
            return True
        index = lowered.find(part, index + 1)
    return False


def count_runs(value: str, length: int) -> int:
    """How many ascending runs of at least `length` characters `value` has."""
    runs, up = 0, 1
    lowered = value.lower()
    for prev, cur in zip(lowered, lowered[1:], strict=False):
        up = up + 1 if ord(cur) - ord(prev) == 1 else 1
        if up == length:
            runs += 1
    return runs


def typed_sequence(value: str) -> bool:
    """Made of ascending runs of three or more (abc123def456): typed by a person."""
    covered, up = 0, 1
    lowered = value.lower()
    for prev, cur in zip(lowered, lowered[1:], strict=False):
        up = up + 1 if ord(cur) - ord(prev) == 1 else 1
        covered += 3 if up == 3 else 1 if up > 3 else 0
    return len(value) >= 6 and covered >= 0.75 * len(value)


def is_placeholder(value: str) -> bool:
    """Made-up, templated, example or obviously fake (P@ssw0rd and S3cr3t included)."""
    lowered = value.lower()
    for plain in (lowered.translate(_LEET), re.sub(r"[^a-z0-9]", "", lowered).translate(_LEET)):
        if any(word in plain for word in _LEET_WORDS):
            return True
    if count_runs(value, 4) >= 2 or typed_sequence(value):
        return True  # abcd1234defg5678, abc123def456: typed, not generated
    if value in KNOWN_EXAMPLES or "EXAMPLE" in value:
        return True
    if lowered.strip("'\"` ") in PLACEHOLDER_WORDS:
        return True
    if any(_written(value, lowered, part) for part in PLACEHOLDER_PARTS):
        return True
    if re.search(r"(?:^|[-_.])(?:test|dev|demo|local)(?:[-_.]|$)", lowered):
        return True
    return len(set(value)) <= 3


def is_reference(value: str, *, quoted: bool = True) -> bool:
    """A variable, expression, template or lookup standing in for the real value."""
    if _REFERENCE.match(value) is not None or is_templated(value):
        return True
    if quoted:
        return False
    alias = _YAML_ALIAS.match(value)
    return _UNQUOTED_REFERENCE.match(value) is not None or (
        alias is not None and _wordy_segment(alias.group(1))
    )


def is_templated(value: str) -> bool:
    """Contains template syntax: ${x}, {{ x }}, %(x)s, <your-key>, prefix_%s..."""
    if _TEMPLATED.search(value) is not None:
        return True
    if _FORMAT_SPEC.search(value) is None:
        return False
    rest = _FORMAT_SPEC.sub("", value).strip("_-./: ")
    return not rest or looks_like_words(rest) or re.fullmatch(r"[a-z_]+", rest) is not None


def is_uuid(value: str) -> bool:
    return _UUID.match(value) is not None


def is_hash_like(value: str) -> bool:
    """Lockfile integrity strings and digests written with their algorithm."""
    return _INTEGRITY.match(value) is not None


def char_classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def _pronounceable(token: str) -> bool:
    """A camelCase piece of a word: has a vowel, or is the word I or A."""
    if len(token) == 1:
        return token in "IA"
    return any(c in "aeiouyAEIOUY" for c in token)


def looks_like_words(value: str) -> bool:
    """Plain words (my-app-key, Some Label, camelCaseName), not random material.

    Words have vowels and tokens of a few letters; random letters split into many
    one- and two-letter camel-case pieces with few vowels.
    """
    if any(c.isdigit() for c in value):
        return False
    letters = [c for c in value if c.isalpha()]
    if not letters:
        return False
    if _WORDY.match(value.lower()) is None and not value.isalpha():
        return False
    mixed = any(c.isupper() for c in letters) and any(c.islower() for c in letters)
    tokens = _CAMEL_TOKENS.findall(value)
    if mixed and not (_CAMEL_CASE.match(value) and all(map(_pronounceable, tokens))):
        return False  # words mix case only as camelCase/PascalCase: UqfduIacTIT is random
    vowels = sum(c in "aeiouyAEIOUY" for c in letters) / len(letters)
    mean = sum(map(len, tokens)) / len(tokens) if tokens else 0
    return (vowels >= 0.28 and mean >= 3) or (vowels >= 0.2 and mean >= 4.5)


def looks_like_code(value: str) -> bool:
    """Identifiers, dotted names, env var names, paths, URLs, versions and regexes."""
    return (
        _ENV_NAME.match(value) is not None
        or _REGEX.search(value) is not None
        or (_DOTTED.match(value) is not None and all(map(_wordy_segment, value.split("."))))
        or _PATHLIKE.search(value) is not None
        or _VERSION.match(value) is not None
        or value.startswith(("http://", "https://", "file:", "arn:", "projects/"))
        or (value.startswith(".") and all(map(_wordy_segment, value[1:].split("."))))
        or _FLAG.match(value) is not None
        or value.isdigit()
    )


def _wordy_segment(segment: str) -> bool:
    """A piece of a dotted name: a word, snake_case, UPPER_CASE or a short abbreviation."""
    letters = segment.strip("_-()")
    if len(letters) <= 3:
        return True
    plain = letters.replace("_", "").replace("-", "")
    if plain.isalpha() and (plain.islower() or plain.isupper()):
        return True
    return looks_like_words(letters)


def wordy_parts(value: str) -> bool:
    """Words joined by punctuation: geheim$parole, serverlessrepo:applicationId."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", value) if p]
    return len(parts) > 1 and all(
        p.isalpha() and (len(p) <= 3 or looks_like_words(p) or looks_like_identifier(p))
        for p in parts
    )


def looks_like_identifier(value: str) -> bool:
    """CamelCase/snake names (ServerlessV2PlatformVersions) and word+number (cachedvol112233).

    Random material splits into many short case/digit runs; names into a few long ones.
    """
    word_number = _WORD_NUMBER.match(value)
    if word_number is not None:
        return looks_like_words(word_number.group(1)) or word_number.group(1).islower()
    if not re.fullmatch(r"[A-Za-z0-9_]+", value) or _HEX.match(value):
        return False
    tokens = _IDENTIFIER_TOKENS.findall(value)
    return bool(tokens) and len(tokens) / len(value) < 0.25


def decode_base64_text(value: str) -> str | None:
    """The text a base64 value encodes, when it encodes printable text (k8s Secret data)."""
    if len(value) < 8 or len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() and text.strip() == text and text else None


def random_enough(value: str, *, min_length: int, min_entropy: float) -> bool:
    """Long and varied enough to be generated material rather than something typed."""
    if len(value) < min_length or has_run(value):
        return False
    threshold = min_entropy
    if _HEX.match(value):
        # hex has only 16 symbols, and a short string cannot show them all: 98 % of random
        # hex strings of 10-16 characters reach log2(length) - 1.1 bits (a 12-character
        # Akismet key holds 7 distinct symbols)
        threshold = min(min_entropy, 2.7, math.log2(len(value)) - 1.1)
    return entropy(value) >= threshold
