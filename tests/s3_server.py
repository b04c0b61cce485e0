"""A throwaway S3 server (moto) on loopback for the session, and a new bucket on it per test."""

from __future__ import annotations

import itertools

import boto3
import pytest
from moto.server import ThreadedMotoServer

BUCKET_NUMBERS = itertools.count()


@pytest.fixture(scope="session")
def s3_endpoint():
    """The S3 API's address: a moto server on 127.0.0.1, any free port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch, tmp_path) -> str:
    """An empty bucket; boto3 reads dummy credentials and the region from the environment, no AWS files."""
    environment = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
                   "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"worldsmith-assets-{next(BUCKET_NUMBERS)}"
    boto3.session.Session().client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket
