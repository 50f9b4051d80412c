"""The accountant's CSV files: invoices issued or payments received over a period."""

from datetime import timedelta

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portail.audit.services import AuditAction, record_event
from portail.billing import exports
from portail.billing.models import Regie

from . import page_context

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccountingExportForm(forms.Form):
    regie = forms.ModelChoiceField(label=gettext_lazy("Régie"), queryset=Regie.objects.all())
    kind = forms.ChoiceField(
        label=gettext_lazy("What to export"),
        choices=exports.ExportKind.choices,
        initial=exports.ExportKind.INVOICES,
        widget=forms.RadioSelect,
    )
    start_on = forms.DateField(
        label=gettext_lazy("Start of the period"),
        widget=DATE_WIDGET,
        help_text=gettext_lazy("Issue date of the invoices, or date the payments were received."),
    )
    end_on = forms.DateField(label=gettext_lazy("End of the period (included)"), widget=DATE_WIDGET)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regies = self.fields["regie"].queryset
        if len(regies) == 1:
            self.fields["regie"].initial = regies[0].pk
        today = timezone.localdate()
        last_month_end = today.replace(day=1) - timedelta(days=1)
        self.fields["start_on"].initial = last_month_end.replace(day=1)
        self.fields["end_on"].initial = last_month_end

    def clean(self):
        cleaned = super().clean()
        start_on, end_on = cleaned.get("start_on"), cleaned.get("end_on")
        if start_on and end_on and end_on < start_on:
            self.add_error("end_on", _("The end of the period is before its start."))
        return cleaned


def accounting_export(request):
    form = AccountingExportForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        job = exports.queue_accounting_export(
            kind=form.cleaned_data["kind"],
            regie=form.cleaned_data["regie"],
            start_on=form.cleaned_data["start_on"],
            end_on=form.cleaned_data["end_on"],
            created_by=request.user,
        )
        record_event(
            action=AuditAction.EXPORT,
            request=request,
            target=job,
            details={"kind": form.cleaned_data["kind"]},
        )
        return redirect("backoffice:job-detail", reference=job.reference)
    return render(
        request,
        "backoffice/accounting_export.html",
        page_context(request, title=_("Export for the accountant"), form=form),
    )
