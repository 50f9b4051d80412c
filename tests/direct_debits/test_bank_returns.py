"""Bank return files (pain.002 status reports, camt.054 notifications) read into returned
debits, whatever the message version; any malformed, foreign or hostile file refused whole
with sentences staff understand; reason codes in plain French."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.direct_debits import bank_returns
from portail.direct_debits.bank_returns import (
    COUNTING_CODES,
    SUSPENDING_CODES,
    BankReturnError,
    ReturnedDebit,
    parse_bank_return,
    reason_label,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def french_errors(data: bytes) -> list[str]:
    with translation.override("fr"), pytest.raises(BankReturnError) as raised:
        parse_bank_return(data)
    return raised.value.errors


PAIN002_REJECTS = [
    ReturnedDebit("B12-00001-F2026-00101", "AM04", Decimal("245.60"), date(2026, 12, 4)),
    ReturnedDebit("B12-00002-F2026-00102", "AC04", Decimal("122.30"), date(2026, 12, 4)),
    ReturnedDebit("B12-00004-F2026-00104", "MD01", None, date(2026, 12, 3)),
]


def test_a_pain002_report_gives_its_rejected_debits_and_skips_accepted_ones():
    assert parse_bank_return(sample("pain002_001_03_rejects.xml")) == PAIN002_REJECTS


def test_a_later_pain002_version_reads_the_same():
    assert parse_bank_return(sample("pain002_001_10_rejects.xml")) == PAIN002_REJECTS


def test_a_camt054_notification_gives_returned_debits_and_skips_settlements():
    assert parse_bank_return(sample("camt054_001_02_returns.xml")) == [
        ReturnedDebit("B12-00005-F2026-00105", "MS02", Decimal("122.30"), date(2026, 12, 11)),
        ReturnedDebit("B12-00006-F2026-00106", "AM04", Decimal("245.60"), date(2026, 12, 11)),
        # Its amount is only on the entry, which holds this one debit.
        ReturnedDebit("B11-00042-F2026-00042", "MD06", Decimal("98.75"), date(2026, 12, 12)),
    ]


def test_a_later_camt054_version_with_the_amount_in_the_transaction_reads_the_same():
    assert parse_bank_return(sample("camt054_001_08_returns.xml")) == [
        ReturnedDebit("B13-00001-F2027-00001", "AC06", Decimal("57.20"), date(2027, 1, 11)),
    ]


def test_a_byte_order_mark_or_a_latin1_encoding_reads_the_same():
    data = sample("camt054_001_08_returns.xml")
    latin1 = data.decode().replace("UTF-8", "ISO-8859-1").encode("latin-1")

    assert parse_bank_return(b"\xef\xbb\xbf" + data) == parse_bank_return(data)
    assert parse_bank_return(latin1) == parse_bank_return(data)


def test_a_return_reported_twice_in_one_file_is_one_return():
    data = sample("camt054_001_08_returns.xml")
    entry_start, entry_end = data.index(b"<Ntry>"), data.index(b"</Ntry>") + len(b"</Ntry>")
    twice = data[:entry_end] + data[entry_start:entry_end] + data[entry_end:]

    assert len(parse_bank_return(twice)) == 1


def test_a_report_without_any_reject_gives_an_empty_list():
    data = sample("pain002_001_03_rejects.xml").replace(b"<TxSts>RJCT", b"<TxSts>ACSC")

    assert parse_bank_return(data) == []


def test_an_empty_file_is_refused():
    assert french_errors(b"") == ["Le fichier est vide."]
    assert french_errors(b"  \n ") == ["Le fichier est vide."]


def test_a_file_that_is_not_xml_is_refused():
    (message,) = french_errors(sample("malformed/not_xml.csv"))

    assert message.startswith("Le fichier n'est pas un fichier XML lisible (ligne 1 : ")


def test_a_truncated_file_is_refused():
    (message,) = french_errors(sample("malformed/truncated.xml"))

    assert message.startswith("Le fichier n'est pas un fichier XML lisible (ligne ")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("malformed/pain001_credit_transfer.xml", "pain.001.001.03"),
        ("malformed/camt053_statement.xml", "camt.053.001.02"),
        ("malformed/pain002_wrong_root.xml", "pain.002.001.03"),
        ("malformed/no_namespace.xml", "Document"),
    ],
)
def test_other_documents_are_refused_with_their_type(name, kind):
    assert french_errors(sample(name)) == [
        "Ce fichier n'est pas un retour bancaire : un compte rendu de statut de paiement "
        "(pain.002) ou un avis de débit (camt.054) était attendu, et le fichier est de type "
        f"{kind}."
    ]


def test_a_file_with_unusable_rejects_is_refused_whole_with_every_problem_listed():
    assert french_errors(sample("malformed/pain002_incomplete_rejects.xml")) == [
        "Lot PMT-1, ligne 1, prélèvement B12-00001-F2026-00101 : le motif du rejet manque.",
        "Lot PMT-1, ligne 2 : un prélèvement rejeté n'a pas de référence de bout en bout, il "
        "est donc impossible de le retrouver.",
        "Lot PMT-1, ligne 3 : un prélèvement rejeté n'a pas de référence de bout en bout, il "
        "est donc impossible de le retrouver.",
        "Lot PMT-1, ligne 4, prélèvement B12-00004-F2026-00104 : le montant « 12,50 » n'est "
        "pas un montant en euros et centimes.",
    ]


def test_a_whole_file_rejected_by_the_bank_is_reported_with_its_reason():
    assert french_errors(sample("malformed/pain002_whole_file_rejected.xml")) == [
        "La banque a rejeté tout le fichier LOT-2026-12-001 (motif FF01 : Le fichier envoyé à "
        "la banque n'était pas au bon format.) : aucun de ses prélèvements n'a été effectué. "
        "Corrigez le fichier et envoyez-le à nouveau."
    ]


def test_a_whole_block_rejected_without_its_debits_is_reported():
    data = sample("pain002_001_03_rejects.xml")
    start = data.index(b"<OrgnlPmtInfAndSts>", data.index(b"9a0e3d7c6b21") - 80)
    end = data.index(b"</OrgnlPmtInfAndSts>", start)
    block = (
        b"<OrgnlPmtInfAndSts><OrgnlPmtInfId>PMT-9</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>"
        b"<StsRsnInf><Rsn><Cd>BE05</Cd></Rsn></StsRsnInf>"
    )

    assert french_errors(data[:start] + block + data[end:]) == [
        "La banque a rejeté tout le lot PMT-9 du fichier (motif BE05 : L'identifiant du "
        "créancier est incorrect.) sans en lister les prélèvements."
    ]


def test_a_line_of_an_unpaid_entry_without_return_information_is_not_skipped():
    data = sample("camt054_001_02_returns.xml")
    start = data.index(b"<RtrInf>", data.index(b"B12-00006-F2026-00106"))
    end = data.index(b"</RtrInf>", start) + len(b"</RtrInf>")

    assert french_errors(data[:start] + data[end:]) == [
        "Écriture 1, ligne 2, prélèvement B12-00006-F2026-00106 : le motif du rejet manque."
    ]


def test_an_amount_in_another_currency_is_refused():
    assert french_errors(sample("malformed/camt054_dollars.xml")) == [
        "Écriture 1, ligne 1, prélèvement B12-00009-F2026-00109 : le montant est en USD et non "
        "en euros."
    ]


@pytest.mark.parametrize(
    "amount", [b"0.00", b"-12.50", b"12.505", b"douze", b"NaN", b"Infinity", b"", b"1e30"]
)
def test_amounts_that_are_not_positive_euros_and_cents_are_refused(amount):
    data = sample("camt054_001_08_returns.xml").replace(
        b'<Amt Ccy="EUR">57.20</Amt>\n            <CdtDbtInd>',
        b'<Amt Ccy="EUR">' + amount + b"</Amt>\n            <CdtDbtInd>",
    )

    (message,) = french_errors(data)

    assert "n'est pas un montant en euros et centimes." in message


def test_many_problems_are_summed_up_after_twenty():
    row = b"<TxInfAndSts><OrgnlEndToEndId>E2E</OrgnlEndToEndId><TxSts>RJCT</TxSts></TxInfAndSts>"
    data = sample("pain002_001_03_rejects.xml").replace(
        b"<TxInfAndSts>", row * 30 + b"<TxInfAndSts>", 1
    )

    errors = french_errors(data)

    assert len(errors) == 21
    assert errors[-1] == "…et 10 autres problèmes."


def test_a_file_larger_than_the_limit_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(bank_returns, "MAX_FILE_SIZE", 1000)

    assert french_errors(sample("pain002_001_03_rejects.xml")) == [
        "Le fichier dépasse 0 Mo : ce n'est pas un fichier de retour bancaire."
    ]


def test_the_default_size_limit_is_twenty_megabytes():
    assert french_errors(b" " * (20 * 1024 * 1024) + b"<Document/>") == [
        "Le fichier dépasse 20 Mo : ce n'est pas un fichier de retour bancaire."
    ]


DTD_REFUSED = (
    "Le fichier déclare un type de document (DTD), ce que les fichiers bancaires ne font "
    "jamais : il a été refusé."
)


def test_an_external_entity_is_refused_and_never_read():
    assert french_errors(sample("malformed/xxe_external_entity.xml")) == [DTD_REFUSED]


def test_a_billion_laughs_file_is_refused():
    assert french_errors(sample("malformed/billion_laughs.xml")) == [DTD_REFUSED]


def test_a_dtd_hidden_in_utf16_is_refused_too():
    text = sample("malformed/xxe_external_entity.xml").decode().replace("UTF-8", "UTF-16")

    assert french_errors(text.encode("utf-16")) == [DTD_REFUSED]


def test_the_parser_itself_leaves_entities_unread():
    """Were the DTD guards bypassed, the parser would still not read the external file."""
    from lxml import etree

    root = etree.fromstring(
        sample("malformed/xxe_external_entity.xml"),
        etree.XMLParser(**bank_returns._PARSER_OPTIONS),
    )

    assert Path("/etc/passwd").read_text().startswith("root:")
    assert b"root:" not in etree.tostring(root)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("AC01", "Le numéro de compte (IBAN) est incorrect."),
        ("AC04", "Le compte est clôturé."),
        ("AC06", "Le compte est bloqué."),
        ("AG01", "Les prélèvements ne sont pas autorisés sur ce compte."),
        ("AM04", "Provision insuffisante sur le compte."),
        ("MD01", "Il n'existe pas de mandat valide pour ce prélèvement."),
        ("MD06", "Le titulaire du compte a demandé le remboursement à sa banque."),
        ("MD07", "Le titulaire du compte est décédé."),
        ("MS02", "Le titulaire du compte a refusé le prélèvement."),
        ("MS03", "La banque a refusé le prélèvement sans en préciser le motif."),
        ("ms02", "Le titulaire du compte a refusé le prélèvement."),
        ("ZZ99", "La banque a rejeté le prélèvement (motif ZZ99)."),
    ],
)
def test_reason_codes_are_explained_in_plain_french(code, label):
    with translation.override("fr"):
        assert str(reason_label(code)) == label


def test_reason_labels_follow_the_readers_language():
    label = reason_label("AM04")

    with translation.override("en"):
        assert str(label) == "Insufficient funds on the account."
    with translation.override("fr"):
        assert str(label) == "Provision insuffisante sur le compte."


def test_every_code_that_suspends_or_counts_has_its_own_label():
    assert {"AC01", "AC04", "AC06", "AC13", "AG01", "MD01", "MD07"} <= SUSPENDING_CODES
    assert {"AM04", "MS02", "MS03", "MD06"} <= COUNTING_CODES
    assert not SUSPENDING_CODES & COUNTING_CODES
    assert set(bank_returns.REASON_LABELS) >= SUSPENDING_CODES | COUNTING_CODES


ROBUST = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@ROBUST
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_returns_or_a_clear_refusal_never_a_crash(data):
    try:
        returned = parse_bank_return(data)
    except BankReturnError as error:
        assert error.errors and all(isinstance(message, str) for message in error.errors)
    else:
        assert isinstance(returned, list)


@ROBUST
@given(
    name=st.sampled_from(
        ["pain002_001_03_rejects.xml", "camt054_001_02_returns.xml", "camt054_001_08_returns.xml"]
    ),
    start=st.integers(min_value=0, max_value=5000),
    length=st.integers(min_value=1, max_value=200),
    replacement=st.sampled_from([b"", b"<", b">", b"&", b"RJCT", b"<Amt>x</Amt>", b"\xff"]),
)
def test_a_damaged_bank_file_is_read_whole_or_refused_whole(name, start, length, replacement):
    data = sample(name)
    damaged = data[:start] + replacement + data[start + length :]

    try:
        returned = parse_bank_return(damaged)
    except BankReturnError as error:
        assert error.errors
    else:
        assert all(isinstance(item, ReturnedDebit) for item in returned)
        assert all(item.end_to_end_id and item.reason_code for item in returned)
