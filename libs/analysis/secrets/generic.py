"""The keyword-and-entropy rule: `<secret-ish name> <assignment> <random-looking value>`.

It understands the assignment shapes of code and configuration (`=`, `:`, `:=`, `=>`,
typed declarations, `ENV NAME value`, `--password value`, `getenv("NAME", "default")`,
`<password>...</password>`, `name: X` / `value: Y` pairs) and decides from the name
whether the value would be a password or a token, then from the value whether it is
real material rather than a placeholder, reference or word.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from libs.analysis.secrets import filters

Kind = Literal["password", "token", "keyish"]  # keyish: "<something>_key", held to more

GENERIC_ANCHORS = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "_key",
    "-key",
    "key_",
    "accesskey",
    "privatekey",
    "masterkey",
    "credential",
    "creds",
    "_pat=",
    "_pat:",
    "_pat ",
    '_pat"',
    "_pat'",
)
_PASSWORD_NOUNS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "pw", "passw"})
_TOKEN_NOUNS = frozenset({"secret", "token", "credential", "credentials", "creds", "pat"})
_COMPOUND_KEYS = (
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "masterkey",
    "authkey",
    "authtoken",
    "accesstoken",
    "refreshtoken",
    "clientsecret",
    "appsecret",
    "apisecret",
    "apitoken",
    "encryptionkey",
    "signingkey",
    "licensekey",
    "accountkey",
    "subscriptionkey",
)
# Words before "key" that make it a credential: api key, secret key, signing key...
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "auth",
        "client",
        "app",
        "application",
        "master",
        "encryption",
        "signing",
        "license",
        "account",
        "subscription",
        "consumer",
        "admin",
        "server",
        "shared",
        "session",
        "jwt",
        "hmac",
        "webhook",
        "crypt",
        "cipher",
        "aes",
        "deploy",
        "write",
        "storage",
        "service",
        "integration",
        "ingest",
        "management",
        "mgmt",
        "rest",
        "sdk",
        "developer",
        "dev",
        "partner",
        "merchant",
        "cookie",
        "token",
        "sk",
    }
)
# Words after the noun that still name the credential itself (SECRET_KEY_BASE, TOKEN_PROD).
_TRAILING_NOISE = frozenset(
    {
        "value",
        "str",
        "string",
        "b64",
        "base64",
        "hex",
        "raw",
        "plain",
        "base",
        "prod",
        "production",
        "live",
        "staging",
        "v1",
        "v2",
        "1",
        "2",
        "3",
    }
)
# Words before the noun that mean the value is not secret (public keys, pagination tokens...).
_NOT_SECRET = frozenset(
    {
        "public",
        "publishable",
        "pub",
        "site",
        "anon",
        "next",
        "page",
        "continuation",
        "cancellation",
        "cancel",
        "sync",
        "max",
        "min",
        "num",
        "total",
        "input",
        "output",
        "prompt",
        "completion",
        "eos",
        "bos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "csrf",
        "xsrf",
        "lexer",
        "parser",
        "dummy",
        "fake",
        "mock",
        "example",
        "sample",
        "placeholder",
        "default",
        "test",
        "expected",
        "invalid",
        "wrong",
        "bad",
        "old",
        "new",
        "confirm",
        "confirmation",
        "forgot",
        "reset",
        "hashed",
        "hash",
        "encrypted",
        "is",
        "has",
        "use",
        "show",
        "hide",
        "require",
        "requires",
        "allow",
        "no",
        "primary",
        "foreign",
        "cache",
        "sort",
        "lookup",
        "partition",
        "idempotency",
        "dedup",
        "object",
        "map",
        "dict",
        "hot",
        "short",
        "type",
        "id",
    }
)
_SHORT_PASSWORDS = frozenset({"dbpass", "dbpwd", "rootpass", "adminpass", "userpass", "pgpass"})
_IDENT_TAIL = re.compile(rb"[A-Za-z0-9_.\-]+$")
_IDENT_HEAD = re.compile(rb"[A-Za-z0-9_.\-]*")
_FOLLOW = re.compile(rb"[\"'`\])]*[ \t]*(.?)", re.S)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_OPERATOR = re.compile(
    rb"[ \t]*(?:\]|\))?[ \t]*"
    rb"(?::[ \t]*[A-Za-z_&][\w<>\[\]&'. ]{0,39}?[ \t]+=(?!=)"  # typed: `name: str = "..."`
    rb"|:=|=>|\?\?=|\|\|=|\?=|=(?![=~])|=(?==[^\s\"'=])|:(?![:=/]))[ \t]*"
)
_QUOTED = re.compile(rb"""(?:[bBrRuUfF]{1,2}|@)?(["'`])((?:\\.|(?!\1)[^\\\r\n]){1,400}?)\1""")
# An unquoted value runs to whitespace; `#` starts a comment only after whitespace.
_UNQUOTED = re.compile(rb"""([^\s"'`,;(){}\[\]<>]{1,400}+)(?![(\[])""")
_QUERY_VALUE = re.compile(rb"""([^\s"'`&#<>()\[\]{}]{1,400}+)""")  # a URL ends at `)](`
_VALUE_LINE = re.compile(rb"""[ \t]*-?[ \t]*value[ \t]*:[ \t]*(.+?)[ \t]*$""")
_PAIR_VALUE = re.compile(rb"""["']?value["']?\s*[:=]\s*(["'])((?:(?!\1).){1,400})\1""")
_CONFIG_EXTENSIONS = (
    ".env",
    ".ini",
    ".cfg",
    ".conf",
    ".config",
    ".properties",
    ".yaml",
    ".yml",
    ".toml",
    ".json",
    ".sh",
    ".bash",
    ".zsh",
    ".ps1",
    ".bat",
    ".cmd",
    ".tf",
    ".tfvars",
    ".hcl",
    ".txt",
    ".md",
    ".rst",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    ".xml",
)
_CODE_EXTENSIONS = (
    ".py",
    ".pyi",
    ".pyx",
    ".pxd",
    ".js",
    ".mjs",
    ".cjs",
    ".jsx",
    ".ts",
    ".tsx",
    ".java",
    ".kt",
    ".kts",
    ".scala",
    ".go",
    ".rs",
    ".rb",
    ".php",
    ".cs",
    ".fs",
    ".vb",
    ".swift",
    ".m",
    ".mm",
    ".c",
    ".cc",
    ".cpp",
    ".h",
    ".hpp",
    ".dart",
    ".lua",
    ".pl",
    ".r",
    ".jl",
    ".ex",
    ".exs",
    ".erl",
    ".groovy",
    ".gradle",
    ".clj",
    ".vue",
    ".svelte",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: Kind
    start: int
    end: int
    value: str


def is_code_path(path: str) -> bool:
    """Source files, where a value must be a string literal (unquoted ones are expressions)."""
    lowered = path.lower()
    return lowered.endswith(_CODE_EXTENSIONS) and not lowered.endswith(_CONFIG_EXTENSIONS)


@functools.lru_cache(maxsize=8192)
def classify(name: str) -> Kind | None:
    """Whether a variable/key name holds a password, a token-like secret, or neither."""
    words = [w.lower() for w in _CAMEL.findall(name)]
    while len(words) > 1 and words[-1] in _TRAILING_NOISE:
        words.pop()
    if not words:
        return None
    last = words[-1]
    before = set(words[:-1])
    if before & _NOT_SECRET:
        return None
    if last in _PASSWORD_NOUNS:
        return "password"
    if len(words) == 1 and (last.endswith(("password", "passwd")) or last in _SHORT_PASSWORDS):
        return "password"  # PGPASSWORD, DBPASS
    if last in _TOKEN_NOUNS or last.endswith(_COMPOUND_KEYS):
        return "token"
    if last == "key" and len(words) > 1:
        return "token" if words[-2] in _KEY_QUALIFIERS else "keyish"
    if last == "auth" and name.startswith("_"):
        return "token"
    return None


@dataclass(frozen=True, slots=True)
class Context:
    """What the file's name says about how values are written in it."""

    code: bool  # source code: values are string literals
    netrc: bool  # .netrc: `password value`
    docs: bool = False  # prose documentation: the keyword rule does not run
    bundle: bool = False  # built/minified code: only dense random values count
    # Tests, fixtures and documentation examples: findings of the rules that do not know
    # a provider's key format (keyword, URL, connection string) are reported as low.
    test: bool = False
    config: bool = False  # a configuration file: .env*, settings.ini, config/*.exs...
    lock: bool = False  # a dependency lockfile: names and versions, written by a tool

    @classmethod
    def of(cls, path: str) -> Context:
        # folder names are looked up in sets: every scanned file gets a Context
        lowered = path.lower()
        *folders, name = lowered.split("/")
        docs = is_docs_path(lowered)
        script = name.endswith((".js", ".mjs", ".cjs"))
        return cls(
            code=is_code_path(path),
            netrc=name in (".netrc", "_netrc"),
            docs=docs,
            bundle=script
            and (_BUNDLE_NAME.search(name) is not None or not _BUNDLE_DIRS.isdisjoint(folders)),
            test=not _TEST_DIRS.isdisjoint(folders)
            or _TEST_NAME.search(path.rsplit("/", 1)[-1]) is not None,
            config=not docs and is_config_path(lowered),
            lock=name in _LOCKFILES,
        )


def is_config_path(path: str) -> bool:
    """Configuration: dotenv files, ini/toml/yaml/properties files, and what lives in a
    config folder or is named for settings (settings.py, config/runtime.exs)."""
    lowered = path.lower()
    name = lowered.rsplit("/", 1)[-1]
    return (
        name.startswith(".env")
        or name.endswith(_SETTINGS_EXTENSIONS)
        or not _CONFIG_DIRS.isdisjoint(lowered.split("/")[:-1])
        or name.split(".", 1)[0] in ("settings", "config", "configuration", "runtime")
    )


def is_docs_path(path: str) -> bool:
    """Prose documentation: Markdown/reStructuredText/AsciiDoc anywhere, text under docs/."""
    lowered = path.lower()
    if lowered.endswith(_PROSE_EXTENSIONS):
        return True
    return lowered.endswith(".txt") and not _DOCS_DIRS.isdisjoint(lowered.split("/")[:-1])


_SETTINGS_EXTENSIONS = (
    ".env",
    ".ini",
    ".cfg",
    ".conf",
    ".properties",
    ".toml",
    ".yaml",
    ".yml",
    ".tfvars",
)
_CONFIG_DIRS = frozenset({"config", "conf", "configs", "settings", ".config"})
# (lower-cased) a lockfile's `registry-auth-token: "npm:^5.0.1"` is a package and its range
_LOCKFILES = frozenset(
    """yarn.lock package-lock.json npm-shrinkwrap.json pnpm-lock.yaml bun.lock poetry.lock
    uv.lock pipfile.lock pdm.lock pylock.toml cargo.lock gemfile.lock composer.lock go.sum
    mix.lock package.resolved pubspec.lock packages.lock.json gradle.lockfile flake.lock
    deno.lock""".split()
)
_PROSE_EXTENSIONS = (".md", ".markdown", ".mdx", ".rst", ".adoc", ".asciidoc")
_DOCS_DIRS = frozenset({"doc", "docs", "documentation"})
# Output of bundlers and minifiers: dist/ and build/ trees, chunks, *.min.js, *.bundle.js
_BUNDLE_DIRS = frozenset({"dist", "build", "out", "chunks", "bundle", "bundles", "vendor"})
_BUNDLE_NAME = re.compile(r"[.-](?:min|bundle|chunk)\.[cm]?js$")
# Tests, fixtures and documentation examples, by folder (lower-cased) and by file name
_TEST_DIRS = frozenset(
    """test tests spec __tests__ testdata fixture fixtures __fixtures__ e2e doc docs docs_src
    documentation example examples sample samples""".split()
)
_TEST_NAME = re.compile(
    r"^test_.+\.py$|_test\.(?:py|go|exs|rb)$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|(?:Test|Tests|IT|Spec)\.(?:java|kt|cs|swift|scala|php)$|_spec\.rb$|^conftest\.py$"
)
# Names of API keys, which providers often issue as UUIDs (Heroku, Snyk, Postmark...)
_API_KEY_NAME = re.compile(r"api[_-]?(?:key|token)", re.I)
_BADGE_HOSTS = (b"badge", b"shields.io", b"codecov.io", b"coveralls.io", b"sonarcloud.io")


def name_end(data: bytes, hit: int) -> int:
    """Where the name holding the keyword at `hit` ends: every keyword found inside one
    name (`api_key` holds `_key` and `api_key`) leads to the same candidate."""
    tail = _IDENT_HEAD.match(data, hit, hit + 80)
    return tail.end() if tail is not None else hit


def assigned(data: bytes, hit: int, end: int, ctx: Context) -> bool:
    """Whether the name ending at `end` may be assigned a value: an operator or a
    name/value separator follows, or it is a `--flag`, an `ENV` line or a .netrc. Most
    mentions of a keyword end here, cheaply."""
    follow = _FOLLOW.match(data, end)
    after = follow.group(1) if follow is not None else b""
    if after in b"=:,>\r\nv" or ctx.netrc:
        return True
    return data[hit - 2 : hit] == b"--" or b"ENV" in data[max(0, hit - 90) : hit]


def find(
    data: bytes,
    hit: int,
    bounds: Callable[[int], tuple[int, int]],
    ctx: Context,
    end: int | None = None,
) -> Candidate | None:
    """The secret assigned to the name around `hit` (ending at `end`, see name_end), if
    there is one."""
    if end is None:
        end = name_end(data, hit)
        if not assigned(data, hit, end, ctx):
            return None
    line_start, line_end = bounds(hit)
    head = _IDENT_TAIL.search(data, max(line_start, hit - 80), hit)
    start = head.start() if head is not None else hit
    raw_name = data[start:end].decode("ascii", "replace")
    kind = classify(raw_name.lstrip("-").strip("."))
    if kind is None:
        return None
    opener = data[start - 1 : start] if start > line_start else b""
    line = data[line_start:line_end]
    if opener in (b"?", b"&") and (b"![" in line or any(h in line for h in _BADGE_HOSTS)):
        return None  # badge and image URLs carry public graph tokens (codecov, sonar)
    if opener == b"{" and data[start - 2 : start - 1] == b"$":
        return None  # ${NAME:-default}: a variable reference with its default
    lowered_line = line.lower()
    if b"example" in lowered_line:
        return None  # documentation: the line says its values are examples
    if b"apikey" in lowered_line.replace(b"_", b"") and _search_index(data, line_start, line_end):
        return None  # an Algolia/DocSearch search key: public by design, shipped to browsers
    found = _assigned(data, start, end, line_start, line_end, opener, raw_name, ctx)
    if found is None:
        found = _paired(data, start, line_start, line_end)
    if found is None:
        return None
    value_start, value_end, quoted = found
    value = data[value_start:value_end].decode("utf-8", "replace")
    uuid_ok = ctx.netrc or _API_KEY_NAME.search(raw_name) is not None
    if not value_ok(value, kind, quoted=quoted, uuid_ok=uuid_ok):
        return None
    if ctx.bundle and _DENSE.match(value) is None:
        return None  # bundled code is full of names and strings; keys in it are dense
    return Candidate(kind, value_start, value_end, value)


def _assigned(
    data: bytes,
    start: int,
    end: int,
    line_start: int,
    line_end: int,
    opener: bytes,
    raw_name: str,
    ctx: Context,
) -> tuple[int, int, bool] | None:
    pos = end
    if opener in (b'"', b"'", b"`"):
        if data[pos : pos + 1] != opener:
            return None
        pos += 1
    elif opener == b"<" and data[pos : pos + 1] == b">":  # <password>value</password>
        close = data.find(b"</", pos, line_end)
        return (pos + 1, close, False) if close > pos + 1 else None
    operator = _OPERATOR.match(data, pos, line_end)
    if operator is not None and operator.end() > pos:
        pos = operator.end()
    elif _spaced_assignment(data, line_start, start, raw_name, opener, ctx.netrc):
        while pos < line_end and data[pos] in b" \t":
            pos += 1
    elif (
        opener in (b'"', b"'")
        and data[start - 2 : start - 1] == b"("
        and b"," in data[pos : pos + 3]
    ):
        pos = data.index(b",", pos) + 1  # getenv("NAME", "default"), define('NAME', 'value')
        while pos < line_end and data[pos] in b" \t":
            pos += 1
    else:
        return None
    quoted = _QUOTED.match(data, pos, line_end)
    if quoted is not None:
        return quoted.start(2), quoted.end(2), True
    if ctx.code and not raw_name.startswith("--") and opener not in (b"?", b"&"):
        return None
    pattern = _QUERY_VALUE if opener in (b"?", b"&") else _UNQUOTED
    bare = pattern.match(data, pos, line_end)
    return (bare.start(1), bare.end(1), False) if bare is not None else None


def _spaced_assignment(
    data: bytes, line_start: int, start: int, raw_name: str, opener: bytes, netrc: bool
) -> bool:
    """`--password value`, `ENV NAME value` (Dockerfile) and `password value` (.netrc)."""
    if opener in (b'"', b"'", b"`"):
        return False
    prefix = data[line_start:start].strip()
    if raw_name.startswith("--") or prefix == b"ENV":
        return True
    return netrc and raw_name == "password"


def _paired(
    data: bytes, start: int, line_start: int, line_end: int
) -> tuple[int, int, bool] | None:
    """`name: SECRET` + `value: x` on the next line, or `name="SECRET" value="x"` on this one."""
    before = data[line_start:start].rstrip(b" \t\"'")
    if not before.endswith((b"name:", b"name=", b'name":', b"key=", b"Key=")):
        return None
    rest = _PAIR_VALUE.search(data, start, line_end)
    if rest is not None:
        return rest.start(2), rest.end(2), True
    next_end = data.find(b"\n", line_end + 1)
    next_end = len(data) if next_end < 0 else next_end
    follow = _VALUE_LINE.match(data, line_end + 1, next_end)
    if follow is None:
        return None
    value_start, value_end = follow.start(1), follow.end(1)
    if data[value_start : value_start + 1] in (b'"', b"'") and value_end - value_start >= 2:
        return value_start + 1, value_end - 1, True
    return value_start, value_end, False


def _search_index(data: bytes, line_start: int, line_end: int) -> bool:
    """Whether the lines around name a search index (`indexName`, `algolia`): DocSearch
    configurations carry a search-only key beside them."""
    around = data[max(0, line_start - 300) : line_end + 300].lower()
    return b"indexname" in around or b"algolia" in around or b"index_name" in around


def value_ok(value: str, kind: Kind, *, quoted: bool = True, uuid_ok: bool = False) -> bool:
    """Whether `value`, assigned to a name of `kind`, is real secret material.

    UUIDs are identifiers (request ids, lock tokens) unless `uuid_ok`: assigned to an
    API-key name or a .netrc password, where providers' UUID-shaped keys go.
    """
    value = value.strip()
    if not value or len(value) > 400 or any(c.isspace() for c in value) or not value.isascii():
        return False  # generated credentials are ASCII without spaces; words and prose are not
    if value.startswith(_PUBLIC_PREFIXES):
        return False
    if filters.is_reference(value, quoted=quoted) or filters.is_hash_like(value):
        return False
    if filters.is_uuid(value) and not (uuid_ok and filters.is_uuid(value.strip("{}"))):
        return False
    decoded = filters.decode_base64_text(value)
    if decoded is not None and (kind == "password" or len(decoded) < 24):
        return _password_ok(decoded)
    if kind == "password":
        return _password_ok(value)
    if kind == "keyish":
        return _keyish_ok(value)
    return _token_ok(value)


def _password_ok(value: str) -> bool:
    if len(value) < 6 or filters.is_placeholder(value) or filters.has_run(value):
        return False
    if filters.looks_like_code(value) or filters.looks_like_words(value):
        return False
    if filters.looks_like_identifier(value) or filters.wordy_parts(value):
        return False
    if value.isalpha() and len(value) < 12:
        return False  # a short run of letters is a word or a name, not a chosen password
    strong = filters.char_classes(value) >= 2
    return strong or (len(value) >= 12 and filters.entropy(value) >= 3.0)


def _token_ok(value: str) -> bool:
    if len(value) < 10 or filters.is_placeholder(value) or filters.looks_like_code(value):
        return False
    if filters.looks_like_words(value) or filters.looks_like_identifier(value):
        return False
    if filters.wordy_parts(value):
        return False
    bare = value.lstrip("?!@#$%^&*:.")
    if bare != value and (filters.looks_like_identifier(bare) or filters.looks_like_words(bare)):
        return False  # ?InterpolationInTemplate, :symbolName: a sigil before a name
    has_digit = any(c.isdigit() for c in value)
    mixed_case = any(c.isupper() for c in value) and any(c.islower() for c in value)
    if not (has_digit or (mixed_case and len(value) >= 16)):
        return False  # generated material has digits, or mixed case when long
    return filters.random_enough(value, min_length=10, min_entropy=3.0)


def _keyish_ok(value: str) -> bool:
    """For `<anything>_key`: only long, dense, random-looking strings (no `:` or `.` keys)."""
    if not _DENSE.match(value) or not _token_ok(value):
        return False
    return filters.random_enough(value, min_length=20, min_entropy=3.5)


# Keys that are public by design: Stripe publishable, Mapbox public, Supabase publishable.
_PUBLIC_PREFIXES = ("pk_live_", "pk_test_", "pk.", "sb_publishable_")
_DENSE = re.compile(r"^[A-Za-z0-9+/=_-]{20,}$")
