"""The language a user reads: their own choice on pages and over the API, else the cookie, else Russian."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from conftest import make_user

pytestmark = pytest.mark.django_db


def _bad_inn(client: Client, token: Token) -> tuple[str, str]:
    response = client.post(
        reverse("api:party-list"),
        {"kind": "organization", "name": "ООО Ромашка", "inn": "7707083894"},
        content_type="application/json",
        headers={"Authorization": f"Token {token.key}"},
    )
    assert response.status_code == 400, response.content
    return response.json()["inn"][0], response.headers["Content-Language"]


@pytest.mark.parametrize(("language", "word"), [("en", "INN"), ("ru", "ИНН")])
def test_an_api_token_answers_in_its_users_language(language: str, word: str) -> None:
    user = make_user("speaker", "sales_manager", language=language)
    token = Token.objects.create(user=user)
    client = Client()
    # The cookie says the other language: the user's own choice wins, as on the pages.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru" if language == "en" else "en"
    message, header = _bad_inn(client, token)
    assert word in message
    assert header == language


def test_without_a_user_language_the_cookie_then_russian_decide() -> None:
    user = make_user("speaker", "sales_manager", language="")
    token = Token.objects.create(user=user)
    client = Client()
    assert "ИНН" in _bad_inn(client, token)[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "INN" in _bad_inn(client, token)[0]
