"""The scanning engine: one Aho-Corasick pass finds every anchor, then only the rules
anchored there run, on that spot or that line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

import ahocorasick_rs

from libs.analysis.report import Severity
from libs.analysis.secrets import filters, generic, notebook
from libs.analysis.secrets.match import RawMatch
from libs.analysis.secrets.rules import RULES, Rule

ALLOW_MARKERS = (b"pragma: allowlist secret", b"gitleaks:allow", b"autodevops:allow")
_URL_CREDENTIALS = re.compile(
    rb"://(?P<user>[^\s:/@'\"`<>()\[\]{}]{0,128}):(?P<secret>[^\s/'\"`<>]{1,256})@"
    rb"(?P<host>[A-Za-z0-9._\-]+)"
)
_SCHEME = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]{1,20}$")
# curl's -u/--user USER:PASSWORD, quoted or not ("-u $USER:$TOKEN" is a reference)
_CURL_USER = re.compile(
    rb"""(?:\s-u\s*|\s--user(?:\s+|=))(?P<q>["']?)[^\s:"'@]{0,128}:(?P<secret>[^\s"']{1,256})(?P=q)"""
)
_CONN_PASSWORD = re.compile(
    rb"(?:^|[;\"'\s])(?i:password|pwd)\s*=\s*(?P<secret>[^;\"'\s<>{}]{4,200})\s*(?:;|[\"']|$)"
)
_PRIVATE_KEY = re.compile(rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(rb"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_NOISE = re.compile(rb"\\[rn]|[\s\"',+]|(?:Proc-Type|DEK-Info|Version|Comment):[^\n\\]*")
_BASE64 = re.compile(rb"[A-Za-z0-9+/=]+")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/=]*")
_FILLER = re.compile(r"(.)\1{19,}|(?i:x{8,}|example|placeholder)")
_WINDOW = 600  # how far around an anchor a line is read, for minified files with huge lines
_BLOCK_LIMIT = 65536


@dataclass(frozen=True)
class _Special:
    id: str
    description: str
    severity: Severity
    anchors: tuple[str, ...]


GENERIC = _Special(
    "generic-secret",
    "Hard-coded secret assigned to a credential name",
    "high",
    generic.GENERIC_ANCHORS,
)
# Rules that recognise a shape, not one provider's key format: in tests and documentation
# examples what they find is most often made up (a test JWT, user:pass@ in a URL fixture).
_FORMATLESS = frozenset(
    {
        "generic-secret",
        "url-credentials",
        "connection-string",
        "jwt",
        "http-basic-auth",
        "http-bearer-token",
        "curl-user-password",
    }
)
URL = _Special("url-credentials", "Password in a connection URL", "critical", ("://",))
CONNECTION_STRING = _Special(
    "connection-string-password", "Password in a connection string", "high", ("password=", "pwd=")
)
PRIVATE_KEY = _Special("private-key", "Private key", "critical", ("-----begin",))
CURL_USER = _Special(
    "curl-user-password", "Password given to curl -u/--user", "high", ("curl ", "curl\t")
)
_SPECIALS = (PRIVATE_KEY, URL, CONNECTION_STRING, CURL_USER, GENERIC)
ALL_RULES: tuple[Rule | _Special, ...] = (*RULES, *_SPECIALS)
# Earlier rules win where matches overlap: a provider's name says more than "generic".
_PRIORITY = {rule.id: i for i, rule in enumerate(ALL_RULES)}


class Scanner:
    """Finds credentials in text. Stateless after construction; build it once."""

    def __init__(self) -> None:
        handlers: dict[str, list[Rule | _Special]] = {}
        for rule in ALL_RULES:
            if rule is URL:
                continue  # one regex pass over files that hold "://" (see _Run.urls)
            for anchor in rule.anchors:
                handlers.setdefault(anchor, []).append(rule)
        self._anchors = list(handlers)
        self._handlers = [handlers[a] for a in self._anchors]
        self._automaton = ahocorasick_rs.BytesAhoCorasick(
            [a.encode() for a in self._anchors], implementation=ahocorasick_rs.Implementation.DFA
        )

    def scan(self, data: bytes, path: str = "", *, strict: bool = True) -> list[RawMatch]:
        """Every credential in `data` (UTF-8 text), offsets in bytes, in order.

        `strict=False` keeps every value in a credential's shape, skipping the checks
        that tell a real one from a placeholder or an example, and the allowlist
        markers: for redaction, where masking a fake costs nothing. The keyword rule
        keeps its judgement either way, since a name alone does not make a value secret.
        """
        if path.endswith(".ipynb"):
            return self._notebook(data, path, strict)
        return self._scan(data, path, strict)

    def _scan(self, data: bytes, path: str, strict: bool) -> list[RawMatch]:
        hits = self._automaton.find_matches_as_indexes(data.lower(), overlapping=True)
        urls = b"://" in data
        if not hits and not urls:
            return []
        run = _Run(data, generic.Context.of(path), strict)
        if urls:
            run.urls()
        last_end: dict[int, int] = {}
        for index, start, end in hits:
            if start < last_end.get(index, -1):
                continue  # inside the last hit of the same anchor: a run of "aaaa…"
            last_end[index] = end
            for rule in self._handlers[index]:
                run.apply(rule, start, end)
        return run.results()

    def _notebook(self, data: bytes, path: str, strict: bool) -> list[RawMatch]:
        """A notebook's cells read as the Python file they would be (see notebook.py)."""
        text = notebook.decoded(data)
        found = self._scan(text, path + ".py", strict)
        if text == data:  # nothing escaped: the offsets are already the file's
            return found
        placed = (notebook.placed(data, text, match) for match in found)
        return [match for match in placed if match is not None]


class _Run:
    """The state of scanning one text: lines already evaluated per rule, matches so far."""

    def __init__(self, data: bytes, ctx: generic.Context, strict: bool) -> None:
        self.data = data
        self.ctx = ctx
        self.strict = strict
        self.found: list[tuple[int, int, RawMatch]] = []
        self.seen: set[tuple[str, int]] = set()
        self.empty_lines: set[tuple[bytes, int]] = set()
        self.names_seen: set[int] = set()  # where each name the keyword rule read ends

    def line_bounds(self, pos: int) -> tuple[int, int]:
        data = self.data
        start = data.rfind(b"\n", max(0, pos - _WINDOW), pos) + 1 or max(0, pos - _WINDOW)
        end = data.find(b"\n", pos, pos + _WINDOW)
        if end < 0:
            end = min(len(data), pos + _WINDOW)
        return start, end

    def apply(self, rule: Rule | _Special, start: int, end: int) -> None:
        if isinstance(rule, Rule):
            self._provider(rule, start)
        elif rule is GENERIC:
            self._generic(start)
        elif rule is CONNECTION_STRING:
            self._connection_string(start)
        elif rule is CURL_USER:
            self._curl_user(start)
        else:
            self._private_key(start)

    def add(self, rule: Rule | _Special, start: int, end: int, value: str | None = None) -> None:
        data = self.data
        line_start, line_end = self.line_bounds(start)
        if self.strict and any(marker in data[line_start:line_end] for marker in ALLOW_MARKERS):
            return
        if self.strict and _in_data_uri(data, start):
            return  # the bytes of a font or image embedded in SVG or CSS, not a credential
        if value is None:
            value = data[start:end].decode("utf-8", "replace")
        line = data.count(b"\n", 0, start) + 1
        severity = rule.severity
        if self.ctx.test and rule.id in _FORMATLESS:
            severity = "low"  # in tests and docs examples, most often a made-up value
        match = RawMatch(rule.id, rule.description, severity, line, start, end, value)
        self.found.append((start, end, match))

    def _provider(self, rule: Rule, pos: int) -> None:
        if rule.mode == "at":
            match = rule.pattern.match(self.data, pos)
            matches = [match] if match is not None else []
        else:
            line_start, line_end = self.line_bounds(pos)
            if (rule.id, line_start) in self.seen:
                return
            self.seen.add((rule.id, line_start))
            matches = list(rule.pattern.finditer(self.data, line_start, line_end))
        for match in matches:
            group = "secret" if match.group("secret") is not None else "secret2"
            secret = match.group(group).decode("utf-8", "replace")
            body = _body(match) or secret
            if not self.strict or _provider_ok(rule, secret, body):
                self.add(rule, match.start(group), match.end(group), secret)

    def _generic(self, pos: int) -> None:
        if self.ctx.docs or self.ctx.lock:
            # examples in prose look like assignments, and a lockfile holds package names
            # and versions; provider formats and URL passwords still count in both
            return
        end = generic.name_end(self.data, pos)
        if end in self.names_seen:
            return  # another keyword of the same name (`pass` in `password`) was read
        if not generic.assigned(self.data, pos, end, self.ctx):
            return  # (judged per keyword: `--api-key` is a flag seen from `api-key` only)
        self.names_seen.add(end)
        line_start, line_end = self.line_bounds(pos)
        key = (self.data[line_start:line_end], pos - line_start)
        if key in self.empty_lines:
            return  # the same line, with the name at the same place, held nothing before
        candidate = generic.find(self.data, pos, self.line_bounds, self.ctx, end)
        if candidate is None:
            self.empty_lines.add(key)
            return
        if ("generic", candidate.start) in self.seen:
            return
        self.seen.add(("generic", candidate.start))
        self.add(GENERIC, candidate.start, candidate.end, candidate.value)

    def urls(self) -> None:
        """Passwords in URLs, the whole text at once: a file names tens of URLs for each
        one that carries a password, and one regex pass costs less than a call per URL."""
        for match in _URL_CREDENTIALS.finditer(self.data):
            self._url(match)

    def _url(self, match: re.Match[bytes]) -> None:
        pos = match.start()
        if _SCHEME.search(self.data, max(0, pos - 21), pos) is None:
            return
        user = match.group("user").decode("utf-8", "replace")
        password = match.group("secret").decode("utf-8", "replace")
        host = match.group("host").decode("utf-8", "replace")
        if not self.strict or _url_password_ok(user, password, host, config=self.ctx.config):
            self.add(URL, match.start("secret"), match.end("secret"), password)

    def _curl_user(self, pos: int) -> None:
        """`curl -u user:password` and `curl --user "user:password"` on the anchor's line."""
        line_start, line_end = self.line_bounds(pos)
        if ("curl", line_start) in self.seen:
            return
        self.seen.add(("curl", line_start))
        for match in _CURL_USER.finditer(self.data, pos, line_end):
            password = match.group("secret").decode("utf-8", "replace")
            if not self.strict or generic.value_ok(password, "password"):
                self.add(CURL_USER, match.start("secret"), match.end("secret"), password)

    def _connection_string(self, pos: int) -> None:
        line_start, line_end = self.line_bounds(pos)
        if ("conn", line_start) in self.seen:
            return
        self.seen.add(("conn", line_start))
        line = self.data[line_start:line_end]
        if line.count(b";") < 1 or line.count(b"=") < 2:
            return
        for match in _CONN_PASSWORD.finditer(self.data, line_start, line_end):
            value = match.group("secret").decode("utf-8", "replace")
            if not self.strict or generic.value_ok(value, "password"):
                self.add(CONNECTION_STRING, match.start("secret"), match.end("secret"), value)

    def _private_key(self, pos: int) -> None:
        header = _PRIVATE_KEY.match(self.data, pos)
        if header is None:
            return
        limit = min(len(self.data), header.end() + _BLOCK_LIMIT)
        end_marker = _KEY_END.search(self.data, header.end(), limit)
        body_end = end_marker.start() if end_marker else limit
        if self.strict and not _key_material_ok(self.data[header.end() : body_end], end_marker):
            return
        end = end_marker.end() if end_marker else body_end
        self.add(PRIVATE_KEY, header.start(), end)

    def results(self) -> list[RawMatch]:
        kept: list[tuple[int, int, RawMatch]] = []
        for start, end, match in sorted(self.found, key=lambda f: (_PRIORITY[f[2].rule], f[0])):
            if not any(start < k_end and k_start < end for k_start, k_end, _ in kept):
                kept.append((start, end, match))
        return [m for _, _, m in sorted(kept, key=lambda k: k[0])]


def _in_data_uri(data: bytes, start: int) -> bool:
    """Whether `start` falls inside the base64 payload of a `data:...;base64,` URI (on
    one line, however long: an embedded font runs to hundreds of kilobytes)."""
    line_start = data.rfind(b"\n", 0, start) + 1
    marker = data.rfind(b";base64,", line_start, start)
    return marker >= 0 and _BASE64_RUN.fullmatch(data, marker + 8, start) is not None


def _key_material_ok(block: bytes, end_marker: re.Match[bytes] | None) -> bool:
    body = _KEY_NOISE.sub(b"", block)
    material = b"".join(_BASE64.findall(body))
    if len(material) < (64 if end_marker else 200) or len(material) < len(body) * 0.9:
        return False  # a header with an elided or placeholder body
    text = material.decode("ascii")
    return not _FILLER.search(text) and filters.entropy(text) >= 4.5


def _body(match: re.Match[bytes]) -> str | None:
    for group in ("body", "body2"):
        if group in match.re.groupindex and match.group(group) is not None:
            return match.group(group).decode("utf-8", "replace")
    return None


def _provider_ok(rule: Rule, secret: str, body: str) -> bool:
    if filters.has_run(body) or len(set(body)) <= 3:
        return False
    if "EXAMPLE" in secret or any(example in secret for example in filters.KNOWN_EXAMPLES):
        return False
    if _placeholder_word(body):
        return False
    if filters.entropy(body) < rule.min_entropy:
        return False
    return rule.validate is None or rule.validate(secret)


def _placeholder_word(body: str) -> bool:
    """A placeholder word written as a word (fake, FAKE, Fake), not letters in random case."""
    lowered = body.lower()
    for word in _PROVIDER_PLACEHOLDERS:
        index = lowered.find(word)
        if index >= 0:
            written = body[index : index + len(word)]
            if written in (word, word.upper(), word.capitalize()):
                return True
    return False


_PROVIDER_PLACEHOLDERS = (
    "example",
    "sample",
    "placeholder",
    "dummy",
    "fake",
    "redacted",
    "xxxx",
    "****",
    "your",
    "replace",
    "insert",
    "changeme",
)


def _url_password_ok(user: str, password: str, host: str, *, config: bool = False) -> bool:
    if filters.is_templated(password):
        return False
    user, password = unquote(user), unquote(password)  # pa%20ssword is "pa ssword"
    if password == user or password.startswith(("$", "<", "[")):
        return False
    if "{" in password or "}" in password:
        return False
    if _documentation_host(host):
        # An example host marks an example in prose and code. In a configuration file
        # (.env, settings.ini, runtime.exs) the host says nothing about the password:
        # a real-looking one there is a password someone uses, so only placeholders go.
        return config and generic.value_ok(password, "password")
    if filters.is_placeholder(password) or len(password) < 4:
        return False
    if re.match(r"\d{2,5}(?:[,/]|$)", password):
        return False  # host:port,host:port lists, not a password
    return not filters.looks_like_words(password)  # x-oauth-basic, some-password


def _documentation_host(host: str) -> bool:
    """Hosts reserved for examples (RFC 2606/6761) and the local machine: no real server."""
    host = host.lower().rstrip(".")
    return (
        host in _DOC_HOSTS
        or host.endswith(_DOC_SUFFIXES)
        or host.startswith("127.")
        or host.rsplit(".", 1)[-1] in ("example", "test", "invalid", "localhost")
    )


_DOC_HOSTS = frozenset(
    {"example", "example.com", "example.org", "example.net", "host", "hostname", "localhost"}
)
_DOC_SUFFIXES = (".example.com", ".example.org", ".example.net")
