"""The password rule through Django's validate_password, checked against a plain oracle."""

import re

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import (
    get_password_validators,
    validate_password,
)
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

import config.settings as production_settings
from tests.factories import StaffUserFactory, UserFactory

COMPOSITION_VALIDATORS = get_password_validators(
    [
        {"NAME": "portail.accounts.validators.MunicipalPasswordValidator"},
        {"NAME": "portail.accounts.validators.MaximumLengthValidator"},
    ]
)

# Printable ASCII, French letters in both cases, the AZERTY « ² » and « µ », non-breaking space.
ALPHABET = (
    "".join(chr(c) for c in range(0x20, 0x7F)) + "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ²µ§°€\u00a0"
)
CAPITAL = re.compile(r"[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ]")
DIGIT = re.compile(r"[0-9]")


def codes(password, user=None, validators=None) -> set[str]:
    try:
        validate_password(password, user, password_validators=validators)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


def oracle(password) -> set[str]:
    """The municipal rule as written for families: 8 to 128 characters; below 15 characters,
    one capital and one digit (0-9)."""
    expected = set()
    if len(password) < 8:
        expected.add("password_too_short")
    if len(password) > 128:
        expected.add("password_too_long")
    if len(password) < 15:
        if not CAPITAL.search(password):
            expected.add("password_no_upper")
        if not DIGIT.search(password):
            expected.add("password_no_digit")
    return expected


passwords = st.text(alphabet=ALPHABET, max_size=140) | st.text(
    alphabet=ALPHABET, min_size=120, max_size=140
)


@settings(max_examples=1500, deadline=None)
@given(password=passwords)
def test_composition_and_length_match_the_oracle(password):
    assert codes(password, validators=COMPOSITION_VALIDATORS) == oracle(password)


@settings(max_examples=300, deadline=None)
@given(
    password=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
)
def test_any_unicode_password_gets_an_answer_never_a_crash(password):
    codes(password)


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(alphabet="bcdfghjkmnpqrstvwxz", min_size=6, max_size=20),
    capital=st.sampled_from("BCDFGHJKMNPQRSTVWXZ"),
    digit=st.sampled_from("23456789"),
)
def test_every_configured_validator_accepts_what_the_oracle_accepts_when_not_common(
    body, capital, digit
):
    # Consonants only, so no common password nor a resemblance to a name.
    password = capital + body + digit
    assert codes(password) == set()


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Abcdef1", False),  # 7 characters
        ("Xqzwvk1f", True),  # 8 characters
        ("Xqzwvk1f" * 16, True),  # 128 characters
        ("Xqzwvk1f" * 16 + "z", False),  # 129 characters
        ("le chat dort bien", True),  # passphrase: 17 lowercase letters and spaces
        ("chat dort bien", False),  # 14: not a passphrase yet
        ("chats dort bien", True),  # 15 exactly
    ],
)
def test_rule_edges(password, accepted):
    assert (codes(password) == set()) is accepted


def test_staff_need_twelve_characters():
    staff = StaffUserFactory.build(username="agent", first_name="", last_name="", email="")
    family = UserFactory.build(username="famille", first_name="", last_name="", email="")

    assert codes("Xqzwvk1fgh7", user=staff) == {"password_too_short"}
    assert codes("Xqzwvk1fgh7", user=family) == set()
    assert codes("Xqzwvk1fgh7r", user=staff) == set()


def test_staff_rule_message_says_twelve(user):
    staff = StaffUserFactory.build(username="agent", first_name="", last_name="", email="")

    with pytest.raises(ValidationError) as error:
        validate_password("Xqzwvk1f", staff)

    assert error.value.messages == ["Au moins 12 caractères."]


@pytest.mark.parametrize(
    ("setting", "value", "password", "accepted"),
    [
        ("PASSWORD_REQUIRE_DIGIT", False, "Xqzwvkfh", True),
        ("PASSWORD_REQUIRE_DIGIT", True, "Xqzwvkfh", False),
        ("PASSWORD_REQUIRE_UPPERCASE", False, "xqzwvk1f", True),
        ("PASSWORD_REQUIRE_UPPERCASE", True, "xqzwvk1f", False),
        ("PASSWORD_MIN_LENGTH", 10, "Xqzwvk1fg", False),
        ("PASSWORD_MIN_LENGTH", 6, "Xqzw1f", True),
        ("PASSWORD_PASSPHRASE_LENGTH", 0, "le chat dort bien sur le lit", False),
        ("PASSWORD_PASSPHRASE_LENGTH", 20, "le chat dort bien", False),
    ],
)
def test_settings_change_the_rule(settings, setting, value, password, accepted):
    setattr(settings, setting, value)

    assert (codes(password) == set()) is accepted


def test_rule_descriptions_follow_the_settings(client, settings, user):
    from portail.accounts.validators import password_rule_descriptions

    settings.PASSWORD_REQUIRE_DIGIT = False
    settings.PASSWORD_MIN_LENGTH = 10

    rules = password_rule_descriptions()

    assert "Au moins 10 caractères." in rules
    assert "Au moins une majuscule." in rules
    assert "Au moins un chiffre." not in rules


def test_production_hashes_passwords_with_argon2():
    # Django's Argon2 with the OWASP parameters (portail/accounts/hashers.py).
    assert production_settings.PASSWORD_HASHERS[0] == "portail.accounts.hashers.Argon2idHasher"


def test_password_set_with_the_argon2_hasher_is_an_argon2id_hash(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = UserFactory(password="Soleil-Matin-42")

    user.refresh_from_db()

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("Soleil-Matin-42")
    assert make_password("x").startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    "password",
    [
        "les enfants jouent au parc",  # spaces
        "Crèche-Été-2025",  # accents
        "Soleil 🌞 matin 42",  # emoji
        "Ünïcødé-Pâssw0rd",
    ],
)
def test_spaces_accents_and_emoji_are_welcome(password):
    assert codes(password) == set()


def test_long_password_is_never_truncated(client, settings, terms):
    from tests.accounts.conftest import log_in
    from tests.factories import make_family_guardian

    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    password = "Un-Tres-Long-Mot-De-Passe-9 " * 3 + "x" * 16  # 100 characters
    assert len(password) == 100
    guardian = make_family_guardian(username="long", email="long@example.fr", password=password)

    assert log_in(client, "long", password[:99]).status_code == 200
    assert log_in(client, "long", password[:72]).status_code == 200
    assert log_in(client, "long", password).status_code == 302
    assert guardian.user.password.startswith("argon2$argon2id$")
