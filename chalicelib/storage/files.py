"""Order documents' files in S3 (the DocumentFiles port, services/document_files.py).

Uploads are presigned POSTs: their policy is what limits an upload (exact size through
`content-length-range`, the declared `Content-Type`); a presigned PUT would limit nothing. Downloads
are presigned GETs that make S3 answer `Content-Disposition: attachment` with the original filename
(RFC 6266/5987: an ASCII fallback and the exact name percent-encoded in UTF-8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from chalicelib.domain.clock import iso, utcnow
from chalicelib.services.document_files import DOWNLOAD_SECONDS, UPLOAD_SECONDS, Stored, Upload


def content_disposition(filename: str) -> str:
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in filename) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3DocumentFiles:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def upload(self, key: str, content_type: str, size: int) -> Upload:
        expires = utcnow() + timedelta(seconds=UPLOAD_SECONDS)
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
            ExpiresIn=UPLOAD_SECONDS,
        )
        return Upload(url=str(post["url"]), fields=dict(post["fields"]), expires_at=iso(expires))

    def download_url(self, key: str, version_id: str, filename: str, content_type: str) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "VersionId": version_id,
                "ResponseContentDisposition": content_disposition(filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
        return url

    def versions(self, key: str) -> list[str]:
        # A document's object has a few versions at most (one form, 15 minutes): one page holds them.
        listed = self._s3.list_object_versions(Bucket=self._bucket, Prefix=key, MaxKeys=1000)
        mine = [v for v in listed.get("Versions", []) if v["Key"] == key]
        # S3 lists a key's versions newest first; LastModified has one-second precision, so keep that order
        # for versions of the same second.
        return [str(v["VersionId"]) for v in reversed(mine)]

    def stored(self, key: str, version_id: str) -> Stored | None:
        from botocore.exceptions import ClientError

        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key, VersionId=version_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "NoSuchVersion"):
                return None
            raise
        return Stored(version_id, size=int(head["ContentLength"]), content_type=str(head.get("ContentType", "")))

    def delete(self, key: str, version_id: str | None = None) -> None:
        for version in [version_id] if version_id is not None else self.versions(key):
            self._s3.delete_object(Bucket=self._bucket, Key=key, VersionId=version)
