"""Parsing the repository locations users give us: https git URLs and local paths."""

from __future__ import annotations

import asyncio
import ipaddress
import posixpath
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from libs.common.schemas import Provider

_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$")
_SEGMENT = re.compile(r"^[A-Za-z0-9._~%+-]+$")


class InvalidRepositoryLocation(ValueError):
    """The URL or path cannot name a repository; the message says why."""


@dataclass(frozen=True)
class Location:
    provider: Provider
    full_name: str
    clone_url: str


def parse_https_url(url: str, github_host: str = "github.com") -> Location:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # a port that is not a number raises here, not in urlsplit
    except ValueError:  # brackets that do not close an IPv6 address, or open none
        raise InvalidRepositoryLocation("the URL does not parse (its host or port)") from None
    if parts.scheme != "https":
        raise InvalidRepositoryLocation("only https:// git URLs are accepted")
    if parts.username or parts.password:
        raise InvalidRepositoryLocation(
            "the URL must not carry credentials; connect GitHub or use a public URL"
        )
    host = (parts.hostname or "").lower()
    netloc = host + (f":{port}" if port else "")
    if not host or not _HOST.match(netloc):
        raise InvalidRepositoryLocation("the URL has no valid host")
    if parts.query or parts.fragment:
        raise InvalidRepositoryLocation("the URL must not have a query or fragment")
    if any(s in (".", "..") for s in parts.path.split("/")):
        raise InvalidRepositoryLocation("the URL has no repository path (dot segments)")
    path = posixpath.normpath(parts.path).strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    segments = path.split("/") if path and path != "." else []
    if not segments or any(s in ("", ".", "..") or not _SEGMENT.match(s) for s in segments):
        raise InvalidRepositoryLocation("the URL has no repository path")
    if host == github_host:
        if len(segments) != 2:
            raise InvalidRepositoryLocation("a GitHub URL must be https://github.com/OWNER/NAME")
        full = "/".join(segments)
        return Location("github", full, f"https://{host}/{full}.git")
    return Location("git", f"{netloc}/{path}", f"https://{netloc}/{path}")


def parse_local_path(path: str) -> Location:
    if not path.startswith("/"):
        raise InvalidRepositoryLocation("a local repository path must be absolute")
    clean = posixpath.normpath(path)
    name = posixpath.basename(clean) or clean
    return Location("local", f"local/{name}", clean)


RESOLVE_TIMEOUT_S = 3.0


async def refuse_private_host(url: str) -> None:
    """Refuse an https URL whose host is, or resolves to, an address that is not public
    (loopback, private, link-local such as a cloud metadata service): fetching it would
    let a tenant probe the network the workers sit in.

    A host that does not resolve here passes; the fetch will say it cannot reach it.
    Checked at registration and again before each fetch (DNS may change in between).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, parts.port or 443, type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError):
            return
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    if any(not address.is_global for address in addresses):
        raise InvalidRepositoryLocation(
            f"the host {host} is a loopback, private or link-local address; this server"
            " only fetches from public hosts (ALLOW_PRIVATE_REPO_HOSTS)"
        )
