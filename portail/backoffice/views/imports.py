"""Uploading the billing software's CSV file: the import runs as a background job."""

from django import forms
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portail.billing import imports
from portail.billing.models import Regie

from . import page_context


class InvoiceImportForm(forms.Form):
    regie = forms.ModelChoiceField(
        label=gettext_lazy("Régie"),
        queryset=Regie.objects.all(),
        help_text=gettext_lazy("The régie whose invoices the file holds."),
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Exported by the billing software, in the format described in the guide: one line "
            "per invoice line, separated by « ; », saved as « CSV UTF-8 »."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regies = self.fields["regie"].queryset
        if len(regies) == 1:
            self.fields["regie"].initial = regies[0].pk

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > imports.MAX_FILE_BYTES:
            raise forms.ValidationError(imports.file_too_big_message())
        return uploaded


def invoice_import(request):
    if request.method == "POST":
        form = InvoiceImportForm(request.POST, request.FILES)
    else:
        form = InvoiceImportForm()
    if form.is_bound and form.is_valid():
        job = imports.queue_invoice_import(
            regie=form.cleaned_data["regie"],
            uploaded_file=form.cleaned_data["file"],
            created_by=request.user,
        )
        return redirect("backoffice:job-detail", reference=job.reference)
    return render(
        request,
        "backoffice/invoice_import.html",
        page_context(request, title=_("Import invoices"), form=form),
    )
