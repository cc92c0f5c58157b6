"""Shared fixtures for the annotate tests: a study with every role around it."""

from dataclasses import dataclass

import pytest
from django.test import Client

from annotate import interfaces, queue
from annotate.models import Assignment, Item, Response, Study
from tests.conftest import api_client_for
from tests.factories import AdminFactory, ItemFactory, ResearcherFactory, StudyFactory, UserFactory

ROLES = ("anon", "stranger", "enrolled", "other_researcher", "owner", "admin")


@dataclass
class World:
    users: dict
    study: Study
    empty_study: Study  # same people, no responses: can be deleted
    items: list[Item]
    response: Response  # by the enrolled annotator, on items[0]
    active: Assignment  # the enrolled annotator's open assignment, on items[1]

    def api(self, role: str):
        return api_client_for(self.users[role])

    def page(self, role: str) -> Client:
        client = Client()
        if self.users[role] is not None:
            client.force_login(self.users[role])
        return client


@pytest.fixture
def world(db) -> World:
    owner = ResearcherFactory()
    enrolled = UserFactory()
    users = {
        "anon": None,
        "stranger": UserFactory(),
        "enrolled": enrolled,
        "other_researcher": ResearcherFactory(),
        "owner": owner,
        "admin": AdminFactory(),
    }
    study = StudyFactory(owner=owner, config={"choices": ["yes", "no"]})
    study.annotators.add(enrolled)
    items = [ItemFactory(study=study) for _ in range(4)]
    first = queue.next_assignment(study, enrolled)
    response = queue.submit(first.pk, enrolled, {"choice": "yes"}).response
    active = queue.next_assignment(study, enrolled)
    empty = StudyFactory(owner=owner)
    empty.annotators.add(enrolled)
    return World(users, study, empty, items, response, active)


@pytest.fixture
def generic_only(monkeypatch):
    """Route every kind to the generic interface, whatever other interface packages have registered."""
    monkeypatch.setattr(interfaces, "_registry", {})
    monkeypatch.setattr(interfaces, "_own_submit", set())
    monkeypatch.setattr(interfaces, "_discovered", True)
