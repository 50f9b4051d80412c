"""ÉDITION DE DOCUMENTS: the nurseries' official documents and the certificates a family
generates from its own payments (attestation de paiement, attestation fiscale). Every
certificate is computed from the payments the family may see (``Payment.visible_to``):
another family's payer, household or régie is a 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from portail.billing import attestations
from portail.billing.models import Regie
from portail.billing.pdf.attestations import render_payment_certificate, render_tax_certificate
from portail.content.models import OfficialDocument
from portail.households.models import Guardian, Household
from portail.payments.models import Payment

from ..decorators import family_required
from ..forms.documents import PaymentCertificateForm

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _page(request, form, choices, status=200):
    context = {
        "official_documents": OfficialDocument.objects.visible_to(request.user),
        "tax_choices": choices.tax,
        "payment_form": form,
        "has_payments": bool(choices.payment),
    }
    return render(request, "portal/documents/documents.html", context, status=status)


@family_required
def documents(request):
    choices = attestations.certificate_choices(Payment.objects.visible_to(request.user))
    return _page(request, PaymentCertificateForm(choices=choices.payment), choices)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@family_required
def payment_certificate_pdf(request):
    payments = Payment.objects.visible_to(request.user)
    choices = attestations.certificate_choices(payments)
    form = PaymentCertificateForm(request.GET, choices=choices.payment)
    if not form.is_valid():
        return _page(request, form, choices, status=400)
    choice = form.choice
    household = Household.objects.get(reference=choice.household_reference)
    certificate = attestations.payment_certificate(
        payments=payments,
        household=household,
        regie=Regie.objects.get(pk=choice.regie_id),
        start_on=form.cleaned_data["start_on"],
        end_on=form.cleaned_data["end_on"],
    )
    start_on, end_on = certificate.start_on.isoformat(), certificate.end_on.isoformat()
    filename = f"attestation-paiement-{start_on}-{end_on}.pdf"
    return _pdf(render_payment_certificate(certificate, user=request.user), filename)


@family_required
def tax_certificate_pdf(request, year, payer, regie):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    payments = Payment.objects.visible_to(request.user)
    paid = attestations.money_payments(payments)
    payer = get_object_or_404(
        Guardian.objects.filter(pk__in=paid.values("payer_id")).select_related("household", "user"),
        reference=payer,
    )
    regie = get_object_or_404(Regie.objects.filter(pk__in=paid.values("regie_id")), pk=regie)
    certificate = attestations.tax_certificate(
        payments=payments, payer=payer, regie=regie, year=year
    )
    return _pdf(render_tax_certificate(certificate), f"attestation-fiscale-{year}.pdf")
