"""The floor: the CRM's benchmarked reads and writes hand-written in SQL, with and without a bare WSGI app.

`Floor` runs each operation as a hand-written query on a plain psycopg or sqlite3 connection; the
benchmark times it directly (the "SQL" column) and serves it through `application`, a WSGI callable
with no framework (the "bare" column), under the same gunicorn settings as the CRM. Both follow the
CRM's rules for a sales manager (own and co-owned clients, token auth) and return the same rows.

Serve: BENCH_DATABASE_URL=postgres://... gunicorn --pythonpath bench floor_app:application
"""

import datetime
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

Row = dict[str, Any]
_PHONEISH = re.compile(r"^[\d\s()+\-.]+$")
_DIGITS = re.compile(r"\D+")
LIMIT = 20
COUNT_CAP = 10_000
BOARD_CARDS = 30


def search_digits(query: str) -> str:
    """The same normalisation as crm.core.phones.search_digits."""
    digits = _DIGITS.sub("", query)
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    if query.strip().startswith("+7") and digits.startswith("7"):
        return digits[1:]
    return digits


def search_prefixes(query: str) -> list[str]:
    """The same readings as crm.core.phones.search_prefixes: a leading 8 is a trunk prefix, or part of the number."""
    digits = search_digits(query)
    if query.strip().startswith("8") and 3 < len(digits) < 11:
        return [digits, digits[1:]]
    return [digits]


def connect(url: str) -> Any:
    """A psycopg connection in autocommit mode, or a sqlite3 connection set up like the CRM's."""
    if url.startswith("sqlite"):
        path = urlsplit(url).path
        path = path[1:] if path.startswith("//") else path
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn
    import psycopg

    return psycopg.connect(url, autocommit=True)


class Floor:
    """Each benchmarked operation as the fewest, best-indexed queries we know how to write."""

    def __init__(self, url: str = "", *, conn: Any = None) -> None:
        """Connect to `url`, or work on an open connection (the tests pass Django's)."""
        self.conn = connect(url) if conn is None else conn
        self.is_sqlite = isinstance(self.conn, sqlite3.Connection)

    # Plumbing ------------------------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self.is_sqlite:
            cursor = self.conn.execute(sql.replace("%s", "?"), [self._plain(p) for p in params])
        else:
            cursor = self.conn.execute(sql, params)
        if cursor.description is None:  # INSERT without RETURNING
            return []
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @staticmethod
    def _plain(value: Any) -> Any:
        if isinstance(value, datetime.datetime):
            return str(value.astimezone(datetime.UTC).replace(tzinfo=None))
        return value

    def prefix(self, column: str, value: str) -> tuple[str, list[str]]:
        """`column` starts with `value`, written the way each database serves from an index."""
        if self.is_sqlite:
            return f"({column} >= %s AND {column} < %s)", [value, value[:-1] + chr(ord(value[-1]) + 1)]
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE %s", [escaped + "%"]

    def contains_name(self, value: str) -> tuple[str, list[str]]:
        """The name holds `value`, any case (crm.core.db.contains_casefold_sql): SQLite on the case-folded copy."""
        if self.is_sqlite:
            return "p.search_name LIKE %s ESCAPE '\\'", [self._contains(value.casefold())]
        return "UPPER(p.name::text) LIKE UPPER(%s)", [self._contains(value)]

    @staticmethod
    def _contains(value: str) -> str:
        return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def visible(self, user_id: int) -> tuple[str, list[Any]]:
        """A sales manager's clients: own or co-owned, not in the trash (crm.parties.access).

        PostgreSQL: in the shape the owner GIN indexes serve (parties 0008): the manager as a bigint, the
        co-owner copy, and the co-owner table itself as the rule.
        """
        if not self.is_sqlite:
            return (
                "NOT p.is_deleted AND (p.responsible_id = %s::bigint OR (p.co_owner_ids @> %s::jsonb AND p.id IN "
                "(SELECT co.party_id FROM parties_party_co_owners co WHERE co.user_id = %s)))",
                [user_id, f"[{int(user_id)}]", user_id],
            )
        return (
            "NOT p.is_deleted AND (p.responsible_id = %s OR EXISTS (SELECT 1 FROM parties_party_co_owners co "
            "WHERE co.party_id = p.id AND co.user_id = %s))",
            [user_id, user_id],
        )

    def user_for_token(self, key: str) -> int | None:
        found = self.rows(
            "SELECT u.id FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id WHERE t.key = %s AND u.is_active",
            [key],
        )
        return found[0]["id"] if found else None

    # Operations ----------------------------------------------------------------------------------------

    def search(self, user_id: int, query: str) -> list[Row]:
        """Clients and contact persons by name part, phone, e-mail or INN: crm.parties.selectors.party_search.

        One branch per way of matching, each sorted and cut on its own (an OR of them under one ORDER BY name
        LIMIT tempts PostgreSQL into walking the whole name index), merged by the case-folded name. A prefix
        first collects up to LIMIT * 5 ids of its parties from its index; a prefix with more matches than that
        (a bare `sales@`, the first digits of a number) is matched in place, walking the name index, so that
        the answer is the first visible matches by name, not those among the first few hundred addresses.
        A name part sorts its matches by the case-folded name, as the CRM does.
        """
        query = query.strip()
        if len(query) < 2:
            return []
        prefixes: list[tuple[str, list[Any], str]] = []  # SELECT of its party ids, parameters, the match in place
        branches: list[tuple[str, list[Any], str]] = []  # a condition on the party `p`, parameters, order

        def points(kind: str, key: str) -> None:
            match, values = self.prefix("c.search_key", key)
            candidates = f"SELECT c.party_id AS id FROM parties_contactpoint c WHERE c.kind = %s AND {match}"
            prefixes.append((candidates, [kind, *values], f"p.id IN ({candidates})"))

        if "@" in query:
            points("email", query.lower())
        elif _PHONEISH.match(query):
            if len(search_digits(query)) < 3:
                return []
            for digits in search_prefixes(query):
                points("phone", digits)
            match, values = self.prefix("p.inn", _DIGITS.sub("", query))
            prefixes.append((f"SELECT p.id FROM parties_party p WHERE {match}", values, match))
        else:
            branches.append((*self.contains_name(query), "search_name"))
            if len(query) >= 3:
                points("email", query.lower())
        for candidates, values, in_place in prefixes:
            ids = [r["id"] for r in self.rows(f"SELECT x.* FROM ({candidates} LIMIT {LIMIT * 5 + 1}) AS x", values)]
            if len(ids) > LIMIT * 5:
                branches.append((in_place, values, "name"))
            elif ids:
                branches.append((f"p.id IN ({', '.join(['%s'] * len(ids))})", ids, "name"))
        if not branches:
            return []
        columns = (
            "p.id, p.kind, p.name, p.search_name, p.inn, p.relationship, p.responsible_id, "
            "u.last_name AS responsible_last_name, u.first_name AS responsible_first_name"
        )
        parts, params = [], []
        for n, (match, values, order) in enumerate(branches):
            sql, sql_params = self._visible_branches(
                user_id, columns, f" AND {match}", values, f" ORDER BY p.{order}, p.id LIMIT {LIMIT}"
            )
            parts.append(f"SELECT * FROM ({sql}) AS b{n}")
            params += sql_params
        found = self.rows(f"{' UNION '.join(parts)} ORDER BY search_name, id LIMIT {LIMIT}", params)
        return self._with_summary(found)

    def _with_summary(self, parties: list[Row]) -> list[Row]:
        """Main phone, e-mail and employers of each found party: two queries for the whole page."""
        if not parties:
            return parties
        ids = [p["id"] for p in parties]
        marks = ", ".join(["%s"] * len(ids))
        by_id = {p["id"]: {**p, "phone": None, "email": None, "employers": []} for p in parties}
        for point in self.rows(
            f"SELECT party_id, kind, value FROM parties_contactpoint WHERE party_id IN ({marks}) "
            "AND kind IN ('phone', 'email') ORDER BY kind, is_primary DESC, id",
            ids,
        ):
            if by_id[point["party_id"]][point["kind"]] is None:
                by_id[point["party_id"]][point["kind"]] = point["value"]
        for link in self.rows(
            f"SELECT l.person_id, l.position, o.id, o.name FROM parties_partycontact l "
            f"JOIN parties_party o ON o.id = l.organization_id WHERE l.person_id IN ({marks})",
            ids,
        ):
            by_id[link["person_id"]]["employers"].append(
                {"id": link["id"], "name": link["name"], "position": link["position"]}
            )
        return list(by_id.values())

    def _trees(self, node_ids: Iterable[int]) -> list[list[int]]:
        """The chosen nodes by classifier tree (crm.parties.selectors.nodes_by_tree); on SQLite with their descendants.

        PostgreSQL: each party's nodes and their ancestors are in node_ids, so a node stands for its subtree.
        SQLite: the subtrees are resolved to node ids first, so each check is one probe of the unique
        (party_id, node_id) index instead of a join on paths.
        """
        ids = [int(n) for n in node_ids]
        if not ids:
            return []
        marks = ", ".join(["%s"] * len(ids))
        sql = (
            f"SELECT id, classifier_id FROM parties_classifiernode WHERE id IN ({marks})"
            if not self.is_sqlite
            else "SELECT DISTINCT d.id, d.classifier_id FROM parties_classifiernode s JOIN parties_classifiernode d "
            f"ON d.classifier_id = s.classifier_id AND d.path LIKE s.path || '%%' WHERE s.id IN ({marks})"
        )
        trees: dict[int, list[int]] = {}
        for node in self.rows(sql, ids):
            trees.setdefault(node["classifier_id"], []).append(node["id"])
        return [sorted(tree) for tree in trees.values()]

    def _nodes(self, trees: list[list[int]]) -> str:
        """AND across classifier trees, OR within one, descendants included (crm.parties.selectors.nodes_filter)."""
        if not self.is_sqlite:
            return "".join(
                " AND (" + " OR ".join(f"p.node_ids @> '[{n}]'::jsonb" for n in tree) + ")" for tree in trees
            )
        return "".join(
            " AND EXISTS (SELECT 1 FROM parties_partyclassification pc WHERE pc.party_id = p.id "
            f"AND pc.node_id IN ({', '.join(str(n) for n in tree)}))"
            for tree in trees
        )

    def _visible_branches(
        self, user_id: int, columns: str, extra: str, params: list[Any], tail: str, *, with_user: bool = True
    ) -> tuple[str, list[Any]]:
        """Own clients and co-owned ones as two branches, each able to walk its index in order.

        `responsible = me OR EXISTS(co-owner)` as one condition hides the (responsible, is_deleted, name)
        index from the planner; two branches merged keep it usable. PostgreSQL: one branch, the owner GIN
        index takes the OR (see visible()). `with_user`: join the responsible manager (a page shows the name,
        a count does not need it).
        """
        user = " JOIN accounts_user u ON u.id = p.responsible_id" if with_user else ""
        if not self.is_sqlite:
            visible, visible_params = self.visible(user_id)
            sql = f"SELECT * FROM (SELECT {columns} FROM parties_party p{user} WHERE {visible}{extra}{tail}) AS v"
            return sql, [*visible_params, *params]
        own = (
            f"SELECT {columns} FROM parties_party p{user} WHERE p.responsible_id = %s AND NOT p.is_deleted{extra}{tail}"
        )
        shared = (
            f"SELECT {columns} FROM parties_party_co_owners co JOIN parties_party p ON p.id = co.party_id{user} "
            f"WHERE co.user_id = %s AND p.responsible_id <> %s AND NOT p.is_deleted{extra}{tail}"
        )
        sql = f"SELECT * FROM ({own}) AS own UNION ALL SELECT * FROM ({shared}) AS shared"
        return sql, [user_id, *params, user_id, user_id, *params]

    def party_list(self, user_id: int, node_ids: Iterable[int], after: tuple[str, int] | None = None) -> Row:
        """One 50-row page sorted by name (keyset), with main phone, e-mail and employers; total capped at 10,000."""
        trees = self._trees(node_ids)
        total = self.capped_total(user_id, node_ids, trees=trees)
        nodes, params = self._nodes(trees), []
        if after is not None:
            nodes, params = f"{nodes} AND (p.name > %s OR (p.name = %s AND p.id > %s))", [after[0], *after]
        columns = (
            "p.id, p.kind, p.name, p.inn, p.region, p.relationship, p.updated_at, p.responsible_id, "
            "u.last_name AS responsible_last_name, u.first_name AS responsible_first_name"
        )
        sql, params = self._visible_branches(user_id, columns, nodes, params, " ORDER BY p.name, p.id LIMIT 51")
        rows = self.rows(f"{sql} ORDER BY name, id LIMIT 51", params)
        following = [rows[49]["name"], rows[49]["id"]] if len(rows) > 50 else None
        page = self._with_summary(rows[:50])
        return {"count": total[0], "count_is_capped": total[1], "next": following, "results": page}

    def capped_total(
        self, user_id: int, node_ids: Iterable[int], trees: list[list[int]] | None = None
    ) -> tuple[int, bool]:
        """As the CRM counts (crm.core.pagination.capped_count), without the page's join, which a count drops.

        PostgreSQL, nodes chosen: through the (owner, node) keys of the nodes (parties 0010), the visibility
        rule checked on the rows found only (crm.parties.access.parties_visible_in_nodes).
        """
        trees = self._trees(node_ids) if trees is None else trees
        if not self.is_sqlite and trees:
            visible, params = self.visible(user_id)
            keys = "".join(
                " AND crm_party_owner_nodes(p.responsible_id, p.co_owner_ids, p.node_ids) && %s::text[]" for _ in trees
            )
            sql = f"SELECT p.id FROM parties_party p WHERE ({visible}) IS TRUE{keys}"
            params = [*params, *([f"{user_id}:{n}" for n in tree] for tree in trees)]
        else:
            sql, params = self._visible_branches(
                user_id, "p.id", self._nodes(trees), [], f" LIMIT {COUNT_CAP + 1}", with_user=False
            )
        total = self.rows(f"SELECT COUNT(*) AS n FROM (SELECT * FROM ({sql}) AS v LIMIT {COUNT_CAP + 1}) AS t", params)[
            0
        ]["n"]
        return min(total, COUNT_CAP), total > COUNT_CAP

    def _party(self, user_id: int, party_id: int) -> Row | None:
        visible, params = self.visible(user_id)
        found = self.rows(
            f"""SELECT p.*, u.last_name AS responsible_last_name, u.first_name AS responsible_first_name
            FROM parties_party p JOIN accounts_user u ON u.id = p.responsible_id WHERE p.id = %s AND {visible}""",
            [party_id, *params],
        )
        return found[0] if found else None

    def card(self, user_id: int, party_id: int) -> Row | None:
        """The client card: requisites, contact points, contact persons with theirs, employers, nodes, co-owners."""
        party = self._party(user_id, party_id)
        if party is None:
            return None
        party["contact_points"] = self.rows(
            "SELECT id, kind, label, value, is_primary, confirmed_at FROM parties_contactpoint WHERE party_id = %s "
            "ORDER BY kind, is_primary DESC, id",
            [party_id],
        )
        contacts = self.rows(
            "SELECT l.id AS link_id, l.position, l.is_primary, pe.id, pe.name, pe.birthday FROM parties_partycontact l "
            "JOIN parties_party pe ON pe.id = l.person_id WHERE l.organization_id = %s AND NOT pe.is_deleted",
            [party_id],
        )
        if contacts:
            marks = ", ".join(["%s"] * len(contacts))
            points: dict[int, list[Row]] = {}
            for point in self.rows(
                f"SELECT party_id, id, kind, label, value, is_primary FROM parties_contactpoint WHERE party_id IN ({marks})",
                [c["id"] for c in contacts],
            ):
                points.setdefault(point.pop("party_id"), []).append(point)
            for contact in contacts:
                contact["contact_points"] = points.get(contact["id"], [])
        party["contacts"] = contacts
        party["employers"] = self.rows(
            "SELECT o.id, o.name, l.position FROM parties_partycontact l JOIN parties_party o ON o.id = l.organization_id "
            "WHERE l.person_id = %s AND NOT o.is_deleted",
            [party_id],
        )
        party["nodes"] = self.rows(
            "SELECT n.id, n.name, n.path, k.name AS classifier FROM parties_partyclassification pc "
            "JOIN parties_classifiernode n ON n.id = pc.node_id JOIN parties_classifier k ON k.id = n.classifier_id "
            "WHERE pc.party_id = %s",
            [party_id],
        )
        party["co_owners"] = self.rows(
            "SELECT u.id, u.last_name, u.first_name FROM parties_party_co_owners co JOIN accounts_user u "
            "ON u.id = co.user_id WHERE co.party_id = %s",
            [party_id],
        )
        return party

    def timeline(self, user_id: int, party_id: int) -> list[Row] | None:
        """The first 20 entries of the history, newest first, merged from four sources (party_timeline)."""
        visible, params = self.visible(user_id)
        if not self.rows(f"SELECT p.id FROM parties_party p WHERE p.id = %s AND {visible}", [party_id, *params]):
            return None
        n = LIMIT + 1
        entries = [
            {"kind": "interaction", **row}
            for row in self.rows(
                "SELECT i.id, i.occurred_at AS at, t.code AS type, i.direction, i.duration_minutes, i.subject, i.result, "
                "a.last_name AS author_last_name, cp.name AS contact_person FROM activities_interaction i "
                "JOIN activities_interactiontype t ON t.id = i.type_id JOIN accounts_user a ON a.id = i.author_id "
                "LEFT JOIN parties_party cp ON cp.id = i.contact_person_id "
                f"WHERE i.party_id = %s AND NOT i.is_deleted ORDER BY i.occurred_at DESC, i.id DESC LIMIT {n}",
                [party_id],
            )
        ]
        entries += [
            {"kind": "task", **row}
            for row in self.rows(
                "SELECT t.id, t.created_at AS at, t.title, t.status, t.due_at, a.last_name AS created_by_last_name "
                "FROM activities_task t JOIN accounts_user a ON a.id = t.created_by_id "
                f"WHERE t.party_id = %s AND NOT t.is_deleted ORDER BY t.created_at DESC, t.id DESC LIMIT {n}",
                [party_id],
            )
        ]
        entries += [
            {"kind": "change", **row}
            for row in self.rows(
                "SELECT e.id, e.at, e.kind AS event, e.data, a.last_name AS actor_last_name FROM parties_partyevent e "
                f"LEFT JOIN accounts_user a ON a.id = e.actor_id WHERE e.party_id = %s ORDER BY e.at DESC LIMIT {n}",
                [party_id],
            )
        ]
        entries += [
            {"kind": "activity_change", **row}
            for row in self.rows(
                "SELECT e.id, e.at, e.kind AS event, e.data FROM activities_activityevent e "
                f"WHERE e.party_id = %s AND e.kind <> 'created' ORDER BY e.at DESC LIMIT {n}",
                [party_id],
            )
        ]
        entries.sort(key=lambda e: str(e["at"]), reverse=True)
        return entries[:LIMIT]

    def log_interaction(self, user_id: int, data: Row) -> Row | None:
        """Record an interaction with its participant and its 'created' event in one transaction."""
        if self._party(user_id, int(data["party"])) is None:
            return None
        now = datetime.datetime.now(datetime.UTC)
        occurred = datetime.datetime.fromisoformat(data.get("occurred_at") or now.isoformat())
        self._begin()
        try:
            found = self.rows(
                """INSERT INTO activities_interaction (created_at, updated_at, version, is_deleted, party_id, type_id,
                direction, occurred_at, duration_minutes, subject, result, author_id)
                SELECT %s, %s, 1, false, %s, t.id, %s, %s, %s, %s, %s, %s FROM activities_interactiontype t
                WHERE t.code = %s RETURNING id""".replace("false", "0" if self.is_sqlite else "false"),
                [now, now, int(data["party"]), data.get("direction", "out"), occurred, int(data.get("duration_minutes", 0)),
                 data.get("subject", ""), data.get("result", ""), user_id, data["type"]],
            )  # fmt: skip
            interaction_id = found[0]["id"]
            self.rows(
                "INSERT INTO activities_interaction_participants (interaction_id, user_id) VALUES (%s, %s)",
                [interaction_id, user_id],
            )
            self.rows(
                "INSERT INTO activities_activityevent (party_id, interaction_id, kind, actor_id, at, data) "
                "VALUES (%s, %s, 'created', %s, %s, %s)",
                [int(data["party"]), interaction_id, user_id, now, json.dumps({"type": data["type"]})],
            )
        except Exception:
            self._end(commit=False)
            raise
        self._end(commit=True)
        return {"id": interaction_id, "party": int(data["party"]), "type": data["type"], "occurred_at": occurred}

    def board(self, user_id: int, pipeline_id: int) -> Row:
        """The kanban board of a pipeline (crm.sales.board): per stage the count and sums per currency of the
        visible live deals (one GROUP BY) and the 30 newest cards (one index walk per stage, UNION ALL)."""
        sees_all = self.rows(
            "SELECT 1 AS yes FROM accounts_user_groups ug JOIN auth_group_permissions gp ON gp.group_id = ug.group_id "
            "JOIN auth_permission p ON p.id = gp.permission_id JOIN django_content_type ct ON ct.id = p.content_type_id "
            "WHERE ug.user_id = %s AND ct.app_label = 'sales' AND p.codename = 'view_all_deals'",
            [user_id],
        )
        visible, params = "", []
        if not sees_all:
            owners = [user_id] + [
                r["id"]
                for r in self.rows(
                    "SELECT u.id FROM accounts_user u JOIN accounts_team t ON t.id = u.team_id "
                    "WHERE t.head_id = %s AND u.id <> %s",
                    [user_id, user_id],
                )
            ]
            visible, params = f" AND d.owner_id IN ({', '.join(['%s'] * len(owners))})", owners
        stages = self.rows(
            "SELECT id, name, kind FROM sales_stage WHERE pipeline_id = %s ORDER BY position, id", [pipeline_id]
        )
        columns = {s["id"]: {**s, "count": 0, "sums": {}, "cards": []} for s in stages}
        for row in self.rows(
            "SELECT d.stage_id, d.currency_id, COUNT(*) AS n, SUM(d.amount) AS total FROM sales_deal d "
            f"WHERE d.pipeline_id = %s AND NOT d.is_deleted{visible} GROUP BY d.stage_id, d.currency_id",
            [pipeline_id, *params],
        ):
            if row["stage_id"] in columns:
                columns[row["stage_id"]]["count"] += row["n"]
                columns[row["stage_id"]]["sums"][row["currency_id"]] = str(row["total"])
        if stages:
            branch = (
                "SELECT * FROM (SELECT d.id, d.title, d.amount, d.currency_id, d.probability, d.stage_entered_at, "
                "d.updated_at, d.stage_id, p.name AS party_name, u.first_name, u.last_name FROM sales_deal d "
                "JOIN parties_party p ON p.id = d.party_id JOIN accounts_user u ON u.id = d.owner_id "
                f"WHERE d.pipeline_id = %s AND NOT d.is_deleted AND d.stage_id = %s{visible} "
                f"ORDER BY d.updated_at DESC, d.id DESC LIMIT {BOARD_CARDS + 1}) AS s{{n}}"
            )
            sql = " UNION ALL ".join(branch.format(n=n) for n in range(len(stages)))
            values = [v for s in stages for v in (pipeline_id, s["id"], *params)]
            for card in self.rows(sql, values):
                columns[card["stage_id"]]["cards"].append(card)
        for column in columns.values():
            column["more"] = len(column["cards"]) > BOARD_CARDS
            column["cards"] = column["cards"][:BOARD_CARDS]
        return {"pipeline": pipeline_id, "columns": list(columns.values())}

    def _begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE" if self.is_sqlite else "BEGIN")

    def _end(self, *, commit: bool) -> None:
        self.conn.execute("COMMIT" if commit else "ROLLBACK")


# The bare WSGI application ------------------------------------------------------------------------------

_floor: Floor | None = None
Handler = Callable[[Floor, int, dict[str, list[str]], dict[str, Any] | None, re.Match[str]], Any]


def _routes() -> list[tuple[str, re.Pattern[str], Handler]]:
    return [
        ("GET", re.compile(r"^/search$"), lambda f, u, q, b, m: f.search(u, q.get("q", [""])[0])),
        ("GET", re.compile(r"^/parties$"), lambda f, u, q, b, m: f.party_list(u, [int(n) for n in q.get("node", [])])),
        ("GET", re.compile(r"^/parties/(\d+)$"), lambda f, u, q, b, m: f.card(u, int(m[1]))),
        ("GET", re.compile(r"^/parties/(\d+)/timeline$"), lambda f, u, q, b, m: f.timeline(u, int(m[1]))),
        ("POST", re.compile(r"^/interactions$"), lambda f, u, q, b, m: f.log_interaction(u, b or {})),
        ("GET", re.compile(r"^/board/(\d+)$"), lambda f, u, q, b, m: f.board(u, int(m[1]))),
    ]


ROUTES = _routes()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    global _floor
    if _floor is None:
        _floor = Floor(os.environ["BENCH_DATABASE_URL"])
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
    status, payload = "404 Not Found", {"detail": "not found"}
    auth = environ.get("HTTP_AUTHORIZATION", "")
    user_id = _floor.user_for_token(auth[6:]) if auth.startswith("Token ") else None
    if user_id is None:
        status, payload = "401 Unauthorized", {"detail": "authentication required"}
    else:
        for route_method, pattern, handler in ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                body = None
                if method == "POST":
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
                result = handler(_floor, user_id, parse_qs(environ.get("QUERY_STRING", "")), body, match)
                if result is not None:
                    status, payload = ("201 Created" if method == "POST" else "200 OK"), result
                break
    data = json.dumps(payload, default=str, ensure_ascii=False).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
