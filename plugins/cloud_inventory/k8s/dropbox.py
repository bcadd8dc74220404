"""The S3 drop box the bastions write to: list a cluster's dumps, stream one, copy a bad one to quarantine.

Bastions (include/bastion/k8s-dump.sh) upload to
    <dumps uri>/cluster=<name>/dt=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>.json[.gz]
Keys sort by cluster and then by time, so "everything after key K" is one ListObjectsV2 with StartAfter.
The pipeline only reads here, except for copies under <dumps uri>/quarantine/ (the bucket policy in
include/iam/dropbox-bucket-policy.json allows exactly that); it never deletes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, BinaryIO, Iterator

QUARANTINE = "quarantine"
_DUMP_NAME = re.compile(r"^(?P<stamp>\d{8}T\d{6}Z)\.json(\.gz)?$")
_METADATA_LIMIT = 1500  # S3 user metadata is at most 2 KB in all, ASCII only


class KeyLayoutError(ValueError):
    """A drop-box key that does not follow the dump layout: we cannot tell when its dump was taken."""


@dataclass(frozen=True)
class DumpObject:
    key: str
    etag: str
    size: int

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class DumpTime:
    stamp: str  # YYYYMMDDTHHMMSSZ, as in the key
    at: datetime

    @property
    def day(self) -> date:
        return self.at.date()


def dump_time(key: str, cluster: str) -> DumpTime:
    """When the dump was taken, from its key; KeyLayoutError naming the key when the key does not say."""
    parts = key.rsplit("/", 3)
    expected = f".../cluster={cluster}/dt=<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>.json[.gz]"
    match = _DUMP_NAME.match(parts[-1])
    if len(parts) < 3 or parts[-3] != f"cluster={cluster}" or not parts[-2].startswith("dt=") or not match:
        raise KeyLayoutError(f"key {key!r} does not follow the dump layout {expected}")
    try:
        at = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise KeyLayoutError(f"key {key!r}: {match['stamp']!r} is not a valid UTC time") from None
    if parts[-2] != f"dt={at.date().isoformat()}":
        raise KeyLayoutError(f"key {key!r}: folder {parts[-2]!r} disagrees with the dump time {match['stamp']}")
    return DumpTime(match["stamp"], at)


class DropBox:
    def __init__(self, uri: str, client: Any):
        rest = uri[len("s3://"):].strip("/")
        self.uri = uri.rstrip("/")
        self.bucket, _, prefix = rest.partition("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.client = client

    def cluster_prefix(self, cluster: str) -> str:
        return f"{self.prefix}cluster={cluster}/"

    def list_dumps(self, cluster: str, start_after: str | None = None) -> Iterator[DumpObject]:
        """Every object under the cluster's prefix (after `start_after`), in key order."""
        arguments = {"Bucket": self.bucket, "Prefix": self.cluster_prefix(cluster)}
        if start_after:
            arguments["StartAfter"] = start_after
        for page in self.client.get_paginator("list_objects_v2").paginate(**arguments):
            for item in page.get("Contents", []):
                if item["Key"].endswith("/"):
                    continue  # a folder marker made by a console or a tool, not a dump
                yield DumpObject(item["Key"], item["ETag"].strip('"'), item["Size"])

    def clusters_present(self) -> set[str]:
        """Names of the clusters that have a folder in the drop box (configured or not)."""
        names: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                folder = common["Prefix"][len(self.prefix):].rstrip("/")
                if folder.startswith("cluster="):
                    names.add(folder[len("cluster="):])
        return names

    def open(self, dump: DumpObject) -> BinaryIO:
        """The object's bytes as a stream; refuses (PreconditionFailed) if it changed since it was listed."""
        return self.client.get_object(Bucket=self.bucket, Key=dump.key, IfMatch=f'"{dump.etag}"')["Body"]

    def quarantine_key(self, dump: DumpObject) -> str:
        return f"{self.prefix}{QUARANTINE}/{dump.key[len(self.prefix):]}"

    def quarantine(self, dump: DumpObject, reason: str) -> str:
        """Copy the dump under quarantine/, encrypted, with the reason in its metadata; the original stays."""
        target = self.quarantine_key(dump)
        ascii_reason = reason.encode("ascii", "replace").decode("ascii")[:_METADATA_LIMIT]
        self.client.copy(
            {"Bucket": self.bucket, "Key": dump.key},
            self.bucket,
            target,
            ExtraArgs={
                "ServerSideEncryption": "AES256",
                "MetadataDirective": "REPLACE",
                "Metadata": {"quarantine-reason": ascii_reason, "source-key": dump.key, "source-etag": dump.etag},
                "CopySourceIfMatch": f'"{dump.etag}"',
            },
        )
        return f"s3://{self.bucket}/{target}"


def dropbox_for(settings: Any) -> DropBox:
    """The configured drop box with the default credential chain and the project's retry settings."""
    import boto3

    from cloud_inventory.aws.sessions import client_config

    return DropBox(settings.dumps_uri, boto3.client("s3", config=client_config(settings)))
