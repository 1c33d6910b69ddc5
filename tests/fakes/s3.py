"""A local S3-compatible server for the backup target: moto's server on loopback.

It speaks S3's REST protocol (signed requests, multipart uploads, list-objects-v2), so
our code reaches it through boto3 exactly as it would reach AWS or MinIO; only the
endpoint URL and the credentials differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Any values do: the server checks the signature's form, not the key.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "autodevops-test",
    "AWS_SECRET_ACCESS_KEY": "autodevops-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@dataclass(frozen=True)
class FakeS3:
    endpoint_url: str
    bucket: str
    client: S3Client

    def url(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}" if prefix else f"s3://{self.bucket}"

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def fake_s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> FakeS3:
    """An empty bucket of its own, and AWS credentials in the environment for boto3."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.session.Session().client("s3", endpoint_url=s3_endpoint)
    bucket = f"backups-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=bucket)
    return FakeS3(s3_endpoint, bucket, client)
