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
