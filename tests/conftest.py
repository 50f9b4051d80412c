"""Test guards shared by the whole suite. Overrides of settings for tests live here."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Tasks run as soon as they are enqueued (on commit), in the test's process.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 costs 100 MiB and tens of milliseconds per hash: tests that are not about
    # hashing use a fast hasher (tests/accounts checks the production hasher on its own).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()


@pytest.fixture(autouse=True)
def _database_for_every_test(db):
    """Every test may touch the database (the organisation context processor does)."""
