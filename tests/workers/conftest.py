import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's real cost (~0.6 s a user) dominated these tests; hashing strength is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
