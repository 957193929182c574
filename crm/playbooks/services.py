"""Every write to scripts, their steps and answers, and the runs managers follow (S13)."""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.accounts.models import User
from crm.activities.models import InteractionType
from crm.activities.services import interaction_log
from crm.parties.models import Party
from crm.playbooks.choices import Outcome, RunStatus
from crm.playbooks.models import Answer, Script, ScriptEvent, ScriptRun, Step
from crm.sales.models import Deal, Stage
from crm.sales.services import deal_link_interaction

SCRIPT_FIELDS = ("name", "description", "stage", "interaction_type", "is_active", "start_step")
BRANCH_SEPARATOR = " → "


def _event(script: Script, actor: User | None, kind: str, **data: Any) -> ScriptEvent:
    return ScriptEvent.objects.create(script=script, actor=actor, kind=kind, data=data)


# The steps graph


@dataclass
class GraphCheck:
    """What is wrong with a script's steps: errors stop it from being run, warnings do not."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_runnable(self) -> bool:
        return not self.errors


def _edges(script: Script, extra: tuple[int, int] | None = None, without: int | None = None) -> dict[int, set[int]]:
    """Step id -> the step ids its answers lead to, optionally with one answer added or left out."""
    graph: dict[int, set[int]] = {pk: set() for pk in script.steps.values_list("pk", flat=True)}
    answers = Answer.objects.filter(step__script=script, next_step__isnull=False)
    if without is not None:
        answers = answers.exclude(pk=without)
    for step_id, next_id in answers.values_list("step_id", "next_step_id"):
        graph.setdefault(step_id, set()).add(next_id)
    if extra is not None:
        graph.setdefault(extra[0], set()).add(extra[1])
    return graph


def _leads_back(graph: dict[int, set[int]], start: int, target: int) -> bool:
    """Whether `target` is reachable from `start` (so an edge target -> start would close a loop)."""
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False


def _has_cycle(graph: dict[int, set[int]]) -> bool:
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    for root in graph:
        if color[root] != white:
            continue
        color[root] = grey
        stack = [(root, iter(graph[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                color[node] = black
                stack.pop()
            elif color.get(child, white) == grey:
                return True
            elif color.get(child, white) == white:
                color[child] = grey
                stack.append((child, iter(graph.get(child, ()))))
    return False


def script_check(script: Script) -> GraphCheck:
    """Validate the steps graph: a first step of this script, answers inside it, no loops; warn of dead ends."""
    check = GraphCheck()
    steps = {s.pk: s for s in script.steps.all()}
    if not steps:
        check.errors.append(_("The script has no steps yet."))
        return check
    if script.start_step_id is None or script.start_step_id not in steps:
        check.errors.append(_("Choose the first step of the script."))
    foreign = Answer.objects.filter(step__script=script, next_step__isnull=False).exclude(next_step__script=script)
    for answer in foreign.select_related("step"):
        check.errors.append(
            _("The answer “%(answer)s” of step “%(step)s” leads to a step of another script.")
            % {"answer": answer.label, "step": answer.step.title}
        )
    graph = _edges(script)
    if _has_cycle(graph):
        check.errors.append(_("The answers make the script go round in a loop; a script must always come to an end."))
    if script.start_step_id in steps:
        reachable: set[int] = set()
        stack = [script.start_step_id]
        while stack:
            node = stack.pop()
            if node not in reachable:
                reachable.add(node)
                stack.extend(graph.get(node, ()))
        for pk, step in steps.items():
            if pk not in reachable:
                check.warnings.append(
                    _("No answer leads to step “%(step)s”: a manager will never see it.") % {"step": step.title}
                )
    with_answers = set(Answer.objects.filter(step__script=script).values_list("step_id", flat=True))
    for pk, step in steps.items():
        if pk not in with_answers:
            check.warnings.append(
                _("Step “%(step)s” has no answers: the manager will have to end the conversation by hand there.")
                % {"step": step.title}
            )
    return check


# Scripts, steps and answers


def _check_situation(stage: Stage | None, interaction_type: InteractionType | None) -> None:
    if stage is None and interaction_type is None:
        raise ValidationError({"stage": _("Choose a stage, an interaction type or both.")})


@transaction.atomic
def script_create(
    *,
    actor: User,
    name: str,
    stage: Stage | None = None,
    interaction_type: InteractionType | None = None,
    description: str = "",
    is_active: bool = True,
) -> Script:
    """Create a script for a pipeline stage and/or an interaction type; steps are added afterwards."""
    _check_situation(stage, interaction_type)
    script = Script(
        name=name.strip(), stage=stage, interaction_type=interaction_type, description=description,
        is_active=is_active,
    )  # fmt: skip
    script.full_clean()
    script.save()
    _event(script, actor, ScriptEvent.Kind.CREATED, name=script.name)
    return script


@transaction.atomic
def script_update(*, actor: User, script: Script, data: Mapping[str, Any]) -> Script:
    """Change a script's name, situation, description, activity or first step; each change goes to its history."""
    fields = [f for f in data if f in SCRIPT_FIELDS]
    before = {f: getattr(script, f) for f in fields}
    for name in fields:
        setattr(script, name, data[name])
    _check_situation(script.stage, script.interaction_type)
    if script.start_step is not None and script.start_step.script_id != script.pk:
        raise ValidationError({"start_step": _("The first step must be a step of this script.")})
    script.full_clean()
    script.save()
    changes = {f: [str(before[f] or ""), str(getattr(script, f) or "")] for f in fields if before[f] != data[f]}
    if changes:
        _event(script, actor, ScriptEvent.Kind.CHANGED, changes=changes)
    return script


@transaction.atomic
def step_create(*, actor: User, script: Script, title: str, text: str = "", position: int | None = None) -> Step:
    """Add a step; the first step added becomes the script's first step."""
    if position is None:
        position = (script.steps.count() + 1) * 10
    step = Step(script=script, title=title.strip(), text=text, position=position)
    step.full_clean()
    step.save()
    if script.start_step_id is None:
        script.start_step = step
        script.save(update_fields=["start_step", "updated_at"])
    _event(script, actor, ScriptEvent.Kind.STEP_ADDED, step=step.pk, title=step.title)
    return step


@transaction.atomic
def step_update(*, actor: User, step: Step, title: str, text: str, position: int) -> Step:
    before = (step.title, step.text, step.position)
    step.title, step.text, step.position = title.strip(), text, position
    step.full_clean()
    step.save()
    if before != (step.title, step.text, step.position):
        _event(step.script, actor, ScriptEvent.Kind.STEP_CHANGED, step=step.pk, title=step.title, before=before[0])
    return step


@transaction.atomic
def step_delete(*, actor: User, step: Step) -> None:
    """Remove a step with its answers; refused while other answers lead to it or while it is the first step."""
    script = step.script
    if script.start_step_id == step.pk and script.steps.exclude(pk=step.pk).exists():
        raise ValidationError({"step": _("This is the first step: choose another first step before deleting it.")})
    incoming = list(step.incoming.exclude(step=step).select_related("step"))
    if incoming:
        names = ", ".join(f"“{a.step.title}: {a.label}”" for a in incoming)
        raise ValidationError(
            {"step": _("Answers lead to this step: %(answers)s. Change them first.") % {"answers": names}}
        )
    title = step.title
    if script.start_step_id == step.pk:
        script.start_step = None
        script.save(update_fields=["start_step", "updated_at"])
    try:
        step.delete()
    except RestrictedError as error:  # pragma: no cover - the check above names the answers first
        raise ValidationError({"step": _("Answers lead to this step. Change them first.")}) from error
    _event(script, actor, ScriptEvent.Kind.STEP_REMOVED, title=title)


def _check_answer(step: Step, next_step: Step | None, outcome: str, answer_pk: int | None) -> None:
    if (next_step is None) == (not outcome):
        raise ValidationError({"next_step": _("An answer leads either to another step or to an outcome.")})
    if outcome and outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    if next_step is None:
        return
    if next_step.script_id != step.script_id:
        raise ValidationError({"next_step": _("The next step must belong to the same script.")})
    graph = _edges(step.script, extra=(step.pk, next_step.pk), without=answer_pk)
    if next_step.pk == step.pk or _leads_back(graph, next_step.pk, step.pk):
        raise ValidationError(
            {
                "next_step": _(
                    "Step “%(next)s” leads back to “%(step)s”: the script would go round in a loop. "
                    "Scripts must always come to an end; choose a later step or an outcome."
                )
                % {"next": next_step.title, "step": step.title}
            }
        )


@transaction.atomic
def answer_create(
    *,
    actor: User,
    step: Step,
    label: str,
    next_step: Step | None = None,
    outcome: str = "",
    position: int | None = None,
) -> Answer:
    """Add an answer to a step: it leads to another step of the script or ends it with an outcome."""
    _check_answer(step, next_step, outcome, None)
    if position is None:
        position = (step.answers.count() + 1) * 10
    answer = Answer(step=step, label=label.strip(), next_step=next_step, outcome=outcome, position=position)
    answer.full_clean()
    answer.save()
    _event(step.script, actor, ScriptEvent.Kind.ANSWER_ADDED, step=step.pk, answer=answer.pk, label=answer.label)
    return answer


@transaction.atomic
def answer_update(
    *, actor: User, answer: Answer, label: str, next_step: Step | None, outcome: str, position: int
) -> Answer:
    _check_answer(answer.step, next_step, outcome, answer.pk)
    answer.label, answer.next_step, answer.outcome, answer.position = label.strip(), next_step, outcome, position
    answer.full_clean()
    answer.save()
    _event(answer.step.script, actor, ScriptEvent.Kind.ANSWER_CHANGED, answer=answer.pk, label=answer.label)
    return answer


@transaction.atomic
def answer_delete(*, actor: User, answer: Answer) -> None:
    script, label = answer.step.script, answer.label
    answer.delete()
    _event(script, actor, ScriptEvent.Kind.ANSWER_REMOVED, label=label)


# Runs


def _branch(path: Iterable[Mapping[str, Any]]) -> str:
    return BRANCH_SEPARATOR.join(f"{entry['title']}: {entry['label']}" for entry in path)


@transaction.atomic
def run_start(*, actor: User, script: Script, party: Party, deal: Deal | None = None) -> ScriptRun:
    """Start following a script with a client (and a deal of that client): the run stands at the first step."""
    if not script.is_active:
        raise ValidationError({"script": _("This script is switched off.")})
    check = script_check(script)
    if not check.is_runnable:
        raise ValidationError({"script": check.errors})
    if deal is not None and deal.party_id != party.pk:
        raise ValidationError({"deal": _("The deal belongs to another client.")})
    run = ScriptRun(script=script, user=actor, party=party, deal=deal, current_step=script.start_step)
    run.save()
    return run


def _check_open(run: ScriptRun) -> None:
    if not run.is_open:
        raise ValidationError({"run": _("This conversation is already over.")})


@transaction.atomic
def run_choose(*, actor: User, run: ScriptRun, answer: Answer) -> ScriptRun:
    """Record the client's answer at the current step and move on to where it leads (or to its outcome)."""
    _check_open(run)
    step = run.current_step
    if step is None or answer.step_id != step.pk:
        raise ValidationError({"answer": _("This answer belongs to another step; the page may be out of date.")})
    run.path = [*run.path, {"step": step.pk, "title": step.title, "answer": answer.pk, "label": answer.label}]
    run.branch = _branch(run.path)
    run.current_step, run.outcome = answer.next_step, answer.outcome
    run.save(update_fields=["path", "branch", "current_step", "outcome"])
    return run


@transaction.atomic
def run_back(*, actor: User, run: ScriptRun) -> ScriptRun:
    """Undo the last answer: the run returns to the step where it was given."""
    _check_open(run)
    if not run.path:
        raise ValidationError({"run": _("This is the first step; there is nothing to go back to.")})
    *rest, last = run.path
    step = Step.objects.filter(script=run.script_id, pk=last["step"]).first()
    if step is None:
        raise ValidationError({"run": _("The previous step has been removed from the script.")})
    run.path, run.branch, run.current_step, run.outcome = rest, _branch(rest), step, ""
    run.save(update_fields=["path", "branch", "current_step", "outcome"])
    return run


@transaction.atomic
def run_finish(
    *,
    actor: User,
    run: ScriptRun,
    type: InteractionType,
    outcome: str = "",
    occurred_at: datetime.datetime | None = None,
    direction: str = "out",
    duration_minutes: int = 0,
    subject: str = "",
    result: str = "",
    contact_person: Party | None = None,
    participants: Iterable[User] = (),
    next_step: Mapping[str, Any] | None = None,
) -> ScriptRun:
    """End the conversation: log the interaction (linked to the deal if any) and save the branch and outcome with it."""
    _check_open(run)
    outcome = run.outcome or outcome
    if not outcome:
        raise ValidationError({"outcome": _("Choose how the conversation ended.")})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    interaction = interaction_log(
        actor=actor, party=run.party, type=type, occurred_at=occurred_at, direction=direction,
        duration_minutes=duration_minutes, subject=subject, result=result, contact_person=contact_person,
        participants=participants, next_step=next_step,
    )  # fmt: skip
    if run.deal is not None:
        deal_link_interaction(actor=actor, deal=run.deal, interaction=interaction)
    run.interaction, run.outcome, run.status, run.finished_at = interaction, outcome, RunStatus.FINISHED, timezone.now()
    run.current_step = None
    run.save(update_fields=["interaction", "outcome", "status", "finished_at", "current_step"])
    return run


@transaction.atomic
def run_abandon(*, actor: User, run: ScriptRun) -> ScriptRun:
    """Stop following the script without logging a contact (the report counts it as abandoned)."""
    _check_open(run)
    run.status, run.finished_at = RunStatus.ABANDONED, timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return run
