"""Benchmark the CRM's interactive operations against two floors on a database of a given size.

For each operation (search as you type, filtered list, client card, history, logging a contact) it
measures p50/p95 latency with one client and throughput with several, for three implementations:
the CRM's REST API served by gunicorn, a bare WSGI app serving the same result from hand-written
SQL (floor_app.py, same gunicorn settings) and that SQL timed directly. See bench/README.md.
"""

import argparse
import datetime
import functools
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor_app import Floor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
RESULTS = Path(__file__).resolve().parent / "results"

# The CRM's endpoints (REST API, token auth); adjust here if the API moves.
API_SEARCH = "/api/v1/search/"
API_PARTIES = "/api/v1/parties/"
API_PARTY = "/api/v1/parties/{id}/"
API_TIMELINE = "/api/v1/parties/{id}/timeline/"
API_INTERACTIONS = "/api/v1/interactions/"
# The kanban board is a page (session cookie), not an API endpoint.
PAGE_BOARD = "/sales/board/?pipeline={id}"
BOARD_PIPELINE = "Новые продажи"
# seed_deals puts this share of the added deals into open stages (the rest is won or lost).
BOARD_OPEN_SHARE = 0.8

# p95 targets in ms per database (README "Targets").
TARGETS_PG = {"search": 50.0, "list": 100.0, "card": 50.0, "timeline": 50.0, "log": 50.0, "capped": 20.0,
              "kanban": 200.0}  # fmt: skip
TARGETS_SQLITE = {"search": 100.0, "list": 100.0, "card": 100.0, "timeline": 100.0, "log": 100.0, "capped": 100.0,
                  "kanban": 200.0}  # fmt: skip
# On PostgreSQL, search and list throughput must reach this share of the bare endpoint's (SQLite: p95 only).
THROUGHPUT_SHARE = 0.5
# The lists of a card whose ids must agree between the CRM and the floor.
CARD_LISTS = ("contact_points", "nodes", "employers")


@dataclass
class Stats:
    count: int = 0
    errors: int = 0
    p50: float | None = None
    p95: float | None = None
    mean: float | None = None
    rps: float | None = None
    first_error: str = ""

    @classmethod
    def of(cls, timings: Sequence[float], errors: int, first_error: str) -> "Stats":
        if not timings:
            return cls(0, errors, first_error=first_error)
        ordered = sorted(timings)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return cls(
            len(ordered), errors, statistics.median(ordered), p95, statistics.fmean(ordered), first_error=first_error
        )


@dataclass
class Operation:
    name: str
    group: str  # which target applies: search, list, card, timeline, log, capped
    items: list[Any]
    api: Callable[[Any], tuple[str, str, dict[str, Any] | None]] | None
    bare: Callable[[Any], tuple[str, str, dict[str, Any] | None]] | None
    sql: Callable[[Floor, Any], Any]
    results: dict[str, Any] = field(default_factory=dict)
    # What must agree between the CRM's answer and the bare floor's (both JSON), for `agreement`.
    answer: Callable[[Any], Any] | None = None
    # Whose credentials the requests carry instead of the benchmark user's: (token for bare, CRM headers).
    auth: tuple[str, dict[str, str]] | None = None


class Server:
    """A gunicorn process on a free 127.0.0.1 port, stopped by its own pid."""

    def __init__(
        self, label: str, app: str, env: dict[str, str], workers: int, log_dir: Path, extra: list[str]
    ) -> None:
        self.label = label
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{label}.log"
        command = [
            str(GUNICORN), app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--worker-class", "sync", "--timeout", "60", "--log-level", "warning", *extra,
        ]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{label} server exited; see {self.log}:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{label} server did not start; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(
    port: int, token: str, method: str, path: str, body: dict[str, Any] | None, extra: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Host": "127.0.0.1", **(extra or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run(command: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


# Database -------------------------------------------------------------------------------------------------


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Create, migrate and fill the bench database up to --parties (reused when already that big)."""
    if args.db == "postgres":
        import psycopg

        name = args.db_name or f"crm_bench_{args.parties}"
        base = args.pg_url.rstrip("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{base}/{name}"
    else:
        path = Path(args.sqlite_path or ROOT / "var" / "bench" / f"crm_bench_{args.parties}.sqlite3").resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    env["CRM_DATABASE_URL"] = url
    run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"], env)
    floor = Floor(url)
    have = floor.rows("SELECT COUNT(*) AS n FROM parties_party")[0]["n"]
    seeded: dict[str, Any] = {"existing_parties": have}
    if have < args.parties:
        print(f"Seeding {args.parties - have} parties into {url} ...", flush=True)
        started = time.monotonic()
        command = [
            str(PYTHON),
            "manage.py",
            "seed_demo",
            "--skip-checks",
            "--parties",
            str(args.parties - have),
            "--seed",
            str(have + 1),
        ]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        seeded["seed_seconds"] = round(time.monotonic() - started, 1)
        seeded["seeded_parties"] = args.parties - have
    if args.deals:
        seeded.update(seed_board(args, env, floor))
    return url, seeded


def open_board_deals(floor: Floor) -> int:
    return int(
        floor.rows(
            "SELECT COUNT(*) AS n FROM sales_deal d JOIN sales_stage s ON s.id = d.stage_id JOIN sales_pipeline p "
            "ON p.id = d.pipeline_id WHERE p.name = %s AND s.kind = 'open' AND NOT d.is_deleted",
            [BOARD_PIPELINE],
        )[0]["n"]
    )


def seed_board(args: argparse.Namespace, env: dict[str, str], floor: Floor) -> dict[str, Any]:
    """Top the board's pipeline up to --deals open deals with `manage.py seed_deals` (plus won and lost ones)."""
    have = open_board_deals(floor)
    if have >= args.deals:
        return {"existing_open_deals": have}
    add = int((args.deals - have) / BOARD_OPEN_SHARE + 0.5)
    print(f"Seeding {add} deals into «{BOARD_PIPELINE}» ...", flush=True)
    started = time.monotonic()
    command = [str(PYTHON), "manage.py", "seed_deals", "--skip-checks", "--deals", str(add), "--pipeline",
               BOARD_PIPELINE, "--open-share", str(BOARD_OPEN_SHARE), "--seed", str(have + 1)]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return {
        "existing_open_deals": have,
        "seeded_deals": add,
        "seed_deals_seconds": round(time.monotonic() - started, 1),
    }


SESSION_SCRIPT = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from crm.accounts.models import User
user = User.objects.get(username={username!r})
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(settings.SESSION_COOKIE_NAME + "=" + session.session_key)
"""


def session_cookie(env: dict[str, str], username: str) -> dict[str, str]:
    """A signed-in session of `username` for pages (the board), made the way django.contrib.auth.login does."""
    out = run([str(PYTHON), "manage.py", "shell", "-c", SESSION_SCRIPT.format(username=username)], env)
    return {"Cookie": out.strip().splitlines()[-1]}


def api_token(floor: Floor, user_id: int) -> str:
    """The user's DRF token (rest_framework.authtoken), created the way DRF does if missing."""
    found = floor.rows("SELECT key FROM authtoken_token WHERE user_id = %s", [user_id])
    if found:
        return str(found[0]["key"])
    key = secrets.token_hex(20)
    floor.rows(
        "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
        [key, datetime.datetime.now(datetime.UTC), user_id],
    )
    return key


def table_sizes(floor: Floor) -> dict[str, int]:
    tables = ["parties_party", "parties_contactpoint", "parties_partyclassification", "activities_interaction",
              "activities_task", "sales_deal", "sales_dealline"]  # fmt: skip
    sizes = {t: floor.rows(f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in tables}
    if not floor.is_sqlite:
        sizes["database_bytes"] = floor.rows("SELECT pg_database_size(current_database()) AS n")[0]["n"]
    return sizes


def samples(floor: Floor, user_id: int, rng: random.Random, count: int) -> dict[str, list[Any]]:
    """Real values of the manager's clients to search for, cards to open and nodes to filter by."""
    bounds = floor.rows("SELECT MIN(id) AS lo, MAX(id) AS hi FROM parties_party")[0]
    found: list[dict[str, Any]] = []
    for _attempt in range(50):
        ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(500)]
        found += floor.rows(
            f"SELECT p.id, p.kind, p.name, p.inn, p.last_name, p.relationship FROM parties_party p "
            f"WHERE p.id IN ({', '.join(['%s'] * len(ids))}) AND p.responsible_id = %s AND NOT p.is_deleted",
            [*ids, user_id],
        )
        if len(found) >= 4 * count:
            break
    ids = [p["id"] for p in found]
    marks = ", ".join(["%s"] * len(ids))
    points = floor.rows(f"SELECT kind, search_key FROM parties_contactpoint WHERE party_id IN ({marks})", ids)
    phones = [p["search_key"][:7] for p in points if p["kind"] == "phone"]
    emails = [p["search_key"].split("@")[0] + "@" for p in points if p["kind"] == "email"]
    names = []
    for party in found:
        quoted = re.search(r"«([^»]{4,})»", party["name"])
        names.append(quoted[1][:7] if quoted else party["last_name"] or party["name"][:6])
    inns = [p["inn"][:8] for p in found if p["inn"]]
    clients = [p["id"] for p in found if p["relationship"] != "contact"]
    organisations = [p["id"] for p in found if p["kind"] == "organization"]
    nodes = {
        n["name"]: n["id"]
        for n in floor.rows(
            "SELECT n.id, n.name FROM parties_classifiernode n JOIN parties_classifier k ON k.id = n.classifier_id "
            "WHERE k.name IN ('Температура', 'Отрасль') AND n.depth = 0"
        )
    }
    pairs = [
        [nodes[a], nodes[b]]
        for a, b in [
            ("Горячий", "Производство"),
            ("Тёплый", "Торговля"),
            ("Холодный", "Услуги"),
            ("Горячий", "ИТ и связь"),
            ("Тёплый", "Строительство"),
        ]  # fmt: skip
        if a in nodes and b in nodes
    ]

    def some(values: list[Any]) -> list[Any]:
        rng.shuffle(values)
        return values[:count]

    return {
        "phone": some(phones), "name": some(names), "email": some(emails), "inn": some(inns),
        "card": some(organisations), "timeline": some(clients), "nodes": pairs, "log": some(clients),
    }  # fmt: skip


def board_operations(floor: Floor, env: dict[str, str], users: list[str]) -> list[Operation]:
    """The kanban board of BOARD_PIPELINE for each user: `kanban` for the first, `kanban_<user>` for the others."""
    found = floor.rows("SELECT id FROM sales_pipeline WHERE name = %s", [BOARD_PIPELINE])
    if not found:
        return []
    pipeline_id = found[0]["id"]
    ops = []
    for n, username in enumerate(users):
        user = floor.rows("SELECT id FROM accounts_user WHERE username = %s", [username])
        if not user:
            raise SystemExit(f"No user {username} in the bench database.")
        uid = user[0]["id"]
        ops.append(
            Operation(
                "kanban" if n == 0 else f"kanban_{username}", "kanban", [pipeline_id],
                lambda i: ("GET", PAGE_BOARD.format(id=i), None), lambda i: ("GET", f"/board/{i}", None),
                functools.partial(lambda f, i, uid: f.board(uid, i), uid=uid),
                auth=(api_token(floor, uid), session_cookie(env, username)),
            )
        )  # fmt: skip
    return ops


def operations(data: dict[str, list[Any]], user_id: int) -> list[Operation]:
    def search(query: str) -> tuple[str, str, None]:
        return "GET", f"{API_SEARCH}?{urlencode({'q': query})}", None

    def bare_search(query: str) -> tuple[str, str, None]:
        return "GET", f"/search?{urlencode({'q': query})}", None

    def interaction(party_id: int) -> dict[str, Any]:
        return {
            "party": party_id, "type": "call", "direction": "out",
            "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(), "duration_minutes": 5,
            "subject": "Бенчмарк: звонок", "result": "Договорились созвониться позже.",
        }  # fmt: skip

    ops = [
        Operation(
            f"search_{kind}", "search", data[kind], search, bare_search, lambda f, q: f.search(user_id, q),
            answer=lambda rows: [r["id"] for r in rows],
        )
        for kind in ("phone", "name", "email", "inn")
    ]  # fmt: skip
    ops += [
        Operation(
            "list", "list", data["nodes"],
            lambda n: ("GET", f"{API_PARTIES}?{urlencode({'node': n, 'ordering': 'name', 'page_size': 50}, doseq=True)}", None),
            lambda n: ("GET", f"/parties?{urlencode({'node': n}, doseq=True)}", None),
            lambda f, n: f.party_list(user_id, n),
            answer=lambda page: (page["count"], page["count_is_capped"], [r["id"] for r in page["results"]]),
        ),
        Operation("capped_total", "capped", data["nodes"], None, None, lambda f, n: f.capped_total(user_id, n)),
        Operation(
            "card", "card", data["card"], lambda i: ("GET", API_PARTY.format(id=i), None),
            lambda i: ("GET", f"/parties/{i}", None), lambda f, i: f.card(user_id, i),
            answer=lambda card: [card["id"], *(sorted(x["id"] for x in card[k]) for k in CARD_LISTS)],
        ),
        Operation(
            "timeline", "timeline", data["timeline"], lambda i: ("GET", API_TIMELINE.format(id=i), None),
            lambda i: ("GET", f"/parties/{i}/timeline", None), lambda f, i: f.timeline(user_id, i),
            answer=timeline_instants,
        ),
        Operation(
            "log_interaction", "log", data["log"], lambda i: ("POST", API_INTERACTIONS, interaction(i)),
            lambda i: ("POST", "/interactions", interaction(i)), lambda f, i: f.log_interaction(user_id, interaction(i)),
        ),
    ]  # fmt: skip
    return ops


# Measuring ------------------------------------------------------------------------------------------------


def http_call(
    port: int,
    token: str,
    make: Callable[[Any], tuple[str, str, dict[str, Any] | None]],
    extra: dict[str, str] | None = None,
) -> Callable[[Any], None]:
    def call(item: Any) -> None:
        method, path, body = make(item)
        status, payload = request(port, token, method, path, body, extra)
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path} -> {status}: {payload[:300]!r}")

    return call


def instant(value: str) -> str:
    """A timestamp as JSON gives it (ISO in any zone, or psycopg's str), as one UTC form."""
    return datetime.datetime.fromisoformat(value).astimezone(datetime.UTC).isoformat()


def timeline_instants(page: Any) -> list[str]:
    """The instants of a history page: the CRM's `{"results": [...]}` or the floor's list."""
    return sorted(instant(entry["at"]) for entry in (page["results"] if isinstance(page, dict) else page))


def agreement(op: Operation, crm: int, bare: int, token: str, samples: int) -> dict[str, Any]:
    """Whether the CRM and the bare floor give the same answer (`op.answer`) for the first `samples` items.

    The throughput ratio means something only if both serve the same result; a floor that answers less
    (say, the first few hundred matches instead of all of them) would flatter itself.
    """
    answer, api, bare_call = op.answer, op.api, op.bare
    if answer is None or api is None or bare_call is None:
        raise ValueError(f"{op.name}: nothing to compare")
    checked, differ, first = 0, 0, ""
    for item in op.items[:samples]:
        answers = []
        for port, make in ((crm, api), (bare, bare_call)):
            method, path, body = make(item)
            status, payload = request(port, token, method, path, body)
            try:
                answers.append(answer(json.loads(payload)) if status == 200 else f"HTTP {status}")
            except (ValueError, KeyError, TypeError) as error:
                answers.append(f"unreadable answer ({error!r}): {payload[:200]!r}")
        checked += 1
        if answers[0] != answers[1]:
            differ += 1
            first = first or f"{item!r}: CRM {str(answers[0])[:300]} / bare {str(answers[1])[:300]}"
    return {"checked": checked, "differ": differ, "first": first}


def latency(call: Callable[[Any], Any], items: list[Any], max_requests: int, max_seconds: float) -> Stats:
    timings: list[float] = []
    errors, first_error = 0, ""
    deadline = time.monotonic() + max_seconds
    n = 0
    while n < max_requests and time.monotonic() < deadline:
        item = items[n % len(items)]
        started = time.perf_counter()
        try:
            call(item)
            timings.append((time.perf_counter() - started) * 1000)
        except Exception as error:  # noqa: BLE001 - every failure is counted and the first one reported
            errors += 1
            first_error = first_error or str(error)[:300]
            if errors >= 5 and not timings:
                break
        n += 1
    return Stats.of(timings, errors, first_error)


def throughput(
    call: Callable[[Any], Any], items: list[Any], clients: int, max_requests: int, max_seconds: float
) -> Stats:
    lock = threading.Lock()
    state = {"issued": 0, "done": 0, "errors": 0, "first_error": ""}
    timings: list[float] = []
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        while time.monotonic() < deadline:
            with lock:
                if state["issued"] >= max_requests:
                    return
                n = state["issued"]
                state["issued"] += 1
            started = time.perf_counter()
            try:
                call(items[n % len(items)])
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    state["done"] += 1
                    timings.append(elapsed)
            except Exception as error:  # noqa: BLE001
                with lock:
                    state["errors"] += 1
                    state["first_error"] = state["first_error"] or str(error)[:300]

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stats = Stats.of(timings, int(state["errors"]), str(state["first_error"]))
    stats.rps = round(int(state["done"]) / elapsed, 1) if elapsed else None
    return stats


def warm_up(call: Callable[[Any], Any], items: list[Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for item in items:
        if time.monotonic() > deadline:
            break
        try:
            call(item)
        except Exception:  # noqa: BLE001,S112 - warm-up failures show up in the measurement
            continue


# Report ---------------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def verdicts(op: Operation, targets: dict[str, float], share_wanted: float | None) -> list[str]:
    limit = targets[op.group]
    out = []
    measured = op.results.get("sql" if op.group == "capped" else "api")
    if measured is None or measured.p95 is None:
        return ["n/a"]
    out.append(f"p95 {'ok' if measured.p95 < limit else 'SLOW'} (<{limit:g})")
    api_tp, bare_tp = op.results.get("api_throughput"), op.results.get("bare_throughput")
    if op.group in ("search", "list") and share_wanted and api_tp and bare_tp and api_tp.rps and bare_tp.rps:
        share = api_tp.rps / bare_tp.rps
        out.append(f"rps {'ok' if share >= share_wanted else 'LOW'} ({share:.2f}x bare)")
    agreed = op.results.get("agreement")
    if agreed:
        out.append(
            "same answers" if not agreed["differ"] else f"ANSWERS DIFFER ({agreed['differ']}/{agreed['checked']})"
        )
    return out


def report(ops: list[Operation], targets: dict[str, float], share_wanted: float | None) -> str:
    header = (
        f"{'operation':<16} {'API p50':>8} {'p95':>7} {'rps':>6} | {'bare p50':>8} {'p95':>7} {'rps':>6} | "
        f"{'SQL p50':>7} {'p95':>7} | {'API/bare p95':>12} {'API/SQL p95':>11} {'API/bare rps':>12} | verdict"
    )
    lines = [header, "-" * len(header)]
    for op in ops:
        r = op.results
        api, bare, sql = r.get("api") or Stats(), r.get("bare") or Stats(), r.get("sql") or Stats()
        api_tp, bare_tp = r.get("api_throughput") or Stats(), r.get("bare_throughput") or Stats()
        lines.append(
            f"{op.name:<16} {fmt(api.p50):>8} {fmt(api.p95):>7} {fmt(api_tp.rps, 0):>6} | "
            f"{fmt(bare.p50):>8} {fmt(bare.p95):>7} {fmt(bare_tp.rps, 0):>6} | {fmt(sql.p50, 2):>7} {fmt(sql.p95, 2):>7} | "
            f"{fmt(ratio(api.p95, bare.p95), 2):>12} {fmt(ratio(api.p95, sql.p95), 2):>11} "
            f"{fmt(ratio(api_tp.rps, bare_tp.rps), 2):>12} | {'; '.join(verdicts(op, targets, share_wanted))}"
        )
        agreed = r.get("agreement")
        if agreed and agreed["differ"]:
            lines.append(
                f"    answers differ from the floor's on {agreed['differ']} of {agreed['checked']}: {agreed['first']}"
            )
        for label, stats in (("API", api), ("API load", api_tp), ("bare", bare), ("bare load", bare_tp)):
            if stats.errors:
                lines.append(f"    {label}: {stats.errors} errors, first: {stats.first_error}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--parties", type=int, default=100_000, help="Database size (parties of all forms).")
    parser.add_argument(
        "--deals",
        type=int,
        default=0,
        help=f"Open deals in «{BOARD_PIPELINE}» for the kanban operations (seed_deals tops it up); 0 adds none.",
    )
    parser.add_argument("--board-users", default="head,manager1", help="Whose boards to open (kanban, kanban_<user>).")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db-name", help="PostgreSQL database (default crm_bench_<parties>).")
    parser.add_argument("--sqlite-path", help="SQLite file (default var/bench/crm_bench_<parties>.sqlite3).")
    parser.add_argument("--user", default="manager1", help="Whose token the requests carry.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers for both servers.")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent clients in the throughput runs.")
    parser.add_argument("--requests", type=int, default=200, help="Latency samples per operation (at most).")
    parser.add_argument("--seconds", type=float, default=10, help="Time cap of each latency run.")
    parser.add_argument("--load-requests", type=int, default=2000, help="Requests per throughput run (at most).")
    parser.add_argument("--load-seconds", type=float, default=6, help="Time cap of each throughput run.")
    parser.add_argument("--warmup-seconds", type=float, default=3, help="Warm-up per operation and server.")
    parser.add_argument("--only", help="Comma-separated operation names to run.")
    parser.add_argument(
        "--agreement-samples",
        type=int,
        default=30,
        help="Items per operation whose CRM and floor answers are compared.",
    )
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    env = {
        **os.environ, "CRM_SECRET_KEY": "bench-not-a-secret", "CRM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CRM_DEBUG": "false", "CRM_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings",
    }  # fmt: skip
    url, seeded = prepare_database(args, env)
    # Pages (the board) name their static files through the manifest storage, which DEBUG=false requires.
    run([str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v0", "--skip-checks"], env)
    load_before = os.getloadavg()
    if load_before[0] > (os.cpu_count() or 1):
        print(f"Warning: load average {load_before[0]:.1f} on {os.cpu_count()} CPUs; the figures will be noisy.")
    floor = Floor(url)
    sizes = table_sizes(floor)
    print(f"Database {url}: {sizes}", flush=True)
    user = floor.rows("SELECT id FROM accounts_user WHERE username = %s", [args.user])
    if not user:
        raise SystemExit(f"No user {args.user} in the bench database.")
    user_id = user[0]["id"]
    token = api_token(floor, user_id)
    rng = random.Random(args.seed)
    data = samples(floor, user_id, rng, 200)
    ops = operations(data, user_id)
    if open_board_deals(floor):
        ops += board_operations(floor, env, [u for u in args.board_users.split(",") if u])
    if args.only:
        wanted = set(args.only.split(","))
        ops = [op for op in ops if op.name in wanted]

    started_at = datetime.datetime.now().astimezone()
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    log_dir = RESULTS / f"{stamp}-logs"
    log_dir.mkdir()
    extra_env = {**env, "BENCH_DATABASE_URL": url}
    servers = [
        Server("crm", "config.wsgi:application", env, args.workers, log_dir, []),
        Server("bare", "floor_app:application", extra_env, args.workers, log_dir, ["--pythonpath", "bench"]),
    ]
    crm, bare = servers
    try:
        for op in ops:
            print(f"{op.name}: ", end="", flush=True)
            if op.answer is not None and op.auth is None:
                op.results["agreement"] = agreement(op, crm.port, bare.port, token, args.agreement_samples)
            sql_call = functools.partial(op.sql, floor)
            warm_up(sql_call, op.items, args.warmup_seconds)
            op.results["sql"] = latency(sql_call, op.items, args.requests, args.seconds)
            for label, server, make in (("api", crm, op.api), ("bare", bare, op.bare)):
                if make is None:
                    continue
                op_token, headers = op.auth or (token, {})
                call = http_call(server.port, op_token, make, headers if label == "api" else None)
                # As many clients as workers, so that no worker meets its first (cold) request in the measurement.
                throughput(call, op.items, args.workers, 10**9, args.warmup_seconds)
                op.results[label] = latency(call, op.items, args.requests, args.seconds)
                if op.results[label].count:
                    op.results[f"{label}_throughput"] = throughput(
                        call, op.items, args.clients, args.load_requests, args.load_seconds
                    )
            print(", ".join(f"{k} p95={fmt(v.p95)}" for k, v in op.results.items() if isinstance(v, Stats)), flush=True)
    finally:
        for server in servers:
            server.stop()

    targets = TARGETS_PG if args.db == "postgres" else TARGETS_SQLITE
    table = report(ops, targets, THROUGHPUT_SHARE if args.db == "postgres" else None)
    print()
    print(f"load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"{args.db}, {sizes['parties_party']:,} parties, {sizes['activities_interaction']:,} interactions, "
          f"{sizes['sales_deal']:,} deals ({open_board_deals(floor):,} open in «{BOARD_PIPELINE}»); "
          f"{args.workers} gunicorn workers, {args.clients} clients; times in ms")  # fmt: skip
    print(table)
    out = RESULTS / f"{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "started_at": started_at.isoformat(), "db": args.db, "parties": args.parties, "sizes": sizes,
                "seeding": seeded, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                            "load_before": load_before, "load_after": os.getloadavg()},
                "git": run(["git", "rev-parse", "--short", "HEAD"], env).strip(), "args": vars(args),
                "targets_p95_ms": targets, "operations": {
                    op.name: {"group": op.group, **{k: asdict(v) if isinstance(v, Stats) else v
                                                    for k, v in op.results.items()}} for op in ops
                },
                "table": table,
            },
            ensure_ascii=False, indent=2,
        )
    )  # fmt: skip
    print(f"\nWritten {out}")


if __name__ == "__main__":
    main()
