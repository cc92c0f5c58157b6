import pytest
from django.test import Client

from tests.factories import ResearcherFactory, UserFactory


@pytest.fixture
def owner(db):
    return ResearcherFactory()


@pytest.fixture
def annotators(db):
    return [UserFactory(), UserFactory()]


def page_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
