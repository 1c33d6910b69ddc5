"""Decoding requests (bodies, query strings, path ids) with msgspec: 400s that name the
field, 404s for ids that cannot exist."""

from __future__ import annotations

import re
import uuid
from typing import TypeVar

import msgspec
from aiohttp import web

from services.api.http.errors import NotFound, ValidationFailed

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


async def decode(request: web.Request, type_: type[T]) -> T:
    raw = await request.read()
    if not raw:
        raise ValidationFailed("The request body is empty; send a JSON object.")
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as exc:
        raise field_error(exc) from None
    except (msgspec.DecodeError, UnicodeDecodeError):
        # msgspec reports bytes that are not UTF-8 inside a string as a UnicodeDecodeError.
        raise ValidationFailed("The request body is not valid JSON (UTF-8).") from None


def decode_query(request: web.Request, type_: type[T]) -> T:
    """Query parameters into a msgspec type (numbers from strings); 400 naming the field."""
    try:
        return msgspec.convert(dict(request.query), type_, strict=False)
    except msgspec.ValidationError as exc:
        raise field_error(exc) from None


def path_uuid(request: web.Request, name: str = "id") -> uuid.UUID:
    """A path id; anything that is not a UUID names nothing, so it is a 404."""
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError:
        raise NotFound("No such object.") from None


_encoder = msgspec.json.Encoder()


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encoder.encode(value), content_type="application/json")
