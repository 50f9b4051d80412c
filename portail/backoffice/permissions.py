"""Who may do what in the back office, by role rather than by Django model permissions.

Two roles, read from the user's flags so that no group or permission needs setting up:

- an administrator (``is_superuser``) may do everything;
- nursery staff (``is_staff``, not superuser) work on the households of their nurseries
  (``Nursery.staff``): they see and change those households, their guardians, children and
  contacts, see their own nurseries, and nothing else. They never delete a household.

Everything that is not household work (organisation, users, CGU, outbox, devices…) is left to
administrators by ``AdministratorOnlyMixin``.
"""

from django.db.models import Q

from portail.billing.models import Invoice
from portail.households.models import Child, Guardian, Household, HouseholdChild
from portail.nurseries.models import Nursery


def is_administrator(user) -> bool:
    return user.is_active and user.is_superuser


def is_nursery_staff(user) -> bool:
    return user.is_active and user.is_staff and not user.is_superuser


def households_for(user):
    """The households this member of staff may see and change."""
    return Household.objects.for_staff(user)


def nurseries_for(user):
    if is_administrator(user):
        return Nursery.objects.all()
    return Nursery.objects.filter(staff=user)


def children_for(user):
    """Children of the staff member's households, and children of their nurseries that are
    not in a household yet (just created, about to be linked)."""
    if is_administrator(user):
        return Child.objects.all()
    in_households = HouseholdChild.objects.filter(
        household__in=households_for(user).values("pk")
    ).values("child")
    return Child.objects.filter(Q(pk__in=in_households) | Q(nursery__in=nurseries_for(user)))


class AdministratorOnlyMixin:
    """For ModelAdmins of settings and accounts: administrators only, whatever Django
    permissions a staff member may have been given."""

    def has_module_permission(self, request):
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request, *args):
        return is_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_administrator(request.user)


class ReadOnlyAdminMixin:
    """A list to consult (journals, proofs): administrators see it, nobody edits it."""

    def has_module_permission(self, request):
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffScopeMixin:
    """Household work, open to every member of staff but limited to their households.

    Subclasses set ``staff_can_delete`` (False by default: deleting is for administrators)
    and implement ``scope_queryset(queryset, user)`` for their model. Foreign keys to nurseries,
    households and children only offer what the staff member may see, so a forged form cannot
    attach a record to another nursery's household."""

    staff_can_delete = False

    def scope_queryset(self, queryset, user):
        raise NotImplementedError

    def _is_staff(self, request) -> bool:
        return is_administrator(request.user) or is_nursery_staff(request.user)

    def has_module_permission(self, request):
        return self._is_staff(request)

    def has_view_permission(self, request, obj=None):
        return self._is_staff(request)

    def has_add_permission(self, request, *args):
        return self._is_staff(request)

    def has_change_permission(self, request, obj=None):
        return self._is_staff(request)

    def has_delete_permission(self, request, obj=None):
        if is_administrator(request.user):
            return True
        return self.staff_can_delete and is_nursery_staff(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_administrator(request.user):
            return queryset
        if not is_nursery_staff(request.user):
            return queryset.none()
        return self.scope_queryset(queryset, request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not is_administrator(user):
            model = db_field.remote_field.model
            if model is Nursery:
                kwargs["queryset"] = nurseries_for(user)
            elif model is Household:
                kwargs["queryset"] = households_for(user)
            elif model is Child:
                kwargs["queryset"] = children_for(user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def scoped_to_households(queryset, user):
    """Rows with a ``household`` foreign key: those of the staff member's households."""
    return queryset.filter(household__in=households_for(user).values("pk"))


class StaffScopedInlineMixin(StaffScopeMixin):
    """For inlines of rows with a ``household`` foreign key (guardians, contacts, children's
    memberships): only the rows of the staff member's households."""

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)


# --- Billing: invoices, payments and credit notes follow their household -------------------
# Administrators see and do everything, including régies and invoice kinds (which use
# AdministratorOnlyMixin); nursery staff see the invoices, payments and credit notes of their
# households, create drafts and record counter payments for them.


def invoices_for(user):
    """The invoices this member of staff may see (``Invoice.objects.for_staff``), as a
    ``pk__in`` filter so that a list keeps its ordering and joins without DISTINCT."""
    if is_administrator(user):
        return Invoice.objects.all()
    if not is_nursery_staff(user):
        return Invoice.objects.none()
    return Invoice.objects.filter(pk__in=Invoice.objects.for_staff(user).values("pk"))


def guardians_for(user):
    """The guardians of the staff member's households (payers they may pick)."""
    if is_administrator(user):
        return Guardian.objects.all()
    return Guardian.objects.filter(household__in=households_for(user).values("pk"))
