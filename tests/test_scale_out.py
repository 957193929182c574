"""Scale-out on one machine, as README's "PostgreSQL and scale-out" deploys it on many.

Two gunicorn web processes (A and B, config.wsgi) and two workers (`manage.py run_worker`), all started here as
separate processes with the same `CRM_*` variables: the test database of pytest-django on PostgreSQL, Redis for
the queue and the cache (a prefix of its own per run), S3 storage (moto's S3 server on a local port, as in
crm/files/tests/test_s3.py) and an SMTP server on a local port. The checks are a user's: a load balancer may
send any request to any web process, and any worker may pick up any job or die at any moment.
"""

import asyncio
import contextlib
import datetime
import email
import importlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
import requests
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from moto.server import ThreadedMotoServer

from conftest import make_user
from crm.accounts.models import User
from crm.accounts.roles import SALES_MANAGER
from crm.activities.choices import ReminderState
from crm.activities.models import Notification, Reminder
from crm.files.tests.factories import pdf_bytes
from crm.sales.models import Lead
from tests.database_sessions import end_other_sessions

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="scale-out needs PostgreSQL; set CRM_DATABASE_URL"),
    pytest.mark.django_db(transaction=True),  # the processes see only committed rows
]

REDIS_URL = "redis://127.0.0.1:6379/15"
BUCKET = "crm-scale-out"
PASSWORD = "scale-out-pass-1"
FORM_TOKEN = "scale-out-form-token"
FORM_RATE_PER_MINUTE = 4
# Short, so that a reminder held by a killed worker comes back within the test (production: 120 s).
LEASE_SECONDS = 2
START_TIMEOUT = 60.0
PROCESS_LIFETIME = 900  # seconds; the module takes well under one minute
WAIT_TIMEOUT = 30.0


def wait_for(
    what: str,
    check: Callable[[], Any],
    timeout: float = WAIT_TIMEOUT,
    every: float = 0.1,
    logs: Callable[[], str] = str,
) -> Any:
    """Poll `check` until it returns something true; fail with `what` (and the processes' logs) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")
        time.sleep(every)


def early_in_a_minute(seconds: float) -> None:
    """Make sure `seconds` pass before the next minute starts: the lead form counts per calendar minute, and the
    workers' every-minute reminder scan starts at second 0."""
    now = timezone.now()
    left = 60 - now.second - now.microsecond / 1e6
    if left < seconds:
        time.sleep(left + 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------- mail server
@dataclass
class Mail:
    sender: str
    recipient: str
    subject: str


@dataclass
class MailServer:
    """An SMTP server (aiosmtpd) on a local port; it can answer slowly, or hold the next message until released."""

    port: int = 0
    accepted: list[Mail] = field(default_factory=list)
    delay: float = 0.0
    hold_next: bool = False
    held: list[Mail] = field(default_factory=list)  # the messages held (and never accepted)
    release: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.release.set()  # whatever still waits is let go (and refused)
        self.accepted.clear()
        self.held.clear()
        self.delay, self.hold_next = 0.0, False
        self.release = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.hold_next:
            self.hold_next = False
            self.held.append(Mail(envelope.mail_from, envelope.rcpt_tos[0], ""))
            release = self.release
            while not release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"  # not accepted: the sender is gone by now anyway
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message = email.message_from_bytes(content)
        subject = str(make_header(decode_header(message["Subject"])))
        for recipient in envelope.rcpt_tos:
            self.accepted.append(Mail(envelope.mail_from, recipient, subject))
        return "250 OK"

    def delivered(self, recipient: str, title: str) -> list[Mail]:
        return [m for m in self.accepted if m.recipient == recipient and title in m.subject]


@pytest.fixture(scope="module")
def mail_server() -> Iterator[MailServer]:
    server = MailServer(port=free_port())  # aiosmtpd cannot take port 0: it connects to its port to start
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        server.release.set()
        controller.stop()


# ---------------------------------------------------------------------------------------------- Redis and S3
@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    """A queue name and cache key prefix of this run only; its keys are deleted at the end."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        # Redis is a peer of the PostgreSQL run like PostgreSQL itself: a missing server fails, it never skips.
        raise RuntimeError(f"scale-out needs Redis at {REDIS_URL} (start redis-server)") from error
    prefix = f"crmscale{uuid.uuid4().hex[:12]}"  # letters and digits only: Huey strips the rest from queue names
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a local port with an empty bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3_client(endpoint).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ru-central1"})
    try:
        yield endpoint
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test-key", aws_secret_access_key="test-secret",
        region_name="ru-central1",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- processes
@dataclass
class Process:
    name: str
    popen: "subprocess.Popen[bytes]"
    log: Path
    url: str = ""
    mail_from: str = ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def send_signal(self, sig: int) -> None:
        """Signal the process and its children (it leads a session of its own)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the process to end; SIGKILL it (and its children) after `timeout`."""
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.send_signal(sig)
        self.wait()


@dataclass
class Cluster:
    env: dict[str, str]
    var_dir: Path
    log_dir: Path
    webs: dict[str, Process] = field(default_factory=dict)
    workers: dict[str, Process] = field(default_factory=dict)
    started: int = 0

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Process:
        self.started += 1
        log = self.log_dir / f"{self.started:02d}-{name}.log"
        # `timeout` ends whatever a killed test run (SIGKILL, no finalizers) would leave behind holding the database.
        args = ["timeout", "--signal=KILL", str(PROCESS_LIFETIME), *args]
        env = {**env, "PGAPPNAME": f"scale-out {name}"}  # names its database sessions (tests.database_sessions)
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                args, cwd=settings.BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        return Process(name, popen, log)

    def spawn_web(self, name: str) -> Process:
        args = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:0", "--workers", "1",
                "--timeout", "60", "--graceful-timeout", "5"]  # fmt: skip
        if any(s.name == "control_socket_disable" for s in importlib.import_module("gunicorn.config").KNOWN_SETTINGS):
            args.append("--no-control-socket")  # gunicorn 25+: else every instance claims ~/.gunicorn/gunicorn.ctl
        process = self._spawn(name, args, self.env)
        self.webs[name] = process
        return process

    def spawn_worker(self, name: str) -> Process:
        # Each worker signs its e-mails with its own sender address: the mail server tells who delivered what.
        mail_from = f"{name}@workers.test"
        args = [sys.executable, "manage.py", "run_worker", "--workers", "2"]
        process = self._spawn(name, args, {**self.env, "CRM_EMAIL_FROM": mail_from})
        process.mail_from = mail_from
        self.workers[name] = process
        return process

    def wait_web(self, process: Process) -> None:
        def listening() -> str:
            assert process.alive(), f"{process.name} exited:\n{process.tail()}"
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", process.output())
            return found.group(1) if found else ""

        process.url = wait_for(f"{process.name} to listen", listening, START_TIMEOUT)

        def answers() -> bool:
            assert process.alive(), f"{process.name} exited:\n{process.tail()}"
            try:
                return requests.get(f"{process.url}/accounts/login/", timeout=10).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(f"{process.name} to answer", answers, START_TIMEOUT, every=0.2)

    def wait_worker(self, process: Process) -> None:
        def consuming() -> bool:
            assert process.alive(), f"{process.name} exited:\n{process.tail()}"
            return "Huey consumer started" in process.output()

        wait_for(f"{process.name} to start", consuming, START_TIMEOUT, every=0.2)

    def worker_by_sender(self, mail_from: str) -> Process:
        return next(p for p in self.workers.values() if p.mail_from == mail_from)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in [*self.webs.values(), *self.workers.values()])

    def stop_all(self) -> None:
        for web in self.webs.values():
            web.send_signal(signal.SIGINT)  # gunicorn: quick shutdown
        for worker in self.workers.values():
            worker.send_signal(signal.SIGTERM)  # huey: stop now; leases cover whatever was running
        for process in [*self.webs.values(), *self.workers.values()]:
            process.wait(timeout=5)


def _database_url() -> str:
    """The database pytest-django created for this run (and this xdist worker)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def cluster(
    django_db_setup: None,
    django_db_blocker: Any,
    redis_prefix: str,
    s3_endpoint: str,
    mail_server: MailServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    var_dir = tmp_path_factory.mktemp("scale-out-var")
    (var_dir / "static").mkdir()  # WhiteNoise serves STATIC_ROOT; the pages need none of its files here
    log_dir = tmp_path_factory.mktemp("scale-out-logs")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CRM_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.scale_out_settings",
        "CRM_SECRET_KEY": secrets.token_urlsafe(40),
        "CRM_DATABASE_URL": _database_url(),
        "CRM_VAR_DIR": str(var_dir),
        "CRM_REDIS_URL": REDIS_URL,
        "CRM_REDIS_PREFIX": redis_prefix,
        "CRM_S3_BUCKET": BUCKET,
        "CRM_S3_ENDPOINT_URL": s3_endpoint,
        "CRM_S3_ACCESS_KEY": "test-key",
        "CRM_S3_SECRET_KEY": "test-secret",
        "CRM_S3_REGION": "ru-central1",
        "CRM_EMAIL_HOST": "127.0.0.1",
        "CRM_EMAIL_PORT": str(mail_server.port),
        "CRM_EMAIL_USE_TLS": "false",
        "CRM_LEAD_FORM_TOKEN": FORM_TOKEN,
        "CRM_LEAD_FORM_RATE_PER_MINUTE": str(FORM_RATE_PER_MINUTE),
        "CRM_REMINDER_LEASE_SECONDS": str(LEASE_SECONDS),
        "CRM_LOG_LEVEL": "INFO",
    })  # fmt: skip
    running = Cluster(env, var_dir, log_dir)
    try:
        webs = [running.spawn_web("web-a"), running.spawn_web("web-b")]
        workers = [running.spawn_worker("worker-a"), running.spawn_worker("worker-b")]
        for web in webs:
            running.wait_web(web)
        for worker in workers:
            running.wait_worker(worker)
        yield running
    finally:
        running.stop_all()
        with django_db_blocker.unblock():
            # The stopped processes' sessions end a moment after them; none may hold the database at the end.
            end_other_sessions()


@pytest.fixture
def up(cluster: Cluster, mail_server: MailServer) -> Iterator[Cluster]:
    """The cluster with both workers running (a test may have killed one) and a quiet mail server."""
    for name in ("worker-a", "worker-b"):
        if not any(p.alive() for n, p in cluster.workers.items() if n.startswith(name)):
            cluster.wait_worker(cluster.spawn_worker(f"{name}-again"))
    mail_server.reset()
    yield cluster
    mail_server.reset()


# ---------------------------------------------------------------------------------------------- users and HTTP
def person(username: str) -> User:
    """A sales manager whose password the production hasher (PBKDF2) accepts; the test settings hash with MD5."""
    user = make_user(username, SALES_MANAGER, first_name=username.capitalize(), last_name="Масштабов")
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)  # upgraded by the first sign-in
    user.save(update_fields=["password"])
    return user


def colleagues(*names: str) -> list[User]:
    """People who only receive reminders (by e-mail at <name>@example.com): they never sign in."""
    return [User.objects.create(username=name, email=f"{name}@example.com", first_name=name) for name in names]


class Browser:
    """One person's browser: one cookie jar for the site, whichever web process answers."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken") or ""

    def sign_in(self, web: Process, user: User) -> requests.Response:
        self.http.get(f"{web.url}/accounts/login/", timeout=30).raise_for_status()
        data = {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        return self.http.post(f"{web.url}/accounts/login/", data=data, allow_redirects=False, timeout=30)

    def get(self, web: Process, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(f"{web.url}{path}", allow_redirects=False, timeout=30, **kwargs)

    def send(self, method: str, web: Process, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf(), "Referer": f"{web.url}/"}
        return self.http.request(
            method, f"{web.url}{path}", headers=headers, allow_redirects=False, timeout=30, **kwargs
        )


def signed_in(web: Process, user: User) -> Browser:
    browser = Browser()
    response = browser.sign_in(web, user)
    assert response.status_code == 302, response.text[:500]
    return browser


# ---------------------------------------------------------------------------------------------- the checks
def test_a_load_balancer_may_send_each_request_to_either_web_process(up: Cluster) -> None:
    """Signed in on A, the session goes on on B; what one process writes the other reads; signed out everywhere."""
    a, b = up.webs["web-a"], up.webs["web-b"]
    browser = Browser()

    response = browser.sign_in(a, person("ivan"))
    assert (response.status_code, "sessionid" in response.cookies) == (302, True), response.text[:500]
    page = browser.get(b, "/")
    assert (page.status_code, "Ivan" in page.text) == (200, True), page.text[:500]
    assert Browser().get(b, "/").status_code == 302  # B does check: without the cookie it asks to sign in

    created = browser.send("POST", a, "/api/v1/parties/", json={"kind": "organization", "name": "ООО Балансир"})
    assert created.status_code == 201, created.text[:500]
    pk = created.json()["id"]

    card = browser.get(b, f"/api/v1/parties/{pk}/")
    assert (card.status_code, card.json()["name"]) == (200, "ООО Балансир"), card.text[:500]
    changed = browser.send(
        "PATCH",
        b,
        f"/api/v1/parties/{pk}/",
        json={"name": "ООО Балансир и партнёры", "version": card.json()["version"]},
    )
    assert changed.status_code == 200, changed.text[:500]
    again = browser.get(a, f"/api/v1/parties/{pk}/").json()
    assert (again["name"], again["version"]) == ("ООО Балансир и партнёры", card.json()["version"] + 1)
    listed = browser.get(b, "/api/v1/parties/", params={"q": "Балансир"}).json()
    assert [row["id"] for row in listed["results"]] == [pk]

    assert browser.send("POST", b, "/accounts/logout/").status_code == 302  # signed out on B...
    assert browser.get(a, "/").headers["Location"].startswith("/accounts/login/")  # ...is signed out on A


def test_the_lead_form_limit_holds_across_web_processes(up: Cluster) -> None:
    a, b = up.webs["web-a"], up.webs["web-b"]
    early_in_a_minute(8)

    def post(web: Process, number: int) -> int:
        data = {"name": f"Посетитель {number}", "phone": "+7 900 000-00-00", "subject": f"Заявка {number}"}
        headers = {"X-CRM-Form-Token": FORM_TOKEN}
        return requests.post(f"{web.url}/sales/leads/webform/", json=data, headers=headers, timeout=30).status_code

    statuses = [post(a if number % 2 else b, number) for number in range(1, FORM_RATE_PER_MINUTE + 3)]

    # Counted together, whichever process the load balancer picked: a per-process count would let 2 x 4 through.
    assert statuses == [201] * FORM_RATE_PER_MINUTE + [429, 429]
    assert Lead.objects.count() == FORM_RATE_PER_MINUTE


def test_a_file_uploaded_through_one_web_process_downloads_through_the_other(up: Cluster, s3_endpoint: str) -> None:
    a, b = up.webs["web-a"], up.webs["web-b"]
    s3 = s3_client(s3_endpoint)
    browser = signed_in(a, person("ivan"))
    party = browser.send("POST", a, "/api/v1/parties/", json={"kind": "organization", "name": "ООО Файлы"}).json()
    content = pdf_bytes("Scale-out")

    uploaded = browser.send(
        "POST", a, f"/api/v1/parties/{party['id']}/attachments/",
        files={"file": ("Договор.pdf", content, "application/pdf")},
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text[:500]

    download = browser.get(b, f"/api/v1/attachments/{uploaded.json()['id']}/download/")
    assert (download.status_code, download.content) == (200, content)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert len(keys) == 1
    assert s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read() == content
    assert [p for p in (up.var_dir / "media").rglob("*") if p.is_file()] == []  # nothing on a web process's disk


# ---------------------------------------------------------------------------------------------- reminders
def create_task(browser: Browser, web: Process, title: str, assignees: list[User]) -> int:
    """A task through the API whose reminder is due now: the web process wakes a worker through Redis."""
    now = timezone.now()
    data = {
        "title": title,
        "due_at": (now + datetime.timedelta(hours=1)).isoformat(),
        "remind_at": (now - datetime.timedelta(minutes=1)).isoformat(),
        "assignees": [u.pk for u in assignees],
    }
    response = browser.send("POST", web, "/api/v1/tasks/", json=data)
    assert response.status_code == 201, response.text[:500]
    pk: int = response.json()["id"]
    return pk


def all_sent(task_ids: list[int]) -> bool:
    reminders = Reminder.objects.filter(task_id__in=task_ids)
    return reminders.exists() and not reminders.exclude(state=ReminderState.SENT).exists()


def assert_delivered_once(mail_server: MailServer, tasks: dict[int, tuple[str, list[User]]], cluster: Cluster) -> None:
    """Each assignee of each task got one e-mail and one bell message; nothing else was mailed."""
    time.sleep(0.5)  # a second copy would be on its way by now
    mails = {(user.email, title): len(mail_server.delivered(user.email, title)) for title, users in tasks.values()
             for user in users}  # fmt: skip
    assert mails == dict.fromkeys(mails, 1), cluster.logs()
    assert len(mail_server.accepted) == len(mails)
    bells = Counter(Notification.objects.filter(key__in=[f"reminder:{pk}" for pk in tasks]).values_list("user", "key"))
    assert bells == {(user.pk, f"reminder:{pk}"): 1 for pk, (_title, users) in tasks.items() for user in users}


def test_reminders_due_now_are_delivered_once_by_two_workers(up: Cluster, mail_server: MailServer) -> None:
    a, b = up.webs["web-a"], up.webs["web-b"]
    browser = signed_in(a, person("boss"))
    team = colleagues(*(f"user{n}" for n in range(6)))
    mail_server.delay = 0.3  # a mail server a little slow to answer: the workers overlap

    tasks = {}
    for number, web in enumerate([a, b, a, b], start=1):
        title = f"Звонок {number}"
        tasks[create_task(browser, web, title, team)] = (title, team)
    wait_for("every reminder to be sent", lambda: all_sent(list(tasks)), logs=up.logs)

    assert_delivered_once(mail_server, tasks, up)
    senders = {m.sender for m in mail_server.accepted}
    assert senders == {p.mail_from for p in up.workers.values() if p.alive()}, "both workers deliver"


def test_a_burst_longer_than_a_lease_is_still_delivered_once(up: Cluster, mail_server: MailServer) -> None:
    """One worker takes many reminders at once; while it is busy past the lease, another worker's pass starts.

    Each reminder must be taken under its own lease just before delivery: a lease taken for the whole burst
    runs out while the first worker is still mailing, and the second pass would mail the rest again.
    """
    a, b = up.webs["web-a"], up.webs["web-b"]
    browser = signed_in(a, person("boss"))
    crowd = colleagues(*(f"user{n}" for n in range(12)))
    [late] = colleagues("late")
    mail_server.delay = 0.3  # 12 e-mails take 3.6 s or more, longer than the lease
    early_in_a_minute(10)  # no minute scan joins in: the second pass is the one started below

    tasks = {create_task(browser, a, "Планёрка", crowd): ("Планёрка", crowd)}
    wait_for("the first e-mail of the burst", lambda: mail_server.accepted, logs=up.logs)
    time.sleep(LEASE_SECONDS + 0.3)
    assert not all_sent(list(tasks)), "the burst ended before the lease did: nothing was tested"
    tasks[create_task(browser, b, "Опоздавший", [late])] = ("Опоздавший", [late])  # wakes another pass
    wait_for("every reminder to be sent", lambda: all_sent(list(tasks)), logs=up.logs)

    assert_delivered_once(mail_server, tasks, up)


def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_nothing(up: Cluster, mail_server: MailServer) -> None:
    a, b = up.webs["web-a"], up.webs["web-b"]
    browser = signed_in(a, person("boss"))
    first, second, third, fourth, fifth, sixth = colleagues(*(f"user{n}" for n in range(6)))
    tasks: dict[int, tuple[str, list[User]]] = {}

    # The mail server keeps the first e-mail hanging: its worker is stuck in the middle of a delivery.
    mail_server.hold_next = True
    stuck = create_task(browser, a, "Встреча", [first, second, third])
    tasks[stuck] = ("Встреча", [first, second, third])
    [hanging] = wait_for("a worker to get stuck on the mail server", lambda: mail_server.held, logs=up.logs)
    victim = up.worker_by_sender(hanging.sender)
    survivor = next(p for p in up.workers.values() if p.alive() and p is not victim)
    held = Reminder.objects.get(task_id=stuck, user__email=hanging.recipient)

    # Meanwhile the other reminders of that task and a new one go out: the stuck worker holds back only its own.
    tasks[create_task(browser, b, "Отчёт", [fourth])] = ("Отчёт", [fourth])
    wait_for("the other reminders to be sent", lambda: len(mail_server.accepted) >= 3, logs=up.logs)

    victim.stop(signal.SIGKILL)
    mail_server.release.set()  # the dead worker's message was never accepted
    restarted = up.spawn_worker(f"{victim.name}-restarted")
    held.refresh_from_db()
    assert held.notified_at is not None  # its bell rang before the worker died
    if held.state == ReminderState.PENDING and held.lease_until is not None:
        # Once the dead worker's lease is over, the next pass delivers its reminder (in production the minute
        # scan). A lease shorter than the hang may have let another worker take it over already: once, too.
        time.sleep(max(0.0, (held.lease_until - timezone.now()).total_seconds()) + 0.2)
    up.wait_worker(restarted)
    tasks[create_task(browser, b, "Договор", [fifth])] = ("Договор", [fifth])
    wait_for("the dead worker's reminder to be sent", lambda: all_sent(list(tasks)), logs=up.logs)

    assert_delivered_once(mail_server, tasks, up)
    held.refresh_from_db()
    assert held.attempts == 2

    # The restarted worker does the work alone once the other one stops.
    survivor.stop()
    tasks[create_task(browser, a, "Счёт", [sixth])] = ("Счёт", [sixth])
    wait_for("the restarted worker to deliver", lambda: all_sent(list(tasks)), logs=up.logs)
    assert [m.sender for m in mail_server.delivered(sixth.email, "Счёт")] == [restarted.mail_from]
