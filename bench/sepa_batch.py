"""How long the SEPA file formats take at the size of a town: a pain.008 of N debits built and
XSD-validated, and a bank return (camt.054) of N returned debits read back.

    .venv/bin/python bench/sepa_batch.py                 # 10,000 debits, best of 3
    .venv/bin/python bench/sepa_batch.py -n 1000 --repeat 5 --xmlschema

No database: these modules are pure functions (portail.direct_debits.sepa, .bank_returns).
Prints wall-clock and CPU seconds per stage (CPU time is steadier when other processes share
the machine) and the load average, as a Markdown table. ``--xmlschema`` also times the
validation sepaxml would do by itself (pure-Python xmlschema), which build_pain008 replaces
with libxml2 on the same XSD."""

import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2htYXJrLW9ubHktZmllbGQta2V5LTAwMDAwMDA=")
os.environ.setdefault("SECURE_SSL", "0")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="debits (default 10,000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, the best is kept")
    parser.add_argument("--xmlschema", action="store_true", help="also time sepaxml's check")
    return parser.parse_args()


def timed(function, repeat):
    """(result, best wall seconds, CPU seconds of that run) of ``function()``."""
    best = None
    for _run in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        run = (time.perf_counter() - wall, time.process_time() - cpu)
        if best is None or run[0] < best[0]:
            best = run
    return result, *best


def debit_lines(count):
    from schwifty import IBAN

    from portail.direct_debits.sepa import DebitLine

    return [
        DebitLine(
            end_to_end_id=f"B1-{number:05d}-F2026-{number:05d}",
            amount=Decimal("95.40") + Decimal(number % 500) / 100,
            debtor_name=f"Élodie Dupont-Ñoël {number}",
            debtor_iban=IBAN.generate(
                "FR", bank_code="30001", account_code=f"{number:011d}"
            ).compact,
            debtor_bic="BDFEFRPP" if number % 2 else None,
            rum=f"ZZZ123456-F{number:05d}-001",
            mandate_signed_on=date(2025, 9, 1),
            sequence="FRST" if number % 12 == 0 else "RCUR",
            collection_on=date(2026, 12, 5),
            description=f"Facture F2026-{number:05d} crèche Les Étoiles",
        )
        for number in range(1, count + 1)
    ]


def camt054(lines) -> bytes:
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>{line.end_to_end_id}</EndToEndId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{line.amount}</Amt></TxAmt></AmtDtls>'
        "<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf></TxDtls>"
        for line in lines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId>"
        "<CreDtTm>2026-12-12T06:30:00</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id>"
        '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>2026-12-11</Dt></BookgDt><NtryDtls>{details}</NtryDtls></Ntry>"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def main():
    arguments = parse_arguments()
    import django

    django.setup()
    from lxml import etree

    from portail.direct_debits import sepa
    from portail.direct_debits.bank_returns import parse_bank_return

    creditor = sepa.Creditor(
        name="Régie des crèches",
        iban="FR7630001007941234567890185",
        bic="BDFEFRPP",
        ics="FR72ZZZ123456",
    )
    load_before = os.getloadavg()
    lines = debit_lines(arguments.n)
    rows = []
    _none, wall, cpu = timed(lambda: sepa._check(creditor, lines, "LOT-1"), arguments.repeat)
    rows.append(("Input checked (IBAN, BIC, RUM, amounts, dates)", wall, cpu))
    xml, wall, cpu = timed(
        lambda: sepa.build_pain008(creditor=creditor, lines=lines, message_id="LOT-1"),
        arguments.repeat,
    )
    rows.append(("**pain.008 built and XSD-validated (whole `build_pain008`)**", wall, cpu))
    tree = etree.fromstring(xml)
    _valid, wall, cpu = timed(lambda: sepa._schema().validate(tree), arguments.repeat)
    rows.append(("of which XSD validation by libxml2", wall, cpu))
    if arguments.xmlschema:
        import sepaxml.validation

        _none, wall, cpu = timed(lambda: sepaxml.validation.try_valid_xml(xml, sepa.SCHEMA), 1)
        rows.append(("XSD validation by sepaxml (xmlschema), not used", wall, cpu))
    returns = camt054(lines)
    returned, wall, cpu = timed(lambda: parse_bank_return(returns), arguments.repeat)
    assert len(returned) == arguments.n
    rows.append(
        (f"camt.054 of {arguments.n:,} returns read ({len(returns) // 1024} KiB)", wall, cpu)
    )

    print(f"{arguments.n:,} debits, pain.008 of {len(xml) // 1024} KiB, best of {arguments.repeat}")
    print(f"load average before: {' '.join(f'{value:.2f}' for value in load_before)}\n")
    print("| Stage | Wall s | CPU s |\n|---|---:|---:|")
    for label, wall, cpu in rows:
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
