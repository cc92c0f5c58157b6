"""Logging in through the real form, in a real browser."""

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD, ItemFactory, StudyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_shows_home_with_my_studies(page, live_server):
    annotator = UserFactory(username="ada")
    mine = StudyFactory(name="Pairwise helpfulness")
    mine.annotators.add(annotator)
    ItemFactory(study=mine)
    StudyFactory(name="Someone else's study")

    login(page, live_server, "ada", PASSWORD)

    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="Welcome, ada").is_visible()
    assert page.get_by_role("link", name="Pairwise helpfulness").is_visible()
    assert page.get_by_text("Someone else's study").count() == 0


def test_wrong_password_shows_an_error(page, live_server):
    UserFactory(username="ada")

    login(page, live_server, "ada", "not-the-password")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert "didn't match" in page.get_by_role("alert").inner_text()
