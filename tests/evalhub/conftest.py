import pytest
from django.test import Client

from tests.factories import PASSWORD, ResearcherFactory


@pytest.fixture
def other_researcher(db):
    return ResearcherFactory()


@pytest.fixture
def client_for():
    def make(user) -> Client:
        client = Client()
        if user is not None:
            assert client.login(username=user.username, password=PASSWORD)
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's real cost (~0.6 s a user) dominated these tests; hashing strength is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
