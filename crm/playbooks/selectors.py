"""Reads for the script pages, the suggestions on cards and the script usage report, built on access.py."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Prefetch, Q, QuerySet

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.activities.selectors import users_in_scope
from crm.playbooks.access import runs_visible_to, scripts_visible_to
from crm.playbooks.choices import Outcome, RunStatus
from crm.playbooks.models import Answer, Script, ScriptRun, Step
from crm.sales.models import Deal


def script_list_for(user: User) -> QuerySet[Script]:
    return scripts_visible_to(user).select_related("stage__pipeline", "interaction_type").order_by("name", "pk")


def script_steps(script: Script) -> list[Step]:
    """The script's steps in order, each with its answers and their targets loaded."""
    answers = Prefetch("answers", queryset=Answer.objects.select_related("next_step").order_by("position", "pk"))
    return list(script.steps.order_by("position", "pk").prefetch_related(answers))


def suggested_scripts(
    user: User, *, deal: Deal | None = None, interaction_type: InteractionType | None = None, limit: int = 10
) -> list[Script]:
    """Active scripts for the deal's current stage and for the interaction type first, then the others."""
    active = scripts_visible_to(user).filter(is_active=True).select_related("stage", "interaction_type")
    rule = Q()
    if deal is not None:
        rule |= Q(stage_id=deal.stage_id)
    if interaction_type is not None:
        rule |= Q(interaction_type=interaction_type)
    if deal is None and interaction_type is None:
        return list(active.order_by("name", "pk")[:limit])
    return list(active.filter(rule).order_by("name", "pk")[:limit])


def open_run_for(user: User, script: Script, party_id: int) -> ScriptRun | None:
    """The manager's unfinished run of this script with this client, to resume instead of starting over."""
    return (
        runs_visible_to(user)
        .filter(user=user, script=script, party_id=party_id, status=RunStatus.OPEN)
        .order_by("-started_at")
        .first()
    )


@dataclass
class UsageRow:
    """One script and one manager (or all of them when `user_id` is None) over the period."""

    script_id: int
    script_name: str
    user_id: int | None
    user_name: str
    runs: int
    finished: int
    abandoned: int
    outcomes: dict[str, int]
    average_minutes: float | None
    top_branch: str = ""
    top_branch_runs: int = 0

    @property
    def outcome_counts(self) -> list[int]:
        """The outcome counts in the order of the report's columns."""
        return [self.outcomes[value] for value in Outcome.values]


@dataclass
class UsageReport:
    rows: list[UsageRow] = field(default_factory=list)
    outcomes: list[tuple[str, str]] = field(default_factory=lambda: [(v, str(label)) for v, label in Outcome.choices])


def _person(last: str, first: str, username: str) -> str:
    return " ".join(filter(None, [last, first])) or username


def script_usage_report(
    user: User,
    *,
    start: datetime.date,
    end: datetime.date,
    script_id: int | None = None,
    user_id: int | None = None,
) -> UsageReport:
    """Runs per script and manager over a period: finished vs abandoned, outcomes, the usual branch, the time (S13).

    Managers see their own runs, a team lead the team's, heads of sales everyone's; computed in the database.
    """
    runs = ScriptRun.objects.filter(
        user__in=users_in_scope(user), started_at__date__gte=start, started_at__date__lte=end
    )
    if script_id is not None:
        runs = runs.filter(script_id=script_id)
    if user_id is not None:
        runs = runs.filter(user_id=user_id)
    finished = Q(status=RunStatus.FINISHED)
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    figures = {
        "runs": Count("pk"),
        "finished": Count("pk", filter=finished),
        "average": Avg(duration, filter=finished),
        **{f"outcome_{value}": Count("pk", filter=finished & Q(outcome=value)) for value in Outcome.values},
    }
    per_user = (
        runs.values("script_id", "script__name", "user_id", "user__last_name", "user__first_name", "user__username")
        .annotate(**figures)
        .order_by("script__name", "script_id", "user__last_name", "user__first_name", "user_id")
    )
    per_script = {row["script_id"]: row for row in runs.values("script_id").annotate(**figures).order_by()}
    branches: dict[tuple[int, int | None], tuple[str, int]] = {}
    branch_rows = (
        runs.filter(finished)
        .exclude(branch="")
        .values("script_id", "user_id", "branch")
        .annotate(count=Count("pk"))
        .order_by("script_id", "user_id", "-count", "branch")
    )
    script_branches: dict[tuple[int, str], int] = {}
    for row in branch_rows:
        branches.setdefault((row["script_id"], row["user_id"]), (row["branch"], row["count"]))
        key = (row["script_id"], row["branch"])
        script_branches[key] = script_branches.get(key, 0) + row["count"]
    for (script_pk, branch), count in sorted(script_branches.items(), key=lambda item: (-item[1], item[0][1])):
        branches.setdefault((script_pk, None), (branch, count))

    def make(row: dict[str, Any], script_name: str, user_pk: int | None, user_name: str) -> UsageRow:
        average = row["average"]
        branch, branch_runs = branches.get((row["script_id"], user_pk), ("", 0))
        return UsageRow(
            script_id=row["script_id"], script_name=script_name, user_id=user_pk, user_name=user_name,
            runs=row["runs"], finished=row["finished"], abandoned=row["runs"] - row["finished"],
            outcomes={value: row[f"outcome_{value}"] for value in Outcome.values},
            average_minutes=round(average.total_seconds() / 60, 1) if average is not None else None,
            top_branch=branch, top_branch_runs=branch_runs,
        )  # fmt: skip

    report = UsageReport()
    current: int | None = None
    for row in per_user:
        if row["script_id"] != current:
            current = row["script_id"]
            report.rows.append(make(per_script[current], row["script__name"], None, ""))
        name = _person(row["user__last_name"], row["user__first_name"], row["user__username"])
        report.rows.append(make(row, row["script__name"], row["user_id"], name))
    return report


@dataclass
class TreeLine:
    """One line of the script's preview: a step, or an answer with where it leads."""

    depth: int
    step: Step | None = None
    answer: Answer | None = None
    seen_before: bool = False


def script_tree(script: Script, steps: list[Step]) -> list[TreeLine]:
    """The script as an indented tree from its first step; a step reached again is shown as a link, not repeated."""
    by_id = {step.pk: step for step in steps}
    lines: list[TreeLine] = []
    expanded: set[int] = set()

    start = by_id.get(script.start_step_id) if script.start_step_id else None
    # An explicit stack instead of recursion: a long chain of steps must not hit Python's recursion limit.
    stack: list[tuple[int, Step | Answer]] = [(0, start)] if start is not None else []
    while stack:
        depth, item = stack.pop()
        if isinstance(item, Answer):
            target = by_id.get(item.next_step_id) if item.next_step_id else None
            seen = target is not None and target.pk in expanded
            lines.append(TreeLine(depth, answer=item, seen_before=seen))
            if target is not None and not seen:
                stack.append((depth + 1, target))
            continue
        expanded.add(item.pk)
        lines.append(TreeLine(depth, step=item))
        stack.extend((depth + 1, answer) for answer in list(item.answers.all())[::-1])
    return lines


def script_runs_of_interactions(interaction_ids: list[int]) -> dict[int, ScriptRun]:
    """The script run saved with each of these interactions (one query), for timelines and cards to show the branch."""
    runs = ScriptRun.objects.filter(interaction_id__in=interaction_ids).select_related("script")
    return {run.interaction_id: run for run in runs if run.interaction_id is not None}
