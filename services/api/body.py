"""Decoding request bodies with msgspec, turning its errors into 400s that name the field."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from aiohttp import web

from services.api.errors import ValidationFailed

T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?) - at `\$(?P<path>[^`]*)`$")
_UNKNOWN = re.compile(r"unknown field `(?P<field>[^`]+)`")
_MISSING = re.compile(r"missing required field `(?P<field>[^`]+)`")


def field_error(exc: msgspec.ValidationError) -> tuple[str, str]:
    """(field path, message) from a msgspec validation error."""
    text = str(exc)
    match = _AT.match(text)
    message, path = (match.group("message"), match.group("path")) if match else (text, "")
    for pattern in (_UNKNOWN, _MISSING):
        named = pattern.search(message)
        if named:
            path = f"{path}.{named.group('field')}"
    return path.lstrip(".") or "body", message


async def decode(request: web.Request, type_: type[T]) -> T:
    raw = await request.read()
    if not raw:
        raise ValidationFailed("The request body is empty; send a JSON object.")
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as exc:
        field, message = field_error(exc)
        raise ValidationFailed(
            f"{field}: {message}", errors=[{"field": field, "message": message}]
        ) from None
    except msgspec.DecodeError:
        raise ValidationFailed("The request body is not valid JSON.") from None


def decode_query(request: web.Request, type_: type[T]) -> T:
    """Query parameters into a msgspec type (numbers from strings); 400 naming the field."""
    try:
        return msgspec.convert(dict(request.query), type_, strict=False)
    except msgspec.ValidationError as exc:
        field, message = field_error(exc)
        raise ValidationFailed(
            f"{field}: {message}", errors=[{"field": field, "message": message}]
        ) from None


_encoder = msgspec.json.Encoder()


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_encoder.encode(value), content_type="application/json")
