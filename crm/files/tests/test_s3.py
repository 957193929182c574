"""Files in S3-compatible storage, against moto's S3 server on a local port.

moto speaks the real S3 wire protocol (signed HTTP requests, XML answers), so this exercises django-storages,
boto3 and our settings end to end; it is a fake at the border, standing in for AWS, Yandex Object Storage or
MinIO, which a test cannot reach.
"""

import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from moto.server import ThreadedMotoServer
from pytest_django.fixtures import Settings

from crm.accounts.models import User
from crm.files.models import Attachment
from crm.files.tests.factories import body, pdf_bytes, stored_files, upload
from crm.parties.tests.factories import PartyFactory

BUCKET = "crm-files"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The settings config/settings.py makes from the CRM_S3_* variables, applied to this test."""
    for name, value in {
        "CRM_S3_BUCKET": BUCKET,
        "CRM_S3_ENDPOINT_URL": s3_endpoint,
        "CRM_S3_ACCESS_KEY": "test-key",
        "CRM_S3_SECRET_KEY": "test-secret",
        "CRM_S3_REGION": "ru-central1",
    }.items():
        monkeypatch.setenv(name, value)
    built = runpy.run_path(str(Path(django_settings.BASE_DIR) / "config" / "settings.py"))
    assert built["STORAGES"]["default"] == {"BACKEND": "storages.backends.s3.S3Storage"}
    for name in [n for n in built if n.startswith("AWS_")]:
        setattr(settings, name, built[name])
    settings.STORAGES = {**django_settings.STORAGES, "default": built["STORAGES"]["default"]}
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test-key", aws_secret_access_key="test-secret",
        region_name="ru-central1",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ru-central1"})
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_a_file_goes_to_the_bucket_and_comes_back_through_the_download_view(
    s3_settings: Any, client: Client, manager: User, media_root: Path
) -> None:
    party = PartyFactory(responsible=manager)
    content = pdf_bytes("S3")
    client.force_login(manager)
    response = client.post(reverse("files:party-files", args=[party.pk]), {"file": upload("Договор.pdf", content)})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    keys = [item["Key"] for item in s3_settings.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [attachment.file.name]
    assert s3_settings.get_object(Bucket=BUCKET, Key=attachment.file.name)["Body"].read() == content
    assert stored_files(media_root) == []  # nothing went to the local disk
    download = client.get(reverse("files:attachment-download", args=[attachment.pk]))
    assert (download.status_code, body(download)) == (200, content)
    assert (
        download["Content-Disposition"] == "attachment; filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80.pdf"
    )


def test_a_refused_upload_puts_nothing_in_the_bucket(s3_settings: Any, client: Client, manager: User) -> None:
    party = PartyFactory(responsible=manager)
    client.force_login(manager)
    client.post(reverse("files:party-files", args=[party.pk]), {"file": upload("Договор.pdf", b"MZ\x90\x00")})
    assert s3_settings.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []
    assert Attachment.objects.count() == 0
