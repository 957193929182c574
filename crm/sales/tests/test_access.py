"""Which persona sees and changes which deal."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from crm.accounts.models import User
from crm.sales.access import (
    can_change_deal,
    can_create_deal,
    can_manage_pipelines,
    deals_visible_to,
    get_deal_for,
)
from crm.sales.models import Deal
from crm.sales.tests.factories import DealFactory


@pytest.mark.parametrize(
    ("_case", "persona", "sees", "changes"),
    [
        ("the owner sees and changes it", "manager", True, True),
        ("the owner's team lead sees it but may not change it", "team_lead", True, False),
        ("a colleague of the same team sees nothing", "colleague", False, False),
        ("another team cannot tell it exists", "outsider", False, False),
        ("the head of sales sees and changes every deal", "head_of_sales", True, True),
        ("a marketer sees every deal and changes none", "marketer", True, False),
    ],
)
def test_deal_visibility_by_persona(
    _case: str, persona: str, sees: bool, changes: bool, request: pytest.FixtureRequest, deal_of_manager: Deal
) -> None:
    user: User = request.getfixturevalue(persona)
    assert (deal_of_manager in deals_visible_to(user)) is sees
    assert can_change_deal(user, deal_of_manager) is changes
    if not sees:
        with pytest.raises(Http404):
            get_deal_for(user, deal_of_manager.pk)
    elif not changes:
        assert get_deal_for(user, deal_of_manager.pk) == deal_of_manager
        with pytest.raises(PermissionDenied):
            get_deal_for(user, deal_of_manager.pk, action="change")
    else:
        assert get_deal_for(user, deal_of_manager.pk, action="change") == deal_of_manager


def test_deleted_deals_are_hidden_everywhere_but_the_trash(manager: User, head_of_sales: User) -> None:
    deal = DealFactory(owner=manager, is_deleted=True)
    assert list(deals_visible_to(head_of_sales)) == []
    with pytest.raises(Http404):
        get_deal_for(manager, deal.pk)
    assert get_deal_for(manager, deal.pk, action="change", deleted=True) == deal


def test_a_deactivated_owner_sees_nothing(manager: User, deal_of_manager: Deal) -> None:
    manager.is_active = False
    manager.save()
    assert list(deals_visible_to(manager)) == []
    assert can_change_deal(manager, deal_of_manager) is False


@pytest.mark.parametrize(
    ("persona", "creates", "configures"),
    [
        ("manager", True, False),
        ("team_lead", True, False),
        ("head_of_sales", True, False),
        ("administrator", True, True),
        ("marketer", False, False),
        ("operator", False, False),
    ],
)
def test_who_creates_deals_and_configures_pipelines(
    persona: str, creates: bool, configures: bool, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    assert (can_create_deal(user), can_manage_pipelines(user)) == (creates, configures)
