"""The PDF copy of a signed mandate: everything a SEPA mandate must show, read back with pypdf,
in the reader's language, the same bytes for the same mandate."""

import hashlib
import io
import re
from dataclasses import replace
from datetime import UTC, datetime

from django.utils import translation
from pypdf import PdfReader

from portail.direct_debits.pdf import MandateDocument, render_mandate_pdf

AUTHORISATION = (
    "En signant ce formulaire de mandat, vous autorisez (A) Régie des crèches de Villeneuve à "
    "envoyer des instructions à votre banque pour débiter votre compte, et (B) votre banque à "
    "débiter votre compte conformément aux instructions de Régie des crèches de Villeneuve."
)
RIGHTS = (
    "Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions décrites "
    "dans la convention que vous avez passée avec elle. Une demande de remboursement doit être "
    "présentée dans les 8 semaines suivant la date de débit de votre compte pour un "
    "prélèvement autorisé."
)
DOCUMENT = MandateDocument(
    rum="ZZZ123456-F00042-001",
    creditor_name="Régie des crèches de Villeneuve",
    creditor_address="Hôtel de ville\n1 place de la Mairie\n94290 Villeneuve-le-Roi",
    ics="FR72ZZZ123456",
    debtor_name="Camille Martin",
    debtor_address="12 rue des Lilas\n94290 Villeneuve-le-Roi",
    iban="FR1420041010050500013M02606",
    bic="PSSTFRPP",
    payment_type_label="Paiement récurrent",
    signed_at=datetime(2026, 11, 27, 9, 5, tzinfo=UTC),
    signed_by="Camille Martin",
    authorisation_text=AUTHORISATION,
    rights_text=RIGHTS,
    title="Mandat de prélèvement SEPA",
)


def pdf_text(pdf: bytes) -> str:
    """All pages' text, every run of spaces and line breaks as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def render_in_french(document=DOCUMENT) -> bytes:
    with translation.override("fr"):
        return render_mandate_pdf(document)


def test_the_mandate_shows_its_title_reference_and_creditor():
    text = pdf_text(render_in_french())

    assert "Mandat de prélèvement SEPA" in text
    assert "Référence unique du mandat (RUM) : ZZZ123456-F00042-001" in text
    assert "Créancier Régie des crèches de Villeneuve Hôtel de ville 1 place de la Mairie" in text
    assert "Identifiant créancier SEPA (ICS) : FR72ZZZ123456" in text


def test_the_mandate_shows_the_account_holder_and_the_whole_account():
    text = pdf_text(render_in_french())

    assert "Titulaire du compte (débiteur) Camille Martin 12 rue des Lilas" in text
    assert "IBAN : FR14 2004 1010 0505 0001 3M02 606" in text
    assert "BIC : PSSTFRPP" in text
    assert "Type de paiement Paiement récurrent" in text


def test_the_mandate_carries_the_authorisation_and_the_refund_rights_given():
    text = pdf_text(render_in_french())

    assert AUTHORISATION in text
    assert RIGHTS in text


def test_the_mandate_says_when_and_by_whom_it_was_signed_in_local_time():
    text = pdf_text(render_in_french())

    # 09:05 UTC is 10:05 in Paris in November.
    assert "Signé électroniquement le 27/11/2026 à 10:05 par Camille Martin." in text


def test_a_mandate_without_bic_says_so():
    text = pdf_text(render_in_french(replace(DOCUMENT, bic=None)))

    assert "BIC : non renseigné" in text


def test_the_pdf_carries_its_title_and_language():
    reader = PdfReader(io.BytesIO(render_in_french()))

    assert reader.metadata.title == "Mandat de prélèvement SEPA ZZZ123456-F00042-001"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_the_same_mandate_gives_the_same_bytes_so_its_hash_can_be_checked():
    first, second = render_in_french(), render_in_french()

    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_names_the_pdf_font_lacks_are_brought_to_the_nearest_letters():
    text = pdf_text(render_in_french(replace(DOCUMENT, debtor_name="Łukasz Nguyễn")))

    assert "Lukasz Nguyên" in text


def test_the_labels_follow_the_readers_language():
    with translation.override("en"):
        text = pdf_text(render_mandate_pdf(DOCUMENT))

    assert "Unique mandate reference (RUM): ZZZ123456-F00042-001" in text
    assert "Signed electronically on" in text
