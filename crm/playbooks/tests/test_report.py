"""The script usage report: exact figures on a small history, and whose runs each persona sees."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.parties.models import Party
from crm.parties.tests.factories import PartyFactory
from crm.playbooks import services
from crm.playbooks.models import Answer, ScriptRun
from crm.playbooks.selectors import UsageRow, script_usage_report
from crm.playbooks.tests.conftest import Call

TOP = "Приветствие: Да → Потребность: Интересно"
NO_OUTCOMES = {"agreed": 0, "meeting": 0, "send_proposal": 0, "call_back": 0, "refused": 0}


def _run(
    user: User, party: Party, script: Call, answers: list[Answer], minutes: int | None, *, days_ago: int = 1,
    outcome: str = "", abandon: bool = False,
) -> ScriptRun:  # fmt: skip
    """A run that started `days_ago` at 10:00 and, unless `minutes` is None, was logged `minutes` later."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    with time_machine.travel(start, tick=False) as clock:
        run = services.run_start(actor=user, script=script.script, party=party)
        for answer in answers:
            services.run_choose(actor=user, run=run, answer=answer)
        if abandon:
            services.run_abandon(actor=user, run=run)
        elif minutes is not None:
            clock.shift(datetime.timedelta(minutes=minutes))
            services.run_finish(
                actor=user, run=run, type=InteractionType.objects.get(code="call"), outcome=outcome,
                occurred_at=timezone.now(),
            )  # fmt: skip
    return run


@dataclass
class History:
    call: Call


@pytest.fixture
def history(manager: User, colleague: User, outsider: User, call_script: Call) -> History:
    mine = PartyFactory(responsible=manager, name="ООО Ромашка")
    theirs = PartyFactory(responsible=colleague, name="ООО Лютик")
    foreign = PartyFactory(responsible=outsider, name="ООО Чужая")
    c = call_script
    _run(manager, mine, c, [c.yes, c.interested], 10)
    _run(manager, mine, c, [c.yes, c.interested], 20, days_ago=2)
    _run(manager, mine, c, [c.busy], 6)
    _run(manager, mine, c, [c.yes], None, abandon=True)
    _run(manager, mine, c, [], None)
    _run(manager, mine, c, [c.busy], 30, days_ago=400)  # outside the default period of a year
    _run(colleague, theirs, c, [c.yes, c.expensive, c.still_expensive], 4)
    _run(outsider, foreign, c, [c.busy], 2)
    return History(call=c)


def _row(
    script: Call, user: User | None, runs: int, finished: int, outcomes: dict[str, int], average: float | None,
    branch: str, branch_runs: int,
) -> UsageRow:  # fmt: skip
    name = "" if user is None else f"{user.last_name} {user.first_name}"
    return UsageRow(
        script_id=script.script.pk, script_name=script.script.name, user_id=user.pk if user else None, user_name=name,
        runs=runs, finished=finished, abandoned=runs - finished, outcomes={**NO_OUTCOMES, **outcomes},
        average_minutes=average, top_branch=branch, top_branch_runs=branch_runs,
    )  # fmt: skip


def _report(user: User, user_id: int | None = None) -> list[UsageRow]:
    """The report over the default period: the last year up to today."""
    today = timezone.localdate()
    return script_usage_report(user, start=today - datetime.timedelta(days=365), end=today, user_id=user_id).rows


def test_a_manager_sees_only_own_runs(manager: User, history: History) -> None:
    report = _report(manager)
    own = _row(history.call, manager, 5, 3, {"meeting": 2, "call_back": 1}, 12.0, TOP, 2)
    assert report == [_row(history.call, None, 5, 3, {"meeting": 2, "call_back": 1}, 12.0, TOP, 2), own]


def test_a_team_lead_sees_the_team_but_not_another_team(
    team_lead: User, manager: User, colleague: User, history: History
) -> None:
    report = _report(team_lead)
    refused = "Приветствие: Да → Потребность: Дорого → Дорого: Всё равно"
    assert report == [
        _row(history.call, None, 6, 4, {"meeting": 2, "call_back": 1, "refused": 1}, 10.0, TOP, 2),
        _row(history.call, manager, 5, 3, {"meeting": 2, "call_back": 1}, 12.0, TOP, 2),
        _row(history.call, colleague, 1, 1, {"refused": 1}, 4.0, refused, 1),
    ]


def test_the_head_of_sales_sees_everyone_and_filters_by_manager(
    head_of_sales: User, outsider: User, history: History
) -> None:
    total = _report(head_of_sales)[0]
    assert (total.runs, total.finished, total.abandoned, total.outcomes["call_back"], total.average_minutes) == (
        7,
        5,
        2,
        2,
        8.4,
    )
    only_outsider = _report(head_of_sales, user_id=outsider.pk)
    assert [(r.user_id, r.runs, r.top_branch) for r in only_outsider] == [
        (None, 1, "Приветствие: Занят"),
        (outsider.pk, 1, "Приветствие: Занят"),
    ]


def test_the_period_filter_counts_runs_by_their_start(manager: User, history: History) -> None:
    today = timezone.localdate()
    report = script_usage_report(manager, start=today - datetime.timedelta(days=1), end=today)
    assert (report.rows[0].runs, report.rows[0].finished) == (4, 2)


def test_a_marketer_sees_no_colleagues_runs(marketer: User, history: History) -> None:
    assert _report(marketer) == []


def test_the_report_page_and_its_xlsx(client: Client, team_lead: User, outsider: User, history: History) -> None:
    team_lead.language = "en"
    team_lead.save(update_fields=["language"])
    client.force_login(team_lead)
    page = client.get(reverse("playbooks:report"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Петров Иван" in content
    assert "Сидорова Мария" in content
    assert "Чужой" not in content

    response = client.get(reverse("playbooks:report"), {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.getvalue())).active
    rows: list[tuple[Any, ...]] = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Script", "Manager", "Runs", "Finished", "Abandoned")
    assert [row[:5] for row in rows[1:]] == [
        ("Тестовый звонок", "All managers", 6, 4, 2),
        ("Тестовый звонок", "Петров Иван", 5, 3, 2),
        ("Тестовый звонок", "Сидорова Мария", 1, 1, 0),
    ]
    assert rows[1][-3:] == (10, TOP, 2)


def test_the_report_api_matches_the_page(client: Client, manager: User, history: History) -> None:
    client.force_login(manager)
    data: Callable[[], Any] = lambda: client.get(reverse("api:script-report")).json()  # noqa: E731
    rows = data()["rows"]
    assert [(r["user"], r["runs"], r["finished"], r["abandoned"], r["average_minutes"]) for r in rows] == [
        (None, 5, 3, 2, 12.0),
        (manager.pk, 5, 3, 2, 12.0),
    ]
    assert rows[1]["outcomes"] == {**NO_OUTCOMES, "meeting": 2, "call_back": 1}
    assert client.get(reverse("api:script-report"), {"start": "вчера"}).status_code == 400
