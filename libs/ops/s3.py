"""The S3-compatible backup target: dumps kept as objects under BACKUP_S3_URL.

boto3's managed transfers stream a file of any size in multipart chunks and retry
parts; they block, so each call runs in a thread. Credentials come from the standard
AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role):
they never pass through Settings, so they are never in a repr or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from libs.common.config import Settings
from libs.ops import files

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

P = ParamSpec("P")
T = TypeVar("T")
SCHEME = "s3://"
DUMP_SUFFIX = ".dump"
SHA256_METADATA = "sha256"
_TRANSFER = TransferConfig(multipart_threshold=64 << 20, multipart_chunksize=64 << 20)


class S3Error(Exception):
    """The object store refused or failed a request; the message says which and why."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def url(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


def is_s3(path: str) -> bool:
    return path.startswith(SCHEME)


def parse(url: str) -> S3Location:
    """`s3://bucket/some/key` → its bucket and key (the key may be empty: a prefix)."""
    if not is_s3(url):
        raise S3Error(f"{url!r} is not an s3:// URL")
    bucket, _, key = url.removeprefix(SCHEME).partition("/")
    if not bucket:
        raise S3Error(f"{url!r} names no bucket")
    return S3Location(bucket, key)


class BackupStore:
    """Dumps under one bucket and prefix, each with its sha256 in the object's metadata."""

    def __init__(self, url: str, *, endpoint_url: str | None, region: str | None) -> None:
        base = parse(url)
        self.bucket = base.bucket
        self.prefix = base.key.strip("/")
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    def location(self, name: str) -> S3Location:
        return S3Location(self.bucket, f"{self.prefix}/{name}" if self.prefix else name)

    async def upload(self, local: Path, name: str, sha256: str) -> str:
        """Store `local` as `name`; the object's URL once S3 reports its full size."""
        where = self.location(name)
        size = local.stat().st_size
        extra = {"Metadata": {SHA256_METADATA: sha256}, "ContentType": "application/octet-stream"}
        await self._call(
            "upload",
            where,
            self._client.upload_file,
            str(local),
            where.bucket,
            where.key,
            ExtraArgs=extra,
            Config=_TRANSFER,
        )
        head = await self._call(
            "check", where, self._client.head_object, Bucket=where.bucket, Key=where.key
        )
        if head["ContentLength"] != size:
            raise S3Error(f"{where.url} holds {head['ContentLength']} bytes, expected {size}")
        return where.url

    async def download(self, url: str, dest: Path) -> str | None:
        """Fetch `url` into `dest`; the sha256 recorded with the object, if any."""
        where = parse(url)
        head = await self._call(
            "read", where, self._client.head_object, Bucket=where.bucket, Key=where.key
        )
        await self._call(
            "download",
            where,
            self._client.download_file,
            where.bucket,
            where.key,
            str(dest),
            Config=_TRANSFER,
        )
        return head.get("Metadata", {}).get(SHA256_METADATA)

    async def delete(self, url: str) -> None:
        where = parse(url)
        await self._call(
            "delete", where, self._client.delete_object, Bucket=where.bucket, Key=where.key
        )

    async def latest(self) -> str | None:
        """The newest dump under the prefix: names start with their UTC time, so the
        greatest key is the newest."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        paginator = self._client.get_paginator("list_objects_v2")

        def scan() -> str | None:
            best = None
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if key.endswith(DUMP_SUFFIX) and "/" not in key[len(prefix) :]:
                        best = max(best or key, key)
            return best

        newest = await self._call("list", self.location(""), scan)
        return None if newest is None else S3Location(self.bucket, newest).url

    async def _call(
        self, what: str, where: S3Location, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except (BotoCoreError, ClientError, boto3.exceptions.Boto3Error) as exc:
            raise S3Error(f"S3 {what} of {where.url} failed: {exc}") from None


@contextlib.asynccontextmanager
async def local_copy(settings: Settings, path: str) -> AsyncIterator[Path]:
    """A dump on local disk: `path` itself, or an s3:// object downloaded for the block.

    The download is staged in BACKUP_DIR under a `.partial` name (cleanup removes one a
    crash left behind) and its sha256 is checked against the object's own record.
    """
    if not is_s3(path):
        yield Path(path)
        return
    target = store(settings) or BackupStore(
        path, endpoint_url=settings.backup_s3_endpoint_url, region=settings.backup_s3_region
    )
    directory = files.backup_dir(settings)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = parse(path).key.rpartition("/")[2] or "dump"
    local = directory / f"{name}.{secrets.token_hex(4)}{files.PARTIAL_SUFFIX}"
    try:
        recorded = await target.download(path, local)
        if recorded is not None:
            sha256, _ = await asyncio.to_thread(files.digest, local)
            if sha256 != recorded:
                raise S3Error(f"{path} is corrupt: sha256 {sha256}, recorded {recorded}")
        yield local
    finally:
        local.unlink(missing_ok=True)


def store(settings: Settings) -> BackupStore | None:
    """The configured S3 target, or None when backups stay in BACKUP_DIR only."""
    if settings.backup_s3_url is None:
        return None
    return BackupStore(
        settings.backup_s3_url,
        endpoint_url=settings.backup_s3_endpoint_url,
        region=settings.backup_s3_region,
    )
