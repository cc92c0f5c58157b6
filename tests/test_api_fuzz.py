"""Fuzz every operation in the app's own OpenAPI schema: whatever the input, the answer is never a 5xx.

Runs in-process against the WSGI app (no server), as an admin with a token, with a small bounded number
of examples per operation so it stays part of `make test`.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from tests.factories import AdminFactory, ItemFactory, RunFactory, StudyFactory
from webapp.wsgi import application

MAX_EXAMPLES = 15  # per operation; keeps the whole test well under a few minutes


@pytest.fixture
def keep_test_connection():
    # schemathesis calls the WSGI app directly, so Django's end-of-request hook would close the test's
    # connection mid-transaction (file SQLite, PostgreSQL). Django's own test client unhooks it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, keep_test_connection):
    admin = AdminFactory()
    # Some rows to find, so detail, update and delete operations get past their 404s now and then.
    study = StudyFactory(owner=admin)
    ItemFactory.create_batch(3, study=study)
    RunFactory(owner=admin)
    return Token.objects.create(user=admin).key


# Loaded at collection (pytest-django has set Django up by then); the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same inputs every run: a failure here is reproducible, never flaky
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx(case, admin_token):
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"}, checks=[not_a_server_error])
