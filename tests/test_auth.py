import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_memory(settings):
    from webapp import auth

    settings.TOKEN_CACHE_S = 60
    auth._cache.clear()
    yield
    auth._cache.clear()


def test_a_deleted_token_stops_working_at_once(token_memory):
    user = UserFactory()
    client = api_client_for(user)
    assert client.get("/api/studies/").status_code == 200
    Token.objects.filter(user=user).delete()  # queryset delete sends post_delete per row
    assert client.get("/api/studies/").status_code == 401


def test_a_deactivated_user_is_refused_at_once(token_memory):
    user = UserFactory()
    client = api_client_for(user)
    assert client.get("/api/studies/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/studies/").status_code == 401


def test_the_token_is_remembered(token_memory):
    user = UserFactory()
    client = api_client_for(user)
    client.get("/api/studies/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/studies/").status_code == 200
    assert not any("authtoken_token" in q["sql"] for q in captured.captured_queries)
