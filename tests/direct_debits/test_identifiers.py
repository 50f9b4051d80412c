"""IBAN, BIC, ICS and RUM checks: the verdict on a corpus of real-looking identifiers and the
French sentence a family reads when theirs is wrong."""

import string

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from portail.direct_debits.identifiers import (
    check_bic,
    check_iban,
    check_ics,
    ics_check_digits,
    is_valid_rum,
    make_rum,
    mask_iban,
)

# Swedish national check digits cannot be verified; identifiers.py silences the warning for the
# process, pytest restores warning filters around each test.
pytestmark = pytest.mark.filterwarnings("ignore::schwifty.exceptions.NationalChecksumNotVerified")

# Hypothesis runs many examples in one test: the database fixture is the same for all.
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def french_error(check, value) -> tuple[str, str]:
    """(code, French message) of the ValidationError ``check(value)`` raises."""
    with pytest.raises(ValidationError) as raised:
        check(value)
    with translation.override("fr"):
        return raised.value.code, " ".join(raised.value.messages)


@pytest.mark.parametrize(
    ("value", "compact", "bic"),
    [
        ("FR7630001007941234567890185", "FR7630001007941234567890185", "BDFEFRPP"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606", "PSSTFRPP"),
        ("DE89370400440532013000", "DE89370400440532013000", "COBADEFFXXX"),
        ("ES9121000418450200051332", "ES9121000418450200051332", "CAIXESBB"),
        ("IT60X0542811101000000123456", "IT60X0542811101000000123456", "BLOPIT22"),
        ("MC5811222000010123456789030", "MC5811222000010123456789030", None),
        ("BE68539007547034", "BE68539007547034", None),
        ("NL91ABNA0417164300", "NL91ABNA0417164300", "ABNANL2A"),
        ("LU280019400644750000", "LU280019400644750000", "BCEELULL"),
        ("PT50000201231234567890154", "PT50000201231234567890154", None),
        ("SE4550000000058398257466", "SE4550000000058398257466", "ESSESESS"),
        ("CH9300762011623852957", "CH9300762011623852957", None),
        ("GB33BUKB20201555555555", "GB33BUKB20201555555555", "BUKBGB22"),
        # As people type or paste them.
        ("fr76 3000 1007 9412 3456 7890 185", "FR7630001007941234567890185", "BDFEFRPP"),
        (
            " FR76\u00a03000\u00a01007 9412\t3456 7890 185 ",
            "FR7630001007941234567890185",
            "BDFEFRPP",
        ),
        ("de89 3704 0044 0532 0130 00", "DE89370400440532013000", "COBADEFFXXX"),
    ],
)
def test_valid_sepa_ibans_are_accepted_with_their_bic(value, compact, bic):
    info = check_iban(value)

    assert info.compact == compact
    assert info.bic == bic
    assert info.country_code == compact[:2]
    assert info.last4 == compact[-4:]
    assert info.formatted.replace(" ", "") == compact


def test_a_valid_iban_is_formatted_in_groups_of_four():
    assert check_iban("fr7630001007941234567890185").formatted == (
        "FR76 3000 1007 9412 3456 7890 185"
    )


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (
            "FR7630001007941234567890186",
            "iban_checksum",
            "Les chiffres de contrôle de cet IBAN sont faux : vérifiez les caractères recopiés.",
        ),
        (
            "DE88370400440532013000",
            "iban_checksum",
            "Les chiffres de contrôle de cet IBAN sont faux : vérifiez les caractères recopiés.",
        ),
        (
            "FR8630001007941234567890199",
            "iban_national_checksum",
            "La clé RIB de cet IBAN est fausse : vérifiez les chiffres recopiés.",
        ),
        (
            "fr86 3000 1007 9412 3456 7890 199",
            "iban_national_checksum",
            "La clé RIB de cet IBAN est fausse : vérifiez les chiffres recopiés.",
        ),
        (
            "FR763000100794123456789018",
            "iban_length",
            "Un IBAN de ce pays compte 27 caractères ; celui-ci en compte 26. Vérifiez "
            "qu'aucun caractère ne manque ou n'a été ajouté.",
        ),
        (
            "DE8937040044053201300012",
            "iban_length",
            "Un IBAN de ce pays compte 22 caractères ; celui-ci en compte 24. Vérifiez "
            "qu'aucun caractère ne manque ou n'a été ajouté.",
        ),
        (
            "BR1800360305000010009795493C1",
            "iban_outside_sepa",
            "Ce compte est hors de la zone SEPA (code pays BR) : il ne peut pas être prélevé "
            "par prélèvement SEPA.",
        ),
        (
            "US64SVBKUS6S3300958879",
            "iban_country",
            "Cet IBAN ne commence pas par un code pays connu (par exemple FR76…).",
        ),
        (
            "FR76300010079412345678901B5",
            "iban_structure",
            "Certains caractères de cet IBAN ne sont pas à leur place (une lettre à la place "
            "d'un chiffre, par exemple) : vérifiez les caractères recopiés.",
        ),
        (
            "FRA630001007941234567890185",
            "iban_start",
            "Un IBAN commence par les 2 lettres de son pays et 2 chiffres de contrôle (FR76…).",
        ),
        (
            "7630001007941234567890185",
            "iban_start",
            "Un IBAN commence par les 2 lettres de son pays et 2 chiffres de contrôle (FR76…).",
        ),
        (
            "FR76-3000-1007-9412-3456-7890-185",
            "iban_characters",
            "Un IBAN ne comporte que des lettres et des chiffres : retirez tout autre caractère.",
        ),
        (
            "FR76 3000 1007 9412 3456 7890 18é",
            "iban_characters",
            "Un IBAN ne comporte que des lettres et des chiffres : retirez tout autre caractère.",
        ),
        ("", "iban_required", "Saisissez l'IBAN du compte à prélever."),
        ("   ", "iban_required", "Saisissez l'IBAN du compte à prélever."),
    ],
)
def test_wrong_ibans_are_refused_with_a_french_explanation(value, code, message):
    assert french_error(check_iban, value) == (code, message)


def test_the_rib_key_is_checked_for_monaco_too():
    # Right ISO check digits (31) around a BBAN whose RIB key (31 instead of 30) is wrong.
    assert french_error(check_iban, "MC3111222000010123456789031") == (
        "iban_national_checksum",
        "La clé RIB de cet IBAN est fausse : vérifiez les chiffres recopiés.",
    )


french_account = st.tuples(
    st.sampled_from(["30001", "20041", "30004", "10278", "11315"]),
    st.text(string.digits, min_size=11, max_size=11),
)


@FAST
@given(
    account=french_account, spacing=st.sampled_from(["", " ", "  ", "\u00a0"]), lower=st.booleans()
)
def test_any_french_iban_with_a_right_rib_key_is_accepted_however_spaced(account, spacing, lower):
    bank_code, account_code = account
    iban = IBAN.generate("FR", bank_code=bank_code, account_code=account_code).compact
    typed = spacing.join(iban[start : start + 4] for start in range(0, len(iban), 4))

    info = check_iban(typed.lower() if lower else typed)

    assert info.compact == iban
    assert info.last4 == iban[-4:]


@FAST
@given(
    account=french_account,
    position=st.integers(min_value=2, max_value=26),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_single_mistyped_digit_of_a_french_iban_is_caught(account, position, shift):
    bank_code, account_code = account
    iban = IBAN.generate("FR", bank_code=bank_code, account_code=account_code).compact
    character = iban[position]
    if not character.isdigit():
        return
    mistyped = iban[:position] + str((int(character) + shift) % 10) + iban[position + 1 :]

    with pytest.raises(ValidationError):
        check_iban(mistyped)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("BDFEFRPP", "BDFEFRPP"), ("bdfe fr pp", "BDFEFRPP"), ("COBADEFFXXX", "COBADEFFXXX")],
)
def test_valid_bics_are_returned_compact_in_upper_case(value, expected):
    assert check_bic(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("BDFEFRP", "bic_length", "Un BIC compte 8 ou 11 caractères (par exemple BDFEFRPP)."),
        (
            "BDFE1RPP",
            "bic_structure",
            "Ce BIC n'est pas valide : 4 lettres pour la banque, 2 pour le pays, puis 2 ou 5 "
            "lettres ou chiffres (par exemple BDFEFRPP).",
        ),
        (
            "BDFEXXPP",
            "bic_structure",
            "Ce BIC n'est pas valide : 4 lettres pour la banque, 2 pour le pays, puis 2 ou 5 "
            "lettres ou chiffres (par exemple BDFEFRPP).",
        ),
        ("", "bic_required", "Saisissez le BIC de la banque."),
    ],
)
def test_wrong_bics_are_refused_with_a_french_explanation(value, code, message):
    assert french_error(check_bic, value) == (code, message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR72ZZZ123456", "FR72ZZZ123456"),
        ("fr72 zzz 123456", "FR72ZZZ123456"),
        # The business code is not part of the check digits.
        ("FR72ABC123456", "FR72ABC123456"),
        ("DE98ZZZ09999999999", "DE98ZZZ09999999999"),
    ],
)
def test_valid_creditor_identifiers_are_accepted(value, expected):
    assert check_ics(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        (
            "FR73ZZZ123456",
            "ics_checksum",
            "Les chiffres de contrôle de cet identifiant créancier SEPA (ICS) sont faux : "
            "vérifiez les caractères recopiés.",
        ),
        (
            "FR72ZZZ123457",
            "ics_checksum",
            "Les chiffres de contrôle de cet identifiant créancier SEPA (ICS) sont faux : "
            "vérifiez les caractères recopiés.",
        ),
        (
            "FR72ZZZ1234567",
            "ics_length",
            "Un identifiant créancier SEPA (ICS) français compte 13 caractères ; celui-ci en "
            "compte 14.",
        ),
        (
            "ZZZ123456",
            "ics_structure",
            "Un identifiant créancier SEPA (ICS) se compose du code pays, de 2 chiffres de "
            "contrôle, d'un code activité de 3 caractères et de l'identifiant national, par "
            "exemple FR72ZZZ123456.",
        ),
        ("", "ics_required", "Saisissez l'identifiant créancier SEPA (ICS)."),
    ],
)
def test_wrong_creditor_identifiers_are_refused_with_a_french_explanation(value, code, message):
    assert french_error(check_ics, value) == (code, message)


@FAST
@given(
    national_id=st.text(string.ascii_uppercase + string.digits, min_size=6, max_size=6),
    business_code=st.text(string.ascii_uppercase + string.digits, min_size=3, max_size=3),
)
def test_an_ics_with_computed_check_digits_validates_whatever_its_business_code(
    national_id, business_code
):
    ics = f"FR{ics_check_digits('FR', national_id)}{business_code}{national_id}"

    assert check_ics(ics) == ics


@FAST
@given(
    national_id=st.text(string.digits, min_size=6, max_size=6),
    position=st.integers(min_value=0, max_value=5),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_single_mistyped_digit_of_a_french_ics_is_caught(national_id, position, shift):
    ics = f"FR{ics_check_digits('FR', national_id)}ZZZ{national_id}"
    digit = str((int(national_id[position]) + shift) % 10)
    mistyped = ics[: 7 + position] + digit + ics[8 + position :]

    with pytest.raises(ValidationError):
        check_ics(mistyped)


@pytest.mark.parametrize(
    ("compact", "masked"),
    [
        ("FR7630001007941234567890185", "FR76 **** **** **** **** ***0 185"),
        ("DE89370400440532013000", "DE89 **** **** **** **30 00"),
        ("fr76 3000 1007 9412 3456 7890 185", "FR76 **** **** **** **** ***0 185"),
    ],
)
def test_a_masked_iban_shows_only_its_country_and_last_four_characters(compact, masked):
    assert mask_iban(compact) == masked


@FAST
@given(account=french_account)
def test_a_masked_iban_never_shows_the_account_number(account):
    bank_code, account_code = account
    iban = IBAN.generate("FR", bank_code=bank_code, account_code=account_code).compact

    visible = mask_iban(iban).replace(" ", "").replace("*", "")

    assert visible == iban[:4] + iban[-4:]
    assert len(mask_iban(iban).replace(" ", "")) == len(iban)


@pytest.mark.parametrize(
    "value",
    [
        "ZZZ123456-F00042-001",
        "A",
        "X" * 35,
        "REF 2026/01 (CRECHE) +1.2,3:4'5?6",
        "rum-en-minuscules",
    ],
)
def test_well_formed_rums_are_valid(value):
    assert is_valid_rum(value)


@pytest.mark.parametrize(
    "value",
    ["", "X" * 36, "RUM_AVEC_SOULIGNE", "RUMÉ", "/RUM", "RUM/", "R//M", " RUM", "RUM ", "R&M"],
)
def test_malformed_rums_are_not_valid(value):
    assert not is_valid_rum(value)


def test_a_new_rum_joins_prefix_household_and_sequence_in_upper_case():
    assert make_rum(prefix="zzz123456", household_code="f-00042", sequence=7) == (
        "ZZZ123456-F-00042-007"
    )


def test_a_new_rum_brings_accents_and_odd_characters_to_its_character_set():
    assert make_rum(prefix="Crèche Été", household_code="Fam_ÉLODIE", sequence=12) == (
        "CRECHE-ETE-FAM-ELODIE-012"
    )


def test_a_rum_that_would_exceed_35_characters_is_refused():
    with pytest.raises(ValueError, match="35"):
        make_rum(prefix="P" * 20, household_code="H" * 15, sequence=1)


@FAST
@given(
    prefix=st.text(max_size=20),
    household_code=st.text(max_size=20),
    sequence=st.integers(min_value=0, max_value=10**6),
)
def test_make_rum_gives_a_valid_upper_case_rum_or_refuses(prefix, household_code, sequence):
    try:
        rum = make_rum(prefix=prefix, household_code=household_code, sequence=sequence)
    except ValueError:
        return
    assert is_valid_rum(rum)
    assert len(rum) <= 35
    assert rum == rum.upper()
