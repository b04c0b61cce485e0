"""Content-addressed object store: bytes by hex key in an S3-compatible bucket, and the choice of store."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from worldsmith.config import ConfigError, StoreConfig
from worldsmith.store.content_cache import KEY, ContentCache, ContentStore, Entry, checked_key, checked_kind

# What S3 answers for a key that is not there: GetObject says NoSuchKey, HeadObject only its HTTP status.
MISSING = {"NoSuchKey", "404"}


class ObjectStore:
    """One kind of artefact stored by the hash of its recipe, as objects under `<prefix>/<kind>/` in a bucket.

    A PUT stores a whole object, so a reader sees all of one or a miss; every front pointed at the bucket
    shares the entries. Credentials and region come from the AWS environment, as boto3 reads them.
    """

    def __init__(self, bucket: str, prefix: str, kind: str, endpoint_url: str = ""):
        self.bucket = bucket
        self.prefix = "".join(f"{part}/" for part in (prefix.strip("/"), checked_kind(kind)) if part)
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint_url or None)

    def object_key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        return response["Body"].read()

    def __contains__(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if _is_missing(error):
                return False
            raise
        return True

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def entries(self) -> list[Entry]:
        """Every entry under the prefix, oldest written first."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        found = [Entry(item["Key"].removeprefix(self.prefix), item["Size"], item["LastModified"].timestamp())
                 for page in pages for item in page.get("Contents", ())]
        return sorted((entry for entry in found if KEY.fullmatch(entry.key)), key=lambda entry: entry.modified)


def _is_missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in MISSING


def content_store(store: StoreConfig, data_dir: str | Path, kind: str) -> ContentStore:
    """Where one kind of artefact lives: the folder `<data_dir>/cache/<kind>`, or the bucket `store.assets_url`
    names (at `store.s3_endpoint_url` when set), which must answer now."""
    if not store.assets_url:
        return ContentCache(data_dir, kind)
    location = urlsplit(store.assets_url)
    bucket = ObjectStore(location.netloc, location.path, kind, store.s3_endpoint_url)
    try:
        bucket.client.head_bucket(Bucket=bucket.bucket)
    except (BotoCoreError, ClientError) as error:
        where = f" at {store.s3_endpoint_url}" if store.s3_endpoint_url else ""
        raise ConfigError(f"store.assets_url {store.assets_url!r}: cannot use the bucket{where}: {error}") from None
    return bucket
