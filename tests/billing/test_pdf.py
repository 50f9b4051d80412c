"""The invoice, credit note and receipt PDFs: what a family reads in them (read back with
pypdf), in their language, one page for an ordinary invoice."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from pypdf import PdfReader

from portail.billing.models import Invoice
from portail.billing.pdf import render_credit_note, render_invoice, render_receipt
from portail.organisation.models import Organisation
from portail.payments.models import PaymentMethod
from tests.factories import (
    CreditNoteFactory,
    GuardianFactory,
    HouseholdFactory,
    InvoiceFactory,
    PaymentFactory,
    RegieFactory,
    UserFactory,
)


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, with every run of spaces (no-break ones included) as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_text(pdf))


def line(child_name, label, quantity, unit_price, **fields):
    return {
        "child_name": child_name,
        "label": label,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        **fields,
    }


@pytest.fixture
def organisation():
    organisation = Organisation.current()
    organisation.town_name = "Bourg-les-Crèches"
    organisation.save()
    return organisation


@pytest.fixture
def regie():
    return RegieFactory(
        name="Régie Petite Enfance",
        address="Hôtel de ville\n1 place de la Mairie\n74000 Bourg-les-Crèches",
        email="regie@bourg.example.fr",
        phone="04 50 22 05 57",
        issuer_name="Mme Anne Martin, régisseuse titulaire",
        appeal_notice=(
            "Vous pouvez contester cette facture dans les deux mois suivant sa réception "
            "devant le tribunal administratif de Grenoble."
        ),
        payment_instructions="Régie ouverte du lundi au vendredi de 8 h 30 à 12 h.",
    )


@pytest.fixture
def payer():
    household = HouseholdFactory(
        name="Famille Test",
        address_line1="15 rue de la Grenette",
        postal_code="74370",
        city="Epagny Metz-Tessy",
        external_code="FAM-0764",
    )
    return GuardianFactory(household=household, first_name="Marie", last_name="TEST")


@pytest.fixture
def invoice(organisation, regie, payer):
    return InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        number="F2022-00764",
        lines=[line("Léo TEST", "Heures d'accueil régulier", "10", "2.90")],
    )


def test_invoice_shows_who_issues_it_and_to_whom(invoice):
    text = text_of(render_invoice(invoice))

    assert "FACTURE JEUNESSE" in text
    assert "Facture n° F2022-00764" in text
    assert "Date d'émission : 10/01/2022" in text
    assert "Période : Février 2022" in text
    assert "Code famille : FAM-0764" in text
    assert "Bourg-les-Crèches" in text
    assert "Régie Petite Enfance" in text
    assert "1 place de la Mairie" in text
    assert "regie@bourg.example.fr" in text
    assert "04 50 22 05 57" in text
    assert "Madame Marie TEST" in text
    assert "15 rue de la Grenette 74370 Epagny Metz-Tessy" in text


def test_invoice_shows_its_amounts_due_date_and_how_to_pay(invoice):
    text = text_of(render_invoice(invoice))

    assert "Heures d'accueil régulier 10 heure 2,90 € 29,00 €" in text
    assert "Total 29,00 €" in text
    assert "Déjà réglé 0,00 €" in text
    assert "Avoirs 0,00 €" in text
    assert "Reste à payer 29,00 €" in text
    assert "À régler avant le 09/02/2022." in text
    assert "PayFiP" in text
    assert "http://testserver" in text
    assert "prélèvement" in text
    assert "chèque" in text
    assert "En espèces à la régie." in text
    assert "Régie ouverte du lundi au vendredi" in text


def test_invoice_carries_the_legal_mentions(invoice):
    text = text_of(render_invoice(invoice))

    assert "Facture émise par Mme Anne Martin, régisseuse titulaire." in text
    assert "devant le tribunal administratif de Grenoble" in text


def test_lines_are_grouped_per_child_each_with_its_subtotal(organisation, regie, payer):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        lines=[
            line("Léo TEST", "Heures d'accueil régulier", "10", "2.90"),
            line("Léo TEST", "Heures complémentaires", "2.5", "2.90"),
            line("Jade TEST", "Heures d'accueil régulier", "8", "1.75"),
            line("Jade TEST", "Repas", "4", "3.2", unit="meal"),
        ],
    )
    text = text_of(render_invoice(invoice))

    jade, leo = text.index("Jade TEST"), text.index("Léo TEST")
    jade_subtotal = text.index("Sous-total pour Jade TEST 26,80 €")
    leo_subtotal = text.index("Sous-total pour Léo TEST 36,25 €")
    assert jade < jade_subtotal < leo < leo_subtotal
    assert "Heures complémentaires 2,5 heure 2,90 € 7,25 €" in text
    assert "Repas 4 repas 3,20 € 12,80 €" in text
    assert "Total 63,05 €" in text


def test_lines_for_no_child_in_particular_come_last(organisation, regie, payer):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        lines=[
            line("", "Frais de dossier", "1", "15", unit="unit"),
            line("Léo TEST", "Repas", "2", "3"),
        ],
    )
    text = text_of(render_invoice(invoice))

    assert text.index("Sous-total pour Léo TEST") < text.index("Autres prestations")
    assert "Sous-total des autres prestations 15,00 €" in text


def test_an_ordinary_invoice_fits_on_one_page(invoice):
    assert len(pages_text(render_invoice(invoice))) == 1


def test_a_long_invoice_runs_on_and_ends_with_its_totals_on_the_last_page(
    organisation, regie, payer
):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        number="F2022-00800",
        lines=[line("Léo TEST", f"Accueil du jour {n}", "8", "2.5") for n in range(1, 81)],
    )
    pages = pages_text(render_invoice(invoice))

    assert len(pages) >= 2
    assert "Accueil du jour 80" in pages[-1] or "Accueil du jour 80" in pages[-2]
    assert "Reste à payer 1 600,00 €" in pages[-1]
    assert "À régler avant le 09/02/2022." in pages[-1]
    # The column headings repeat, and each page says which invoice and page it is.
    assert all("Désignation" in page for page in pages[:-1])
    for number, page in enumerate(pages, start=1):
        assert f"Facture F2022-00800 — page {number} sur {len(pages)}" in page


def test_an_english_speaking_payer_reads_english(organisation, regie):
    household = HouseholdFactory(address_line1="2 Baker Street", postal_code="74000")
    payer = GuardianFactory(household=household, user=UserFactory(language="en"))
    invoice = InvoiceFactory(regie=regie, household=household, payer=payer, number="F2022-00001")
    text = text_of(render_invoice(invoice))

    assert "FACTURE JEUNESSE" in text  # the régie's own label
    assert "Invoice no. F2022-00001" in text
    assert "Period: February 2022" in text
    assert "Remaining to pay 29,00 €" in text
    assert "To be paid before 9 February 2022." in text
    assert "How to pay" in text
    assert "Reste à payer" not in text


def test_a_french_speaking_account_reads_french(organisation, regie):
    household = HouseholdFactory()
    payer = GuardianFactory(household=household, user=UserFactory(language="fr"))
    invoice = InvoiceFactory(regie=regie, household=household, payer=payer)

    assert "Reste à payer 29,00 €" in text_of(render_invoice(invoice))


def test_only_the_ways_to_pay_the_regie_accepts_are_offered(organisation, payer):
    regie = RegieFactory(
        accepts_card_online=False,
        accepts_direct_debit=False,
        accepts_cheque=False,
        accepts_cash=False,
        accepts_cesu=True,
        accepts_transfer=True,
    )
    invoice = InvoiceFactory(regie=regie, household=payer.household, payer=payer, number="F1")
    text = text_of(render_invoice(invoice))

    assert "CESU" in text
    assert "virement" in text
    assert "PayFiP" not in text
    assert "prélèvement" not in text
    assert "espèces" not in text
    assert "Trésor public" not in text


def test_payments_and_credit_notes_reduce_what_remains(organisation, regie, payer):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        status=Invoice.Status.PARTIALLY_PAID,
        amount_paid=Decimal("12.00"),
        amount_credited=Decimal("5.00"),
    )
    PaymentFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        method=PaymentMethod.CASH,
        amount=Decimal("12.00"),
        receipt_number="R2022-00042",
        allocations=[(invoice, Decimal("12.00"))],
    )
    CreditNoteFactory(invoice=invoice, number="AV2022-00007", amount=Decimal("5.00"))
    text = text_of(render_invoice(invoice))

    assert "Déjà réglé 12,00 €" in text
    assert "Avoirs 5,00 €" in text
    assert "Reste à payer 12,00 €" in text
    assert "05/02/2022 — Espèces — reçu R2022-00042 : 12,00 €" in text
    assert "Avoir AV2022-00007 du 15/02/2022 : 5,00 €" in text
    assert "sous réserve d'encaissement" not in text


def test_an_amount_paid_by_cheque_is_subject_to_collection(organisation, regie, payer):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        status=Invoice.Status.PAID,
        amount_paid=Decimal("29.00"),
    )
    PaymentFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        allocations=[(invoice, Decimal("29.00"))],
    )
    text = text_of(render_invoice(invoice))

    assert "Montant payé par chèque : sous réserve d'encaissement." in text
    assert "Cette facture est réglée." in text
    assert "À régler avant" not in text
    assert "Comment payer" not in text


def test_the_same_invoice_renders_to_the_same_bytes(invoice):
    first, second = render_invoice(invoice), render_invoice(invoice)

    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_the_pdf_says_its_title_language_and_date(invoice):
    reader = PdfReader(io.BytesIO(render_invoice(invoice)))

    assert reader.metadata.title == "Facture F2022-00764"
    assert reader.metadata.author == "Régie Petite Enfance"
    assert reader.metadata.subject == "FACTURE JEUNESSE — Février 2022"
    assert reader.metadata.creation_date.date() == datetime.date(2022, 1, 10)
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_names_outside_helvetica_are_transliterated_not_lost(organisation, regie, payer):
    invoice = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        payer_name="M. Łukasz Nguyễn",
        lines=[line("Zoë Nguyễn", "Accueil « découverte »", "1", "29")],
    )
    text = text_of(render_invoice(invoice))

    assert "M. Lukasz Nguyên" in text
    assert "Sous-total pour Zoë Nguyên 29,00 €" in text
    assert "Accueil « découverte »" in text


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def images_on_first_page(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages[0].images)


def test_the_towns_logo_is_drawn(organisation, invoice):
    organisation.logo.save("logo.png", ContentFile(png_logo()))

    assert images_on_first_page(render_invoice(invoice)) == 1


def test_an_unreadable_logo_is_left_out_and_the_invoice_still_renders(organisation, invoice):
    organisation.logo.save("logo.png", ContentFile(b"this is not an image"))

    pdf = render_invoice(invoice)

    assert images_on_first_page(pdf) == 0
    assert "Reste à payer 29,00 €" in text_of(pdf)


def test_a_missing_logo_file_is_left_out(organisation, invoice):
    organisation.logo.name = "organisation/gone.png"
    organisation.save()

    assert images_on_first_page(render_invoice(invoice)) == 0


def test_credit_note_shows_its_invoice_reason_and_credit_left(organisation, regie, invoice):
    credit_note = CreditNoteFactory(
        invoice=invoice,
        number="AV2022-00003",
        amount=Decimal("40.00"),
        applied_amount=Decimal("29.00"),
        reason="Fermeture de la crèche du 7 au 11 février 2022.",
    )
    pages = pages_text(render_credit_note(credit_note))
    text = " ".join(pages)

    assert len(pages) == 1
    assert "AVOIR" in text
    assert "Avoir n° AV2022-00003" in text
    assert "Se rapporte à la facture F2022-00764 (FACTURE JEUNESSE, Février 2022)." in text
    assert "Fermeture de la crèche du 7 au 11 février 2022." in text
    assert "Montant de l'avoir 40,00 €" in text
    assert "Imputé sur la facture F2022-00764 29,00 €" in text
    assert "Crédit restant à utiliser 11,00 €" in text
    assert "Mme Marie TEST" in text or "Marie TEST" in text


def test_receipt_of_a_cheque_is_subject_to_collection_and_lists_what_it_settles(
    organisation, regie, payer
):
    january = InvoiceFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        number="F2022-00700",
        period_on=datetime.date(2022, 1, 1),
    )
    february = InvoiceFactory(
        regie=regie, household=payer.household, payer=payer, number="F2022-00764"
    )
    payment = PaymentFactory(
        regie=regie,
        household=payer.household,
        payer=payer,
        amount=Decimal("60.00"),
        receipt_number="R2022-00012",
        bank_reference="Chèque n° 7654321",
        allocations=[(january, Decimal("29.00")), (february, Decimal("29.00"))],
    )
    pages = pages_text(render_receipt(payment))
    text = " ".join(pages)

    assert len(pages) == 1
    assert "REÇU" in text
    assert "Reçu n° R2022-00012" in text
    assert "Reçu le 05/02/2022" in text
    assert "Marie TEST" in text
    assert "15 rue de la Grenette" in text
    assert "Chèque — sous réserve d'encaissement" in text
    assert "Chèque n° 7654321" in text
    assert "la somme de 60,00 €" in text
    assert "Facture F2022-00700 — FACTURE JEUNESSE — Janvier 2022 29,00 €" in text
    assert "Facture F2022-00764 — FACTURE JEUNESSE — Février 2022 29,00 €" in text
    assert "Non imputé sur une facture 2,00 €" in text
    assert "Total reçu 60,00 €" in text
    assert "Régie Petite Enfance" in text


def test_receipt_of_cash_is_not_subject_to_collection(organisation, regie, payer):
    payment = PaymentFactory(
        regie=regie, household=payer.household, payer=payer, method=PaymentMethod.CASH
    )
    text = text_of(render_receipt(payment))

    assert "Mode de paiement : Espèces" in text
    assert "sous réserve d'encaissement" not in text


def test_a_large_logo_is_embedded_at_print_resolution(organisation, invoice):
    buffer = io.BytesIO()
    Image.new("RGBA", (3000, 1200), (0, 0, 128, 255)).save(buffer, format="PNG")
    organisation.logo.save("big-logo.png", ContentFile(buffer.getvalue()))

    image = PdfReader(io.BytesIO(render_invoice(invoice))).pages[0].images[0].image

    # The logo's box is 40 × 22 mm: about 315 pixels wide at 200 dpi.
    assert image.width <= 320


def test_a_draft_being_previewed_renders_without_an_issue_date(organisation, regie, payer):
    draft = InvoiceFactory(regie=regie, household=payer.household, payer=payer, status="draft")
    draft.number = "BROUILLON"

    text = text_of(render_invoice(draft))

    assert "Facture n° BROUILLON" in text
    assert "Date d'émission" not in text
    assert "Reste à payer 29,00 €" in text


def test_very_long_instructions_run_on_to_the_next_page(organisation, payer):
    instructions = "\n".join(f"Permanence n° {n} : mairie annexe, salle {n}." for n in range(150))
    regie = RegieFactory(payment_instructions=instructions)
    invoice = InvoiceFactory(regie=regie, household=payer.household, payer=payer)

    pages = pages_text(render_invoice(invoice))

    assert len(pages) >= 2
    assert "Permanence n° 149 : mairie annexe, salle 149." in pages[-1]
