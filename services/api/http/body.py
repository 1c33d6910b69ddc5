"""Decoding requests (bodies, query strings, path ids) with msgspec: 400s that name the
field, 404s for ids that cannot exist.

Every JSON body and query string passes here, so this is also the one place that refuses
text PostgreSQL cannot store: a NUL character (`\\u0000`) in any string, which `text` and
`jsonb` both reject. JSON cannot carry the others (msgspec already refuses lone
surrogates as malformed JSON).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from services.api.http.errors import (
    BadRequest,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)

T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"unknown field `(?P<field>[^`]+)`")
_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")


def field_error(exc: msgspec.ValidationError) -> ValidationFailed:
    """A 400 naming the field a msgspec validation error is about."""
    text = str(exc)
    match = _AT.match(text)
    message, path = (match.group("message"), match.group("path")) if match else (text, "")
    for pattern in (_UNKNOWN, _MISSING):
        named = pattern.search(message)
        if named:
            path = f"{path}.{named.group('field')}"
    field = path.lstrip(".") or "body"
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])


NUL = "\x00"
_NUL_ESCAPE = b"\\u0000"  # the only way JSON text carries a NUL character


def unstorable_at(value: object, path: str = "") -> str | None:
    """The path (`name`, `items[2].key`) of the first string PostgreSQL would refuse."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, msgspec.Struct):
        fields = zip(value.__struct_fields__, value.__struct_encode_fields__, strict=True)
        found = (unstorable_at(getattr(value, f), f"{path}.{name}") for f, name in fields)
    elif isinstance(value, dict):
        found = (
            unstorable_at(k, path) or unstorable_at(v, f"{path}.{k}") for k, v in value.items()
        )
    elif isinstance(value, list | tuple | set | frozenset):
        found = (unstorable_at(v, f"{path}[{i}]") for i, v in enumerate(value))
    else:
        return None
    return next((p.lstrip(".") for p in found if p), None)


def _with_whole_floats_as_ints(raw: bytes, type_: type[T]) -> T:
    """JSON Schema's `integer` admits `89.0`, so the document promises it: read whole
    floats as integers (the slow path, only after msgspec refused a float)."""

    def whole(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: whole(v) for k, v in value.items()}
        if isinstance(value, list):
            return [whole(v) for v in value]
        return value

    try:
        return msgspec.convert(whole(msgspec.json.decode(raw)), type_)
    except msgspec.ValidationError as exc:
        raise field_error(exc) from None


def _refuse_nul(field: str) -> ValidationFailed:
    message = "must not contain a NUL character (\\u0000)"
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])


async def decode(request: web.Request, type_: type[T]) -> T:
    raw = await request.read()
    if not raw:
        raise ValidationFailed("The request body is empty; send a JSON object.")
    try:
        value = msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as exc:
        if "got `float`" not in str(exc):
            raise field_error(exc) from None
        value = _with_whole_floats_as_ints(raw, type_)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # msgspec reports bytes that are not UTF-8 inside a string as a UnicodeDecodeError.
        raise ValidationFailed("The request body is not valid JSON (UTF-8).") from None
    if _NUL_ESCAPE in raw:  # rare, so the walk costs nothing on ordinary bodies
        field = unstorable_at(value)
        if field is not None:
            raise _refuse_nul(field)
    return value


def decode_query(request: web.Request, type_: type[T]) -> T:
    """Query parameters into a msgspec type (numbers from strings); 400 naming the
    parameter."""
    given = dict(request.query)
    for name, text in given.items():
        if NUL in text:
            raise query_error(name, "must not contain a NUL character")
    try:
        return msgspec.convert(given, type_, strict=False)
    except msgspec.ValidationError as exc:
        problem = field_error(exc)
        field = problem.extra["errors"][0]["field"]
        raise query_error(field, problem.extra["errors"][0]["message"]) from None


def query_error(name: str, message: str) -> InvalidParameter:
    return InvalidParameter(
        f"Query parameter '{name}': {message}",
        errors=[{"field": name, "in": "query", "message": message}],
    )


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """A path id; anything that is not a UUID names nothing, so it is a 404."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound("No such object.") from None


_encoder = msgspec.json.Encoder()


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body (webhooks): exactly its Content-Length (checked against `limit`
    already), else up to `limit`."""
    if request.content_length == 0:  # readexactly(0) at the end of the stream raises
        return b""
    if request.content_length is not None:
        try:
            return await request.content.readexactly(request.content_length)
        except asyncio.IncompleteReadError:
            raise BadRequest("The body is shorter than its Content-Length.") from None
    buffer = bytearray()
    async for chunk in request.content.iter_chunked(256 * 1024):
        buffer += chunk
        if len(buffer) > limit:
            raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    return bytes(buffer)


def header(request: web.Request, name: str, pattern: re.Pattern[str], default: str = "") -> str:
    value = request.headers.get(name, default)
    if not pattern.match(value):
        raise BadRequest(f"The {name} header is missing or malformed.")
    return value


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encoder.encode(value), content_type="application/json")
