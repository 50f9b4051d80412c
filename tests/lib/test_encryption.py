"""Encryption at rest: what reaches the database is ciphertext under FIELD_ENCRYPTION_KEYS
(never SECRET_KEY), reads give the plaintext back, a filter that cannot work is refused, and
keys rotate without losing a value."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portail.billing.models import Regie
from portail.lib import encryption
from portail.lib.encryption import (
    DecryptionError,
    EncryptedTextField,
    decrypt,
    encrypt,
    encrypted_fields,
    reencrypt,
)
from portail.lib.management.commands import rotate_encryption_keys
from tests.factories import RegieFactory

SECRET = '{"client_number": "012345", "password": "FR76 3000 1007 9412 3456 7890 185"}'


@pytest.fixture
def old_key():
    return Fernet.generate_key().decode()


@pytest.fixture
def new_key():
    return Fernet.generate_key().decode()


def stored_value(regie) -> str:
    """The column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT online_provider_secrets FROM billing_regie WHERE id = %s", [regie.pk]
        )
        return cursor.fetchone()[0]


def set_stored_value(regie, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_regie SET online_provider_secrets = %s WHERE id = %s",
            [value, regie.pk],
        )


def test_a_value_reads_back_as_it_was_written():
    regie = RegieFactory(online_provider_secrets=SECRET)

    assert Regie.objects.get(pk=regie.pk).online_provider_secrets == SECRET
    assert decrypt(encrypt("Élodie Nguyễn — « 漢字 »")) == "Élodie Nguyễn — « 漢字 »"


def test_the_database_holds_prefixed_ciphertext_without_the_plaintext():
    regie = RegieFactory(online_provider_secrets=SECRET)

    stored = stored_value(regie)

    assert stored.startswith("fernet:")
    assert "FR76" not in stored and "3000" not in stored and "012345" not in stored


def test_the_same_value_gives_a_different_ciphertext_each_time():
    first, second = encrypt(SECRET), encrypt(SECRET)

    assert first != second
    assert decrypt(first) == decrypt(second) == SECRET


def test_an_empty_value_stays_empty():
    regie = RegieFactory(online_provider_secrets="")

    assert stored_value(regie) == ""
    assert Regie.objects.get(pk=regie.pk).online_provider_secrets == ""


def test_the_key_is_not_the_secret_key(settings, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    token = encrypt(SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(DecryptionError):
        decrypt(token)
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert decrypt(token) == SECRET


def test_a_value_under_an_unknown_key_cannot_be_read(settings, old_key, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    regie = RegieFactory(online_provider_secrets=SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [new_key]

    with pytest.raises(DecryptionError, match="No configured key"):
        Regie.objects.get(pk=regie.pk)


def test_a_plaintext_value_slipped_into_the_column_fails_loudly():
    regie = RegieFactory()
    set_stored_value(regie, SECRET)

    with pytest.raises(DecryptionError, match="not an encrypted value"):
        Regie.objects.get(pk=regie.pk)


@pytest.mark.parametrize(
    "lookup", ["", "__exact", "__iexact", "__contains", "__startswith", "__in"]
)
def test_filtering_on_an_encrypted_column_is_refused(lookup):
    value = [SECRET] if lookup == "__in" else SECRET

    with pytest.raises(FieldError):
        list(Regie.objects.filter(**{f"online_provider_secrets{lookup}": value}))


def test_transforms_of_an_encrypted_column_are_refused():
    from django.db.models.functions import Lower

    with pytest.raises(FieldError):
        list(Regie.objects.filter(online_provider_secrets__lower__exact="x"))
    with pytest.raises(FieldError):
        EncryptedTextField.register_lookup(Lower)
        try:
            list(Regie.objects.filter(online_provider_secrets__lower="x"))
        finally:
            EncryptedTextField._unregister_lookup(Lower)


def test_only_isnull_can_be_asked_of_an_encrypted_column():
    RegieFactory(online_provider_secrets=SECRET)

    assert Regie.objects.filter(online_provider_secrets__isnull=False).exists()
    assert not Regie.objects.filter(online_provider_secrets__isnull=True).exists()


def test_several_keys_decrypt_old_values_and_the_first_one_encrypts(settings, old_key, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    old_regie = RegieFactory(online_provider_secrets="under the old key")

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    new_regie = RegieFactory(online_provider_secrets="under the new key")

    assert Regie.objects.get(pk=old_regie.pk).online_provider_secrets == "under the old key"
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert Regie.objects.get(pk=new_regie.pk).online_provider_secrets == "under the new key"


def test_reencrypt_moves_a_value_under_the_first_key(settings, old_key, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    token = encrypt(SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    rotated = reencrypt(token)

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert decrypt(rotated) == SECRET


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"], ["é" * 44]])
def test_missing_or_malformed_keys_are_a_configuration_error(settings, keys):
    settings.FIELD_ENCRYPTION_KEYS = keys

    with pytest.raises(ImproperlyConfigured):
        encrypt(SECRET)


def test_every_encrypted_column_is_known_once():
    fields = encrypted_fields()

    assert (Regie, "online_provider_secrets") in fields
    assert len(fields) == len(set(fields))
    for model, name in fields:
        assert isinstance(model._meta.get_field(name), EncryptedTextField)
        assert not model._meta.proxy


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


def test_rotation_reencrypts_every_row_so_that_the_old_key_can_go(
    settings, monkeypatch, old_key, new_key
):
    monkeypatch.setattr(rotate_encryption_keys, "CHUNK", 2)  # several chunks with 5 rows
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    regies = [RegieFactory(online_provider_secrets=f"secret {number}") for number in range(5)]
    empty = RegieFactory(online_provider_secrets="")
    before = {regie.pk: stored_value(regie) for regie in regies}

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    output = rotate()

    assert "billing.Regie.online_provider_secrets: 5 value(s) re-encrypted" in output
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    for number, regie in enumerate(regies):
        assert stored_value(regie) != before[regie.pk]
        assert stored_value(regie).startswith("fernet:")
        assert Regie.objects.get(pk=regie.pk).online_provider_secrets == f"secret {number}"
    assert stored_value(empty) == ""


def test_rotation_covers_every_encrypted_column_of_the_project(settings, old_key, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    RegieFactory(online_provider_secrets=SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    output = rotate()

    for model, name in encrypted_fields():
        assert f"{model._meta.label}.{name}: " in output
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    for model, name in encrypted_fields():
        # Every value of every encrypted column reads under the new key alone.
        list(model._base_manager.values_list(name, flat=True))


def test_rotating_twice_changes_nothing_but_the_ciphertext(settings, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    regie = RegieFactory(online_provider_secrets=SECRET)

    rotate()
    rotate()

    assert Regie.objects.get(pk=regie.pk).online_provider_secrets == SECRET


def test_rotation_stops_on_a_value_no_key_decrypts_and_names_its_row(settings, old_key, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    regie = RegieFactory(online_provider_secrets=SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    with pytest.raises(
        CommandError, match=f"billing.Regie.online_provider_secrets of row {regie.pk}"
    ):
        rotate()

    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    assert Regie.objects.get(pk=regie.pk).online_provider_secrets == SECRET


def test_keys_are_parsed_once_per_set_of_keys(settings, new_key):
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    encryption._fernet.cache_clear()

    encrypt("a")
    encrypt("b")

    assert encryption._fernet.cache_info().misses == 1
