"""Reminders through real peers: an SMTP server (aiosmtpd) and the Redis-backed queue."""

import datetime
import email
import os
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from crm.accounts.models import User
from crm.activities import services
from crm.activities.models import Notification
from crm.activities.reminders import reminders_deliver_due
from crm.parties.tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler keeping what the server accepted."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.content  # type: ignore[attr-defined]
        message = email.message_from_bytes(content if isinstance(content, bytes) else content.encode())
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_a_reminder_is_mailed_through_a_real_smtp_server(smtp_server: tuple[int, Inbox], manager: User) -> None:
    port, inbox = smtp_server
    party = PartyFactory(responsible=manager, name="ООО «Ромашка»")
    now = timezone.now()
    task = services.task_create(
        actor=manager, title="Перезвонить по счёту", party=party,
        due_at=now + datetime.timedelta(hours=1), remind_at=now - datetime.timedelta(minutes=1),
    )  # fmt: skip
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    with override_settings(**smtp):
        assert reminders_deliver_due() == 1
        assert reminders_deliver_due() == 0

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    subject = str(make_header(decode_header(message["Subject"])))
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert (recipients, "Перезвонить по счёту" in subject, "ООО «Ромашка»" in payload.decode("utf-8")) == (
        ["manager@example.com"], True, True,
    )  # fmt: skip
    assert Notification.objects.filter(user=manager, key=f"reminder:{task.pk}").count() == 1


def test_the_queue_runs_on_redis_when_configured() -> None:
    """CRM_REDIS_URL switches the queue to Redis; a task put there is read back by a consumer."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise  # CI has Redis: a missing server is a failure there, not a skip
        pytest.skip("Redis is not running on 127.0.0.1:6379 (start redis-server to run this test)")
    from crm.core import queue

    with override_settings(
        HUEY_SETTINGS={
            "name": "crm-test",
            "redis_url": "redis://127.0.0.1:6379/15",
            "sqlite_path": "",
            "immediate": False,
        }
    ):
        huey = queue.make_huey()
    huey.flush()
    try:
        assert type(huey).__name__ == "RedisHuey"

        @huey.task()
        def add(a: int, b: int) -> int:
            return a + b

        result = add(2, 3)
        assert huey.pending_count() == 1
        # What a worker process does: take the message off Redis and run it.
        huey.execute(huey.dequeue())
        assert result.get() == 5
    finally:
        huey.flush()
