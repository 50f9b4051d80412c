from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render


def family_required(view):
    """The family's pages are for guardians. Staff belong in the back office; an account that
    no household lists as a guardian sees why it cannot go further (403), not an empty space.
    The person's guardian rows, read for that check, stay on ``request.guardianships`` (with
    their household) for the view, and give the scope of what they may see of billing."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            return redirect("admin:index")
        guardianships = list(user.guardianships.select_related("household"))
        if not guardianships:
            return render(request, "portal/family/not_linked.html", status=403)
        request.guardianships = guardianships
        # The scope of the invoices, payments and mandates the person sees
        # (portail.billing.models.family_scope_ids) comes from the same rows: not read again.
        user._family_scope_ids = (
            [guardian.pk for guardian in guardianships],
            [
                guardian.household_id
                for guardian in guardianships
                if guardian.household.share_invoices_with_all_guardians
            ],
        )
        return view(request, *args, **kwargs)

    return wrapper
