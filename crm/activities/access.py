"""Who may see and change interactions and tasks: they follow the client they belong to."""

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from crm.accounts.models import User
from crm.activities.models import Interaction, Task
from crm.parties.access import can_change_party, parties_visible_to
from crm.parties.models import Party

Action = Literal["view", "change"]


def interactions_visible_to(user: User) -> QuerySet[Interaction]:
    """Interactions with clients the user sees, plus the ones the user logged."""
    live = Interaction.objects.filter(is_deleted=False)
    if user.has_perm("activities.view_all_activities"):
        return live
    return live.filter(Q(party__in=parties_visible_to(user)) | Q(author=user))


def interactions_of_party(party: Party) -> QuerySet[Interaction]:
    """Every live interaction with a client the caller has already authorised with get_party_for.

    Whoever may see a client sees all its history, so no per-row rule is needed; checking
    `party IN (visible parties) OR author = me` row by row cost a full scan on a million clients.
    """
    return Interaction.objects.filter(party=party, is_deleted=False)


def tasks_of_party(party: Party) -> QuerySet[Task]:
    """Every live task on a client the caller has already authorised with get_party_for."""
    return Task.objects.filter(party=party, is_deleted=False)


def can_log_interaction(user: User, party: Party) -> bool:
    """Whoever works with the client logs contacts; an operator logs calls for any client (S22)."""
    return user.has_perm("activities.add_interaction") and (
        can_change_party(user, party) or user.has_perm("parties.view_all_parties")
    )


def can_change_interaction(user: User, interaction: Interaction) -> bool:
    return interaction.author_id == user.pk or user.has_perm("activities.change_any_activity")


def get_interaction_for(user: User, pk: int, *, action: Action = "view") -> Interaction:
    interaction = get_object_or_404(interactions_visible_to(user).select_related("party", "type"), pk=pk)
    if action == "change" and not can_change_interaction(user, interaction):
        raise PermissionDenied
    return interaction


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """Tasks assigned to or created by the user, and tasks on clients the user sees."""
    live = Task.objects.filter(is_deleted=False)
    if user.has_perm("activities.view_all_activities"):
        return live
    assigned = Task.assignees.through.objects.filter(task_id=OuterRef("pk"), user_id=user.pk)
    return live.filter(Exists(assigned) | Q(created_by=user) | Q(party__in=parties_visible_to(user)))


def can_change_task(user: User, task: Task) -> bool:
    if user.has_perm("activities.change_any_activity") or task.created_by_id == user.pk:
        return True
    return task.assignees.filter(pk=user.pk).exists()


def get_task_for(user: User, pk: int, *, action: Action = "view") -> Task:
    task = get_object_or_404(tasks_visible_to(user).select_related("party"), pk=pk)
    if action == "change" and not can_change_task(user, task):
        raise PermissionDenied
    return task


def activities_in_trash_for(user: User) -> tuple[QuerySet[Interaction], QuerySet[Task]]:
    """Deleted interactions and tasks, for those who may restore records from the trash."""
    if not user.has_perm("parties.restore_party"):
        raise PermissionDenied
    return Interaction.objects.filter(is_deleted=True), Task.objects.filter(is_deleted=True)
