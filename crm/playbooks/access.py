"""Who may edit scripts, follow them with a client and see whose runs."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crm.accounts.models import User
from crm.activities.access import can_log_interaction
from crm.activities.selectors import users_in_scope
from crm.parties.models import Party
from crm.playbooks.models import Answer, Script, ScriptRun, Step

Action = Literal["view", "change"]


def can_manage_scripts(user: User) -> bool:
    """Scripts are part of the sales process set-up: whoever configures pipelines writes them."""
    return user.is_active and user.has_perm("sales.manage_pipelines")


def scripts_visible_to(user: User) -> QuerySet[Script]:
    """Active scripts for everyone; editors also see the inactive ones."""
    if can_manage_scripts(user):
        return Script.objects.all()
    if not user.is_active:
        return Script.objects.none()
    return Script.objects.filter(is_active=True)


def get_script_for(user: User, pk: int, *, action: Action = "view") -> Script:
    """The script if visible (404 otherwise), and editable if asked (403)."""
    script = get_object_or_404(scripts_visible_to(user).select_related("stage", "interaction_type"), pk=pk)
    if action == "change" and not can_manage_scripts(user):
        raise PermissionDenied
    return script


def can_run_script(user: User, party: Party) -> bool:
    """A run ends by logging the contact, so it takes the right to log contacts with this client."""
    return can_log_interaction(user, party)


def runs_visible_to(user: User) -> QuerySet[ScriptRun]:
    """Own runs; a team lead's team's; everyone's for heads of sales: the same scope as the time report."""
    return ScriptRun.objects.filter(user__in=users_in_scope(user))


def get_run_for(user: User, pk: int, *, action: Action = "view") -> ScriptRun:
    """A run in the user's scope (404 otherwise); only the manager who runs it may advance or finish it (403)."""
    run = get_object_or_404(
        runs_visible_to(user).select_related("script", "party", "deal", "current_step", "user"), pk=pk
    )
    if action == "change" and run.user_id != user.pk:
        raise PermissionDenied
    return run


def get_step_for(user: User, pk: int) -> Step:
    """A step to edit: its script must be visible (404) and the user an editor (403)."""
    step = get_object_or_404(Step.objects.select_related("script"), pk=pk)
    step.script = get_script_for(user, step.script_id, action="change")
    return step


def get_answer_for(user: User, pk: int) -> Answer:
    """An answer to edit, under the same rule as its step."""
    answer = get_object_or_404(Answer.objects.select_related("step"), pk=pk)
    answer.step = get_step_for(user, answer.step_id)
    return answer


def answer_of_run(run: ScriptRun, pk: int | None) -> Answer | None:
    """An answer of the run's script (None for any other id): what a manager may click during the run."""
    if pk is None:
        return None
    return Answer.objects.filter(step__script=run.script_id, pk=pk).select_related("step", "next_step").first()
