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
_UNQUOTED_REFERENCE = re.compile(r"^(?:[$%@&*!<\[({])")
_TEMPLATED = re.compile(
    r"\$\{|\{\{|\$\([a-z]+[ )]|%\(\w+\)[sdr]|<%|\{%|#\{|\$[A-Z_]{3,}"
    r"|(?<=[\w/:.-])%[sdrx](?![A-Za-z0-9])|\{\d*\}"
)
_ANGLE = re.compile(r"<[A-Za-z][\w .-]{2,}>")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_INTEGRITY = re.compile(r"^(?:sha1|sha256|sha384|sha512|md5)[-:]", re.I)
_PATHLIKE = re.compile(
    r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|cfg|ini"
    r"|conf|toml|xml|gpg|asc|pub)$",
    re.I,
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_DOTTED = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+(?:\(\))?$")
_WORDY = re.compile(r"^[a-z]+(?:[-_ .][a-z]+)*$")
_CAMEL_WORDS = re.compile(r"^(?:[A-Z]?[a-z]{2,})+$")
_REGEX = re.compile(r"\[[^\]]+\][+*?{]|\(\?[:=!<P]|\\[dwsbDWS]|\[\^")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$")


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


def is_placeholder(value: str) -> bool:
    """Made-up, templated, example or obviously fake (P@ssw0rd and S3cr3t included)."""
    lowered = value.lower()
    plain = lowered.translate(_LEET)
    if any(word in plain for word in _LEET_WORDS):
        return True
    if value in KNOWN_EXAMPLES or "EXAMPLE" in value:
        return True
    if lowered.strip("'\"` ") in PLACEHOLDER_WORDS:
        return True
    if any(part in lowered for part in PLACEHOLDER_PARTS):
        return True
    if re.search(r"(?:^|[-_.])(?:test|dev|demo|local)(?:[-_.]|$)", lowered):
        return True
    return len(set(value)) <= 3


def is_reference(value: str, *, quoted: bool = True) -> bool:
    """A variable, expression, template or lookup standing in for the real value."""
    if _REFERENCE.match(value) is not None or is_templated(value):
        return True
    return not quoted and _UNQUOTED_REFERENCE.match(value) is not None


def is_templated(value: str) -> bool:
    """Contains template syntax: ${x}, {{ x }}, %(x)s, <your-key>..."""
    return _TEMPLATED.search(value) is not None or _ANGLE.search(value) is not None


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


def looks_like_words(value: str) -> bool:
    """Plain words (my-app-key, Some Label, camelCaseName), not random material."""
    if any(c.isdigit() for c in value):
        return False
    if value.isalpha() and (value.islower() or value.istitle() or value.isupper()):
        return True
    return _WORDY.match(value.lower()) is not None or _CAMEL_WORDS.match(value) is not None


def looks_like_code(value: str) -> bool:
    """Identifiers, dotted names, env var names, paths, URLs, versions and regexes."""
    return (
        _ENV_NAME.match(value) is not None
        or _REGEX.search(value) is not None
        or _DOTTED.match(value) is not None
        or _PATHLIKE.search(value) is not None
        or _VERSION.match(value) is not None
        or value.startswith(("http://", "https://", "file:", "arn:", "projects/", ".", "-"))
        or value.isdigit()
    )


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
        threshold = min(min_entropy, 3.0)  # hex has only 16 symbols
    return entropy(value) >= threshold
