"""seed_demo gives the demo régie a few months of real invoices, payments and a credit note."""

from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from portail.accounts.models import User
from portail.billing.models import CreditNote, Invoice, Regie
from portail.households.models import Household
from portail.payments.models import Payment, PaymentMethod


def seed() -> list[str]:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue().splitlines()


def martin_invoices():
    return Invoice.objects.filter(household__name="Famille Martin").order_by("period_on", "pk")


def test_seed_demo_creates_the_regie_with_its_legal_mentions():
    seed()

    regie = Regie.objects.get(name="Régie Petite Enfance de Val-des-Tilleuls")
    assert regie.email == "regie@val-des-tilleuls.example"
    assert regie.issuer_name == "Mme Sophie Garnier, régisseuse"
    assert "tribunal administratif de Grenoble" in regie.appeal_notice
    assert "démonstration" in regie.appeal_notice
    assert [kind.label for kind in regie.kinds.all()] == [
        "FACTURE JEUNESSE",
        "FACTURE PÉRISCOLAIRE",
    ]


def test_famille_martin_has_invoices_in_every_state():
    seed()

    invoices = list(martin_invoices())
    youth = [invoice for invoice in invoices if invoice.kind.label == "FACTURE JEUNESSE"]
    assert [invoice.status for invoice in youth] == [
        Invoice.Status.PAID,
        Invoice.Status.PAID,
        Invoice.Status.PARTIALLY_PAID,
        Invoice.Status.ISSUED,
    ]
    after_school = [i for i in invoices if i.kind.label == "FACTURE PÉRISCOLAIRE"]
    assert [invoice.status for invoice in after_school] == [Invoice.Status.PAID]
    assert all(invoice.number.startswith("F") for invoice in invoices)
    assert all(invoice.pdf and len(invoice.pdf_sha256) == 64 for invoice in invoices)
    assert Household.objects.get(name="Famille Martin").external_code == "F0001"


def test_famille_martin_paid_by_cheque_and_cash_and_keeps_a_credit():
    seed()

    payments = Payment.objects.filter(household__name="Famille Martin")
    assert {payment.method for payment in payments} == {PaymentMethod.CHEQUE, PaymentMethod.CASH}
    note = CreditNote.objects.get(household__name="Famille Martin")
    assert note.invoice.status == Invoice.Status.PAID
    assert note.available_credit == note.amount > 0


def test_other_households_have_last_months_invoice_half_of_them_paid():
    seed()

    others = Invoice.objects.exclude(household__name="Famille Martin")
    assert others.count() == 6
    # Half paid at the counter or online, and one more by the demo's settled direct debit.
    assert others.filter(status=Invoice.Status.PAID).count() == 4
    assert others.filter(allocations__payment__method="direct_debit").count() == 1
    assert len({invoice.period_on for invoice in others}) == 1


def test_seed_demo_twice_creates_no_invoice_twice():
    seed()
    before = (Invoice.objects.count(), Payment.objects.count(), CreditNote.objects.count())

    lines = seed()

    assert (Invoice.objects.count(), Payment.objects.count(), CreditNote.objects.count()) == before
    assert lines[-1].startswith("E-mails : ")


def test_demo_family_sees_two_unpaid_invoices(client):
    seed()
    client.force_login(User.objects.get(username="camille.martin"))

    response = client.get(reverse("portal:invoices"))

    text = response.content.decode()
    assert "FACTURE JEUNESSE" in text
    assert "FACTURE PÉRISCOLAIRE" in text
    assert "2 factures non réglées" in text


def test_demo_family_has_a_question_about_its_latest_invoice_once(client):
    seed()
    seed()
    from portail.households.models import Request, RequestKind, RequestStatus

    (question,) = Request.objects.filter(kind=RequestKind.INVOICE)
    latest = martin_invoices().exclude(status=Invoice.Status.DRAFT).order_by("period_on").last()
    assert question.invoice == latest and question.status == RequestStatus.SENT
    client.force_login(User.objects.get(username="camille.martin"))

    response = client.get(reverse("portal:invoice-detail", args=[latest.reference]))

    text = " ".join(response.content.decode().split())
    assert "Réclamation envoyée le" in text
    assert "Signaler une erreur sur cette facture" in text
