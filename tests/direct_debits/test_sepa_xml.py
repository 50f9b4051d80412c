"""The pain.008.001.02 file sent to the bank: read back with lxml and compared with what was
asked (totals, blocks per sequence and date, each debit's amount, RUM, dates, IBAN), validated
against the XSD by a second library, and refused with a clear sentence when input is wrong."""

import re
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from portail.direct_debits.sepa import (
    Creditor,
    DebitLine,
    SepaFileError,
    amount_in_cents,
    build_pain008,
    epc_text,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
CREDITOR = Creditor(
    name="Régie des crèches de Villeneuve",
    iban="FR76 3000 1007 9412 3456 7890 185",
    bic="BDFEFRPP",
    ics="FR72ZZZ123456",
)
IBANS = [
    "FR1420041010050500013M02606",
    "DE89370400440532013000",
    "ES9121000418450200051332",
    "FR7630001007941234567890185",
]


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


def debit(number=1, **changes) -> DebitLine:
    values = {
        "end_to_end_id": f"B1-{number:05d}-F2026-{number:05d}",
        "amount": Decimal("123.45"),
        "debtor_name": "Camille Martin",
        "debtor_iban": IBANS[number % len(IBANS)],
        "debtor_bic": None,
        "rum": f"ZZZ123456-F{number:05d}-001",
        "mandate_signed_on": date(2025, 9, 1),
        "sequence": "RCUR",
        "collection_on": date(2026, 12, 5),
        "description": f"Facture F-2026-{number:05d}",
    }
    return DebitLine(**{**values, **changes})


def build(lines, message_id="LOT-2026-12-001") -> etree._Element:
    return etree.fromstring(build_pain008(creditor=CREDITOR, lines=lines, message_id=message_id))


def texts(element, path) -> list[str]:
    return [found.text for found in element.xpath(path, namespaces=NS)]


def transaction(root, end_to_end_id):
    (found,) = root.xpath(
        f"//p:DrctDbtTxInf[p:PmtId/p:EndToEndId='{end_to_end_id}']", namespaces=NS
    )
    return found


def french_messages(lines, creditor=CREDITOR, message_id="LOT-1") -> list[str]:
    with translation.override("fr"), pytest.raises(SepaFileError) as raised:
        build_pain008(creditor=creditor, lines=lines, message_id=message_id)
    return raised.value.messages


def test_the_file_validates_against_the_pain008_schema(schema):
    lines = [debit(1, sequence="FRST"), debit(2), debit(3, debtor_bic="COBADEFFXXX")]

    xml = build_pain008(creditor=CREDITOR, lines=lines, message_id="LOT-2026-12-001")

    schema.validate(xml.decode())
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_the_group_header_counts_and_sums_every_debit():
    lines = [
        debit(1, amount=Decimal("10.10")),
        debit(2, amount=Decimal("20.20"), sequence="FRST"),
        debit(3, amount=Decimal("0.01")),
    ]

    root = build(lines, message_id="LOT-2026-12-001")

    assert texts(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId") == ["LOT-2026-12-001"]
    assert texts(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:NbOfTxs") == ["3"]
    assert texts(root, "p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum") == ["30.31"]
    assert texts(root, "//p:GrpHdr/p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id") == ["FR72ZZZ123456"]


def test_there_is_one_payment_block_per_sequence_and_collection_date():
    first, second = date(2026, 12, 5), date(2027, 1, 5)
    lines = [
        debit(1, sequence="FRST", collection_on=first, amount=Decimal("1.00")),
        debit(2, sequence="RCUR", collection_on=first, amount=Decimal("2.00")),
        debit(3, sequence="RCUR", collection_on=second, amount=Decimal("3.00")),
        debit(4, sequence="RCUR", collection_on=first, amount=Decimal("4.00")),
        debit(5, sequence="OOFF", collection_on=first, amount=Decimal("5.00")),
    ]

    root = build(lines)

    blocks = {
        (
            block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
            block.findtext("p:ReqdColltnDt", namespaces=NS),
        ): (
            block.findtext("p:NbOfTxs", namespaces=NS),
            block.findtext("p:CtrlSum", namespaces=NS),
            texts(block, "p:DrctDbtTxInf/p:PmtId/p:EndToEndId"),
        )
        for block in root.xpath("//p:PmtInf", namespaces=NS)
    }
    assert blocks == {
        ("FRST", "2026-12-05"): ("1", "1.00", [lines[0].end_to_end_id]),
        ("RCUR", "2026-12-05"): ("2", "6.00", [lines[1].end_to_end_id, lines[3].end_to_end_id]),
        ("RCUR", "2027-01-05"): ("1", "3.00", [lines[2].end_to_end_id]),
        ("OOFF", "2026-12-05"): ("1", "5.00", [lines[4].end_to_end_id]),
    }


def test_every_payment_block_names_the_creditor_its_account_and_its_ics():
    root = build([debit(1), debit(2, sequence="FRST")])

    for block in root.xpath("//p:PmtInf", namespaces=NS):
        assert block.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Regie des creches de Villeneuve"
        assert block.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == (
            "FR7630001007941234567890185"
        )
        assert block.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "BDFEFRPP"
        assert texts(block, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == ["FR72ZZZ123456"]
        assert texts(block, "p:PmtTpInf/p:LclInstrm/p:Cd") == ["CORE"]


def test_each_debit_carries_its_amount_mandate_account_and_reference():
    line = debit(
        7,
        amount=Decimal("1234.50"),
        debtor_name="Camille Martin",
        debtor_iban="fr14 2004 1010 0505 0001 3m02 606",
        debtor_bic="psst fr pp",
        rum="ZZZ123456-F00007-002",
        mandate_signed_on=date(2025, 9, 1),
        sequence="FRST",
        description="Facture F-2026-00007 décembre",
    )

    found = transaction(build([line]), line.end_to_end_id)

    assert found.findtext("p:InstdAmt", namespaces=NS) == "1234.50"
    assert found.find("p:InstdAmt", namespaces=NS).get("Ccy") == "EUR"
    assert texts(found, "p:DrctDbtTx/p:MndtRltdInf/p:MndtId") == ["ZZZ123456-F00007-002"]
    assert texts(found, "p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr") == ["2025-09-01"]
    assert texts(found, "p:DbtrAcct/p:Id/p:IBAN") == ["FR1420041010050500013M02606"]
    assert texts(found, "p:DbtrAgt/p:FinInstnId/p:BIC") == ["PSSTFRPP"]
    assert texts(found, "p:Dbtr/p:Nm") == ["Camille Martin"]
    assert texts(found, "p:RmtInf/p:Ustrd") == ["Facture F-2026-00007 decembre"]
    assert found.xpath("string(../p:PmtTpInf/p:SeqTp)", namespaces=NS) == "FRST"


def test_a_debit_without_bic_says_not_provided():
    found = transaction(build([debit(1, debtor_bic=None)]), debit(1).end_to_end_id)

    assert texts(found, "p:DbtrAgt/p:FinInstnId/p:Othr/p:Id") == ["NOTPROVIDED"]


def test_names_and_descriptions_are_brought_to_the_epc_character_set():
    line = debit(
        1,
        debtor_name="Élodie Nguyễn-Łukasz & Fils — Œuvre « 2 »",
        description="Facture n° 12 : crèche « Les Étoiles » (décembre) & goûter",
    )

    found = transaction(build([line]), line.end_to_end_id)

    assert texts(found, "p:Dbtr/p:Nm") == ["Elodie Nguyen-Lukasz Fils - OEuvre 2"]
    assert texts(found, "p:RmtInf/p:Ustrd") == [
        "Facture n 12 : creche Les Etoiles (decembre) gouter"
    ]


def test_long_names_and_descriptions_are_cut_to_what_the_format_allows():
    line = debit(1, debtor_name="A" * 100, description="B" * 200)

    found = transaction(build([line]), line.end_to_end_id)

    assert texts(found, "p:Dbtr/p:Nm") == ["A" * 70]
    assert texts(found, "p:RmtInf/p:Ustrd") == ["B" * 140]


def test_building_twice_from_the_same_lines_gives_the_same_debits():
    lines = [debit(1), debit(2, sequence="FRST")]

    first, second = build(lines), build(lines)

    def debits(root):
        return [etree.tostring(found) for found in root.xpath("//p:DrctDbtTxInf", namespaces=NS)]

    assert debits(first) == debits(second)
    assert lines[0].mandate_signed_on == date(2025, 9, 1)  # sepaxml wrote into a copy


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("0.01"), 1),
        (Decimal("0.10"), 10),
        (Decimal("29"), 2900),
        (Decimal("1234.5"), 123450),
        (Decimal("999999999.99"), 99999999999),
    ],
)
def test_amounts_are_converted_to_cents_exactly(amount, cents):
    assert amount_in_cents(amount) == cents


@pytest.mark.parametrize(
    "amount", [0.1, Decimal("0"), Decimal("-5.00"), Decimal("1.005"), Decimal("NaN"), "12.00"]
)
def test_amounts_that_are_not_whole_cents_of_a_positive_decimal_are_refused(amount):
    with pytest.raises(ValueError):
        amount_in_cents(amount)


amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2, allow_nan=False
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(amounts, min_size=1, max_size=30))
def test_the_control_sum_is_the_exact_sum_of_the_amounts(values):
    lines = [debit(number, amount=amount) for number, amount in enumerate(values, start=1)]

    root = build(lines)

    assert Decimal(texts(root, "//p:GrpHdr/p:CtrlSum")[0]) == sum(values)
    assert [Decimal(value) for value in texts(root, "//p:InstdAmt")] == values


def test_an_empty_list_of_debits_is_refused():
    assert french_messages([]) == [
        "Un fichier de prélèvements doit contenir au moins un prélèvement."
    ]


def test_a_rum_longer_than_35_characters_is_refused():
    line = debit(1, rum="R" * 36)

    assert french_messages([line]) == [
        f"Prélèvement {line.end_to_end_id} (RUM {'R' * 36}) : la référence du mandat (RUM) "
        "doit compter de 1 à 35 lettres, chiffres ou / - ? : ( ) . , ' +."
    ]


def test_a_wrong_iban_is_refused_with_the_reason():
    line = debit(1, debtor_iban="FR8630001007941234567890199")

    assert french_messages([line]) == [
        f"Prélèvement {line.end_to_end_id} (RUM {line.rum}) : l'IBAN n'est pas valide (La clé "
        "RIB de cet IBAN est fausse : vérifiez les chiffres recopiés.)"
    ]


def test_a_float_amount_is_refused():
    line = debit(1, amount=12.5)

    assert french_messages([line]) == [
        f"Prélèvement {line.end_to_end_id} (RUM {line.rum}) : son montant (12.5) doit être un "
        "nombre positif d'euros et de centimes."
    ]


def test_two_debits_with_the_same_end_to_end_id_are_refused():
    assert french_messages([debit(1), debit(2, end_to_end_id=debit(1).end_to_end_id)]) == [
        f"Le prélèvement {debit(1).end_to_end_id} figure deux fois dans le fichier : chaque "
        "prélèvement doit avoir sa propre référence."
    ]


def test_every_problem_of_the_input_is_listed_at_once():
    lines = [
        debit(1, sequence="LAST"),
        debit(2, mandate_signed_on=date(2027, 1, 1)),
        debit(3, debtor_name="  ", description="€€€"),
    ]

    messages = french_messages(
        lines, creditor=Creditor(name="", iban="FR76", bic="BDFEFRPP", ics="FR73ZZZ123456")
    )

    assert messages == [
        "Le nom du créancier manque.",
        "L'IBAN du créancier n'est pas valide : Un IBAN de ce pays compte 27 caractères ; "
        "celui-ci en compte 4. Vérifiez qu'aucun caractère ne manque ou n'a été ajouté.",
        "L'identifiant créancier SEPA (ICS) n'est pas valide : Les chiffres de contrôle de cet "
        "identifiant créancier SEPA (ICS) sont faux : vérifiez les caractères recopiés.",
        f"Prélèvement {lines[0].end_to_end_id} (RUM {lines[0].rum}) : le type de séquence doit "
        "être FRST, RCUR, OOFF ou FNAL.",
        f"Prélèvement {lines[1].end_to_end_id} (RUM {lines[1].rum}) : le mandat a été signé "
        "après la date d'échéance.",
        f"Prélèvement {lines[2].end_to_end_id} (RUM {lines[2].rum}) : le nom du titulaire du "
        "compte manque.",
        f"Prélèvement {lines[2].end_to_end_id} (RUM {lines[2].rum}) : le libellé présenté au "
        "titulaire du compte manque.",
    ]


def test_a_message_id_too_long_for_the_format_is_refused():
    assert french_messages([debit(1)], message_id="L" * 36) == [
        "L'identifiant du fichier doit compter de 1 à 35 lettres, chiffres ou / - ? : ( ) . , ' +."
    ]


def test_a_datetime_is_not_taken_for_a_date():
    from datetime import datetime

    line = debit(1, collection_on=datetime(2026, 12, 5, 10, 0))

    assert french_messages([line]) == [
        f"Prélèvement {line.end_to_end_id} (RUM {line.rum}) : la date de signature du mandat "
        "et la date d'échéance doivent être des dates."
    ]


def test_a_long_list_of_problems_is_cut_short():
    lines = [debit(number, rum="") for number in range(1, 60)]

    messages = french_messages(lines)

    assert len(messages) == 21
    assert messages[-1] == (
        "D'autres prélèvements peuvent aussi poser problème : corrigez d'abord ceux-ci."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Zoë Müller-Straße", "Zoe Muller-Strasse"),
        ("José  &  María", "Jose Maria"),
        ("L’école", "L'ecole"),
        ("東京", ""),
    ],
)
def test_epc_text_keeps_only_the_sepa_latin_characters(value, expected):
    assert epc_text(value, 70) == expected


def test_ten_thousand_debits_are_built_and_validated_quickly(schema):
    lines = [
        debit(
            number,
            amount=Decimal("100.00") + Decimal(number) / 100,
            sequence="FRST" if number % 10 == 0 else "RCUR",
            debtor_bic="BDFEFRPP" if number % 2 else None,
        )
        for number in range(1, 10_001)
    ]

    started = time.perf_counter()
    xml = build_pain008(creditor=CREDITOR, lines=lines, message_id="LOT-BENCH-10000")
    elapsed = time.perf_counter() - started

    print(f"\npain.008 of 10,000 debits built and XSD-validated in {elapsed:.2f} s")
    root = etree.fromstring(xml)
    assert texts(root, "//p:GrpHdr/p:NbOfTxs") == ["10000"]
    assert Decimal(texts(root, "//p:GrpHdr/p:CtrlSum")[0]) == sum(line.amount for line in lines)
    # The figure of docs/benchmarks.md comes from bench/sepa_batch.py on a quiet machine
    # (about 1.5 s); this bound only catches a slip back to pure-Python validation (15 s+).
    assert elapsed < 30
    schema.validate(xml.decode())


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=200), max_length=st.integers(min_value=1, max_value=140))
def test_epc_text_always_gives_sepa_characters_within_the_length(value, max_length):
    cleaned = epc_text(value, max_length)

    assert len(cleaned) <= max_length
    assert re.fullmatch(r"[A-Za-z0-9/\-?:().,'+ ]*", cleaned)
    assert cleaned == cleaned.strip()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(max_size=100), description=st.text(max_size=200))
def test_any_name_and_description_give_a_valid_file_or_a_clear_refusal(schema, name, description):
    line = debit(1, debtor_name=name, description=description)

    try:
        xml = build_pain008(creditor=CREDITOR, lines=[line], message_id="LOT-1")
    except SepaFileError as error:
        assert error.messages
    else:
        schema.validate(xml.decode())


def test_what_the_checks_let_through_is_still_caught_by_the_schema(monkeypatch):
    from portail.direct_debits import sepa

    monkeypatch.setattr(sepa, "_check", lambda *args: None)

    with translation.override("fr"), pytest.raises(SepaFileError) as raised:
        build_pain008(creditor=CREDITOR, lines=[debit(1, rum="R" * 36)], message_id="LOT-1")

    (message,) = raised.value.messages
    assert message.startswith("Le fichier de prélèvements ne respecte pas le format pain.008 : ")
    assert "MndtId" in message
