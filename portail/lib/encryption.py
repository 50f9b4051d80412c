"""Encryption at rest of sensitive columns (IBANs, mandate data, health information).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under keys
that are *not* SECRET_KEY: settings.FIELD_ENCRYPTION_KEYS, a list whose first key encrypts and
whose every key decrypts, so a key can be rotated without downtime (add the new key first,
run `manage.py rotate_encryption_keys`, then drop the old key).

An encrypted column can only be read whole: no filtering, ordering or uniqueness on it. Keep a
separate non-sensitive column (the last 4 characters of an IBAN, a hash) when a query needs one.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Every stored value starts with this marker, so a dump shows at a glance that it is encrypted
# and a plaintext value slipped in by raw SQL fails loudly instead of being shown as is.
PREFIX = "fernet:"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes), "
            "see .env.example for how to generate one."
        ) from exc


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return PREFIX + _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionError("The stored value is not an encrypted value.")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("No configured key decrypts the stored value.") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A file's bytes encrypted under the current key (the marker, then a Fernet token)."""
    return PREFIX.encode("ascii") + _current().encrypt(data)


def decrypt_bytes(stored: bytes) -> bytes:
    if not stored.startswith(PREFIX.encode("ascii")):
        raise DecryptionError("The stored file is not an encrypted file.")
    try:
        return _current().decrypt(stored[len(PREFIX) :])
    except InvalidToken as exc:
        raise DecryptionError("No configured key decrypts the stored file.") from exc


def reencrypt(stored: str) -> str:
    """The same value encrypted under the first (current) key."""
    if not stored.startswith(PREFIX):
        raise DecryptionError("The stored value is not an encrypted value.")
    try:
        token = _current().rotate(stored[len(PREFIX) :].encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionError("No configured key decrypts the stored value.") from exc
    return PREFIX + token.decode("ascii")


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees the plaintext ("" stays "", None stays None)."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        # Encrypting the right-hand side gives a different ciphertext each time, so any lookup
        # but isnull would silently match nothing.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        # A transform (lower, unaccent…) would work on the ciphertext: refused the same way.
        return None


def encrypted_fields():
    """(model, field name) of every EncryptedTextField of the installed apps."""
    from django.apps import apps

    # Each column once: in its own table (local fields, so a child model of multi-table
    # inheritance does not claim its parent's column), never through a proxy.
    return [
        (model, field.name)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
