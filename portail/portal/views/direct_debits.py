"""« MES PRÉLÈVEMENTS »: the family asks for direct debit, reads and signs the mandate with
a code e-mailed to them, follows its debits and rejects, revokes it or changes the account.

Every query starts from the person: their own guardian rows (a mandate is the payer's), the
debits of their mandates, the codes they asked for. Another family's mandate is a 404."""

import io

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portail.accounts.backends import client_ip_address
from portail.billing.models import Invoice, Regie
from portail.direct_debits import services
from portail.direct_debits.coverage import coverage_of
from portail.direct_debits.identifiers import mask_iban
from portail.direct_debits.models import CreditorSettings, Debit, Mandate, SignatureCode

from ..decorators import family_required
from ..forms.direct_debits import MandateRequestForm, RevokeForm, SignatureForm

PAST_DEBITS = 24


def _own_payers(user):
    return list(user.guardianships.select_related("household").order_by("household__name", "pk"))


def _collecting_regies():
    return list(
        Regie.objects.filter(accepts_direct_debit=True, creditor_settings__isnull=False)
        .select_related("creditor_settings")
        .order_by("name")
    )


def _mandates(user):
    return Mandate.objects.visible_to(user).select_related("regie__creditor_settings")


@family_required
def direct_debits(request):
    user = request.user
    mandates = list(
        _mandates(user)
        .annotate(
            rank=Case(
                When(status__in=[Mandate.Status.ACTIVE, Mandate.Status.PENDING], then=Value(0)),
                When(status=Mandate.Status.SUSPENDED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-signed_at", "-pk")
    )
    debits = Debit.objects.visible_to(user).select_related("invoice__kind")
    unpaid = list(
        Invoice.objects.visible_to(user)
        .unpaid()
        .filter(payer__user=user)
        .select_related("kind")
        .order_by("due_on", "pk")
    )
    coverage = coverage_of(unpaid)
    context = {
        "mandates": mandates,
        "has_live_mandate": any(mandate.is_live for mandate in mandates),
        "upcoming": debits.running().order_by("collection_on", "pk"),
        "next_invoices": [
            invoice
            for invoice in unpaid
            if invoice.pk in coverage and not coverage[invoice.pk].is_scheduled
        ],
        "past": debits.exclude(status__in=Debit.RUNNING).order_by("-collection_on", "-pk")[
            :PAST_DEBITS
        ],
        "can_request": bool(_collecting_regies()),
    }
    return render(request, "portal/direct_debits/overview.html", context)


def _request_form(request, *, replaces=None):
    user = request.user
    payers = _own_payers(user)
    regies = _collecting_regies()
    if replaces is not None:
        payers = [payer for payer in payers if payer.pk == replaces.payer_id]
        regies = [regie for regie in regies if regie.pk == replaces.regie_id]
    initial = {}
    if payers:
        payer = payers[0]
        initial = {
            "holder_name": f"{payer.first_name} {payer.last_name}",
            "holder_address": "\n".join(payer.address_lines),
        }
    if replaces is not None:
        initial.update(
            {"holder_name": replaces.holder_name, "holder_address": replaces.holder_address}
        )
    return MandateRequestForm(
        request.POST if request.method == "POST" else None,
        payers=payers,
        regies=regies,
        initial=initial,
    )


def _handle_request(request, *, replaces=None):
    form = _request_form(request, replaces=replaces)
    if not form.regies:
        messages.error(request, _("Direct debit is not offered for the moment."))
        return redirect("portal:direct-debits")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signature = services.request_mandate(
                user=request.user,
                payer=form.chosen_payer,
                regie=form.chosen_regie,
                holder_name=data["holder_name"],
                holder_address=data["holder_address"],
                iban=data["iban"],
                bic=data["bic"],
                replaces=replaces,
            )
        except services.MandateError as error:
            form.add_error(None, str(error))
        else:
            return redirect("portal:direct-debit-sign", reference=signature.reference)
    return render(
        request,
        "portal/direct_debits/request.html",
        {"form": form, "replaces": replaces},
    )


@family_required
@never_cache
@sensitive_post_parameters("iban", "bic")
def request_mandate(request):
    return _handle_request(request)


@family_required
@never_cache
@sensitive_post_parameters("iban", "bic")
def change_account(request, reference):
    mandate = get_object_or_404(_mandates(request.user).live(), reference=reference)
    return _handle_request(request, replaces=mandate)


def _open_signature(user, reference) -> SignatureCode:
    return get_object_or_404(
        SignatureCode.objects.filter(user=user, used_at__isnull=True).select_related(
            "regie__creditor_settings", "payer__household"
        ),
        reference=reference,
    )


@family_required
@never_cache
@sensitive_post_parameters("code")
def sign(request, reference):
    signature = _open_signature(request.user, reference)
    creditor: CreditorSettings = signature.regie.creditor_settings
    form = SignatureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            mandate = services.sign_mandate(
                signature=signature,
                code=form.cleaned_data["code"],
                ip_address=client_ip_address(request),
            )
        except services.MandateError as error:
            form.add_error("code", str(error))
        else:
            return redirect("portal:direct-debit-signed", reference=mandate.reference)
    context = {
        "form": form,
        "signature": signature,
        "creditor": creditor,
        "texts": services.mandate_texts(creditor),
        "masked_iban": mask_iban(signature.iban),
        "today": timezone.localdate(),
    }
    return render(request, "portal/direct_debits/sign.html", context)


@require_POST
@family_required
def resend_code(request, reference):
    signature = _open_signature(request.user, reference)
    try:
        services.resend_signature_code(signature=signature)
    except services.MandateError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("A new code has been sent to you by e-mail."))
    return redirect("portal:direct-debit-sign", reference=signature.reference)


@family_required
def signed(request, reference):
    mandate = get_object_or_404(_mandates(request.user), reference=reference)
    return render(request, "portal/direct_debits/signed.html", {"mandate": mandate})


@family_required
def mandate_pdf(request, reference):
    mandate = get_object_or_404(_mandates(request.user), reference=reference)
    if not mandate.pdf:
        raise Http404(_("This mandate has no PDF."))
    return FileResponse(
        io.BytesIO(mandate.read_pdf()),
        as_attachment=True,
        filename=f"mandat-{mandate.rum}.pdf",
        content_type="application/pdf",
    )


@family_required
def revoke(request, reference):
    mandate = get_object_or_404(_mandates(request.user).live(), reference=reference)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_mandate(
                mandate=mandate, reason=_("Revoked by the family."), revoked_by=request.user
            )
        except services.MandateError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your mandate is revoked: your next invoices are to be paid another way."),
            )
        return redirect("portal:direct-debits")
    upcoming = list(mandate.debits.filter(status__in=Debit.RUNNING).order_by("collection_on"))
    return render(
        request,
        "portal/direct_debits/revoke.html",
        {"mandate": mandate, "form": form, "upcoming": upcoming},
    )
