"""Households, guardians and children in the back office: open to every member of staff,
limited to their nurseries' households (see portail/backoffice/permissions.py)."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from portail.accounts.models import AccountLink
from portail.accounts.services import (
    InvitationError,
    ensure_account,
    invite_guardian,
    set_temporary_password,
)
from portail.backoffice.permissions import (
    StaffScopedInlineMixin,
    StaffScopeMixin,
    children_for,
    households_for,
    is_administrator,
    nurseries_for,
    scoped_to_households,
)
from portail.lib.admin_lists import (
    EstimatedCountPaginator,
    FastActionCheckboxMixin,
    WordSearchMixin,
)

from . import services
from .models import (
    Absence,
    ChangeAction,
    ChangedObject,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdChange,
    HouseholdChild,
    Request,
)
from .services.changes import ADDRESS_FIELDS, CONTACT_FIELDS, GUARDIAN_CONTACT_FIELDS, HEALTH_FIELDS

HOUSEHOLD_TRACKED = ["name", *ADDRESS_FIELDS]


GUARDIAN_TRACKED = ["civility", "first_name", "last_name", "birth_date", *GUARDIAN_CONTACT_FIELDS]
HISTORY_ROWS = 30
REQUEST_ROWS = 10


def tracked_changes(form, names) -> list[tuple[str, object, object]]:
    """(field, old, new) for the tracked fields an admin form changed."""
    return [
        (name, form.initial.get(name, ""), form.cleaned_data.get(name))
        for name in form.changed_data
        if name in names
    ]


def pending_invitations():
    """A usable activation link of the row's account, for ``Exists`` annotations."""
    return (
        AccountLink.objects.filter(user=OuterRef("user"), purpose=AccountLink.Purpose.ACTIVATION)
        .usable()
        .values("pk")
    )


def account_status(guardian, *, has_pending_invitation=None) -> str:
    """Where the guardian's portal account stands, in the words staff use on the phone."""
    user = guardian.user
    if user is None:
        return gettext("No account yet")
    if not user.is_active:
        return gettext("Account disabled")
    if user.must_change_password:
        if user.has_expired_temporary_password:
            return gettext("Temporary password expired")
        return gettext("Temporary password given")
    if user.has_usable_password():
        return gettext("Active")
    if has_pending_invitation is None:
        has_pending_invitation = (
            AccountLink.objects.filter(user=user, purpose=AccountLink.Purpose.ACTIVATION)
            .usable()
            .exists()
        )
    if has_pending_invitation:
        return gettext("Invited, not activated yet")
    return gettext("Invitation expired")


def invite(request, guardian) -> bool:
    """Send the invitation and say so, in French, to the member of staff."""
    try:
        user = invite_guardian(guardian=guardian, invited_by=request.user)
    except InvitationError as error:
        messages.error(request, str(error))
        return False
    messages.success(
        request,
        gettext(
            "Invitation sent to {name} ({email}). Their identifier is « {identifier} »; "
            "the activation link is valid for {days} days."
        ).format(
            name=guardian,
            email=user.email,
            identifier=user.username,
            days=settings.ACTIVATION_LINK_DAYS,
        ),
    )
    return True


class AccountStatusFilter(admin.SimpleListFilter):
    title = _("portal account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        return [
            ("none", _("No account yet")),
            ("invited", _("Invited, not activated yet")),
            ("temporary", _("Temporary password given")),
            ("active", _("Active")),
        ]

    def queryset(self, request, queryset):
        # An account without a usable password is one whose invitation is not done yet.
        unusable = {"user__password__startswith": "!"}
        if self.value() == "none":
            return queryset.filter(user__isnull=True)
        if self.value() == "invited":
            return queryset.filter(**unusable)
        if self.value() == "temporary":
            return queryset.filter(user__must_change_password=True)
        if self.value() == "active":
            return queryset.filter(user__isnull=False, user__must_change_password=False).exclude(
                **unusable
            )
        return queryset


class PaperInvoicesFilter(admin.SimpleListFilter):
    """Who still needs invoices on paper (not opted in to online invoices)."""

    title = _("paper invoice")
    parameter_name = "paper"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Paper invoice (to print and post)")),
            ("no", _("Online invoices only")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paperless_invoices=False)
        if self.value() == "no":
            return queryset.filter(paperless_invoices=True)
        return queryset


class GuardianInline(StaffScopedInlineMixin, admin.StackedInline):
    model = Guardian
    extra = 0
    show_change_link = True
    fieldsets = [
        (None, {"fields": [("civility", "first_name", "last_name"), "birth_date", "account"]}),
        (
            _("Contact details"),
            {"fields": ["email", ("mobile_phone", "home_phone", "work_phone")]},
        ),
        (
            _("Own address (when it differs from the household's)"),
            {
                "classes": ["collapse"],
                "fields": ["address_line1", "address_line2", ("postal_code", "city")],
            },
        ),
    ]
    readonly_fields = ["account"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(has_pending_invitation=Exists(pending_invitations()))
        )

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    @admin.display(description=_("portal account"))
    def account(self, guardian):
        if guardian.pk is None:
            return "—"
        return account_status(
            guardian, has_pending_invitation=getattr(guardian, "has_pending_invitation", None)
        )


class HouseholdChildInline(StaffScopedInlineMixin, admin.TabularInline):
    model = HouseholdChild
    extra = 0
    autocomplete_fields = ["child"]
    staff_can_delete = True
    verbose_name = _("child")
    verbose_name_plural = _("children")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child", "household")


class ChildHouseholdInline(HouseholdChildInline):
    """On a child's page: the households the child belongs to."""

    autocomplete_fields = ["household"]
    verbose_name = _("household")
    verbose_name_plural = _("households")


class ContactInline(StaffScopedInlineMixin, admin.TabularInline):
    model = Contact
    extra = 0
    staff_can_delete = True
    fields = [
        "first_name",
        "last_name",
        "relationship",
        "mobile_phone",
        "other_phone",
        "can_pick_up",
        "is_emergency_contact",
    ]


class HouseholdChangeList(ChangeList):
    """The list's rows with only the names its columns show of the guardians and children
    (a child's health information is encrypted: a list need not decrypt it)."""

    def get_queryset(self, request, exclude_parameters=None):
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .prefetch_related(
                Prefetch(
                    "guardians",
                    queryset=Guardian.objects.only("household_id", "first_name", "last_name"),
                ),
                Prefetch("children", queryset=Child.objects.only("first_name")),
            )
        )


class HouseholdNurseryFilter(admin.SimpleListFilter):
    """The staff member's nurseries, read from the nurseries table (Django's
    RelatedOnlyFieldListFilter reads the distinct nursery of every household)."""

    title = _("nursery")
    parameter_name = "nursery"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name) for pk, name in nurseries_for(request.user).values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(nursery_id=self.value())
        return queryset


@admin.register(Household)
class HouseholdAdmin(WordSearchMixin, FastActionCheckboxMixin, StaffScopeMixin, admin.ModelAdmin):
    list_display = ["name", "nursery", "guardian_names", "child_names", "city"]
    list_filter = [HouseholdNurseryFilter, PaperInvoicesFilter]
    list_select_related = ["nursery"]
    list_per_page = 50
    paginator = EstimatedCountPaginator
    # What get_search_results searches, each word as the start of a name or a whole code or
    # e-mail (these lookups have indexes: migration 0004); no full count of the results.
    search_fields = [
        "^name",
        "=external_code",
        "^guardians__first_name",
        "^guardians__last_name",
        "=guardians__email",
        "^children__first_name",
        "^children__last_name",
    ]
    search_help_text = _("Search by household name, guardian name or e-mail, child name.")
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["name", "nursery"]}),
        (_("Address"), {"fields": ["address_line1", "address_line2", ("postal_code", "city")]}),
        (
            _("Invoices"),
            {
                "fields": [
                    "external_code",
                    "paperless_invoices",
                    "share_invoices_with_all_guardians",
                ]
            },
        ),
    ]
    readonly_fields = ["billing", "history"]
    inlines = [GuardianInline, HouseholdChildInline, ContactInline]
    actions = ["send_invitations"]

    def search_condition(self, word):
        """The start of the household's name, of a guardian's or a child's first or last name,
        or a whole family code or guardian's e-mail (guardians and children in ``pk IN (…)``
        subqueries)."""
        children = HouseholdChild.objects.filter(
            Q(child__first_name__istartswith=word) | Q(child__last_name__istartswith=word)
        )
        return (
            Q(name__istartswith=word)
            | Q(external_code__iexact=word)
            | Q(pk__in=Guardian.objects.named(word, or_email=True).values("household_id"))
            | Q(pk__in=children.values("household_id"))
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [
            *fieldsets,
            (_("Balance, invoices and payments"), {"fields": ["billing"]}),
            (_("Requests and history"), {"fields": ["history"]}),
        ]

    @admin.display(description=_("history"))
    def history(self, household):
        from django.template.loader import render_to_string

        # Safe HTML rendered by a template, which escapes what it shows.
        return render_to_string(
            "admin/households/household_history.html",
            {
                "changes": HouseholdChange.objects.for_household(household)
                .select_related("changed_by", "request")
                .latest_first()[:HISTORY_ROWS],
                "requests": Request.objects.for_household(household)
                .select_related("child")
                .latest_first()[:REQUEST_ROWS],
            },
        )

    # Staff edits write the household's history, like accepted requests do.

    def save_model(self, request, obj, form, change):
        changed = tracked_changes(form, HOUSEHOLD_TRACKED) if change else []
        super().save_model(request, obj, form, change)
        if changed:
            services.record_staff_edit(
                household=obj,
                changed_by=request.user,
                object_type=ChangedObject.HOUSEHOLD,
                object_label=obj.name,
                changed=changed,
            )

    def save_formset(self, request, form, formset, change):
        tracked = {
            Guardian: (ChangedObject.GUARDIAN, GUARDIAN_TRACKED),
            Contact: (ChangedObject.CONTACT, CONTACT_FIELDS),
        }.get(formset.model)
        if tracked is None or not change:
            return super().save_formset(request, form, formset, change)
        object_type, names = tracked
        removed, edited, added = [], [], []
        for inline_form in formset.forms:
            if not hasattr(inline_form, "cleaned_data") or not inline_form.has_changed():
                continue
            instance = inline_form.instance
            if formset.can_delete and formset._should_delete_form(inline_form):
                if instance.pk:
                    removed.append(str(instance))
            elif instance.pk is None:
                added.append(inline_form)
            else:
                edited.append((str(instance), tracked_changes(inline_form, names)))
        result = super().save_formset(request, form, formset, change)
        household = form.instance
        common = {"household": household, "changed_by": request.user, "object_type": object_type}
        for label in removed:
            services.record_staff_edit(**common, object_label=label, action=ChangeAction.REMOVED)
        for inline_form in added:
            services.record_staff_edit(
                **common, object_label=str(inline_form.instance), action=ChangeAction.ADDED
            )
        for label, changed in edited:
            if changed:
                services.record_staff_edit(**common, object_label=label, changed=changed)
        return result

    @admin.display(description=_("billing"))
    def billing(self, household):
        from portail.billing.admin import household_billing_panel

        # Safe HTML rendered by a template, which escapes what it shows.
        return household_billing_panel(household)

    def scope_queryset(self, queryset, user):
        return queryset.filter(pk__in=households_for(user).values("pk"))

    def get_changelist(self, request, **kwargs):
        return HouseholdChangeList

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not is_administrator(request.user) and "nursery" in form.base_fields:
            # Without a nursery, the household would vanish from its creator's list.
            form.base_fields["nursery"].required = True
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        nurseries = list(nurseries_for(request.user)[:2])
        if len(nurseries) == 1:
            initial.setdefault("nursery", nurseries[0].pk)
        return initial

    @admin.display(description=_("guardians"))
    def guardian_names(self, household):
        return ", ".join(str(guardian) for guardian in household.guardians.all())

    @admin.display(description=_("children"))
    def child_names(self, household):
        return ", ".join(child.first_name for child in household.children.all())

    @admin.action(description=_("Send the invitation to the guardians who have an e-mail"))
    def send_invitations(self, request, queryset):
        for household in queryset.prefetch_related("guardians__user"):
            guardians = [guardian for guardian in household.guardians.all() if guardian.email]
            if not guardians:
                messages.error(
                    request,
                    gettext(
                        "{household}: no guardian has an e-mail address, so no invitation was sent."
                    ).format(household=household),
                )
            for guardian in guardians:
                invite(request, guardian)


@admin.register(Guardian)
class GuardianAdmin(StaffScopeMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "household", "email", "mobile_phone", "account"]
    list_display_links = ["last_name", "first_name"]
    list_filter = [AccountStatusFilter, ("household__nursery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["household", "user"]
    search_fields = ["first_name", "last_name", "email", "household__name", "user__username"]
    search_help_text = _("Search by name, e-mail, household or identifier.")
    autocomplete_fields = ["household"]
    fieldsets = [
        (None, {"fields": ["household", ("civility", "first_name", "last_name"), "birth_date"]}),
        (_("Contact details"), {"fields": ["email", "mobile_phone", "home_phone", "work_phone"]}),
        (
            _("Own address (when it differs from the household's)"),
            {"fields": ["address_line1", "address_line2", ("postal_code", "city")]},
        ),
        (_("Portal account"), {"fields": ["account_summary"]}),
    ]
    readonly_fields = ["account_summary"]
    actions = ["send_invitation"]
    change_form_template = "admin/households/guardian/change_form.html"

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(has_pending_invitation=Exists(pending_invitations()))
        )

    @admin.display(description=_("portal account"))
    def account(self, guardian):
        return account_status(guardian, has_pending_invitation=guardian.has_pending_invitation)

    @admin.display(description=_("portal account"))
    def account_summary(self, guardian):
        if guardian.pk is None or guardian.user is None:
            return gettext(
                "No account yet. « Send the invitation » creates it and e-mails the "
                "identifier with an activation link."
            )
        user = guardian.user
        status = account_status(
            guardian, has_pending_invitation=getattr(guardian, "has_pending_invitation", None)
        )
        summary = gettext("Identifier « {identifier} »: {status}.").format(
            identifier=user.username, status=status
        )
        if user.last_login:
            summary += " " + gettext("Last login: {date}.").format(
                date=formats.date_format(user.last_login, "DATETIME_FORMAT")
            )
        return summary

    @admin.action(description=_("Send the invitation"))
    def send_invitation(self, request, queryset):
        for guardian in queryset:
            invite(request, guardian)

    # --- The buttons of the guardian's page ---------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/invitation/",
                self.admin_site.admin_view(self.invitation_view),
                name="{}_{}_invitation".format(*info),
            ),
            path(
                "<path:object_id>/temporary-password/",
                self.admin_site.admin_view(self.temporary_password_view),
                name="{}_{}_temporary_password".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        guardian = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_manage_account": guardian is not None
            and self.has_change_permission(request, guardian),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _guardian_to_manage(self, request, object_id):
        guardian = self.get_object(request, unquote(object_id))
        if guardian is None or not self.has_change_permission(request, guardian):
            raise Http404
        return guardian

    def _change_page(self, guardian):
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:households_guardian_change",
                args=[guardian.pk],
            )
        )

    @staticmethod
    def _account_reaches_beyond(request, guardian) -> bool:
        """Whether the account this guardian has (or would get, by their e-mail) also opens
        a household this staff member does not manage. Staff learn the temporary password,
        so they may set one only for accounts entirely within their nurseries."""
        if is_administrator(request.user):
            return False
        user = guardian.user
        email = (guardian.email or "").strip()
        if user is None and email:
            user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            return False
        return (
            Guardian.objects.filter(user=user)
            .exclude(household__in=households_for(request.user).values("pk"))
            .exists()
        )

    def invitation_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        guardian = self._guardian_to_manage(request, object_id)
        invite(request, guardian)
        return self._change_page(guardian)

    @sensitive_variables("password")
    def temporary_password_view(self, request, object_id):
        """POST: set a temporary password and show it once. An account that already has its
        own password asks for confirmation first, since that password stops working."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        guardian = self._guardian_to_manage(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "guardian": guardian,
            "valid_days": settings.TEMPORARY_PASSWORD_DAYS,
        }
        user = guardian.user
        if user is not None and user.is_staff:
            messages.error(
                request,
                gettext(
                    "This guardian's account is a staff account: its password is not set here."
                ),
            )
            return self._change_page(guardian)
        if self._account_reaches_beyond(request, guardian):
            messages.error(
                request,
                gettext(
                    "This account is also used in a household of another nursery: only an "
                    "administrator can set its temporary password."
                ),
            )
            return self._change_page(guardian)
        has_own_password = (
            user is not None and user.has_usable_password() and not user.must_change_password
        )
        if has_own_password and request.POST.get("confirmed") != "yes":
            context["title"] = gettext("Set a temporary password")
            return TemplateResponse(request, "backoffice/temporary_password_confirm.html", context)
        try:
            user = ensure_account(guardian=guardian)
        except InvitationError as error:
            messages.error(request, str(error))
            return self._change_page(guardian)
        password = set_temporary_password(user=user, set_by=request.user)
        context.update(
            title=gettext("Temporary password of {name}").format(name=guardian),
            identifier=user.username,
            password=password,
            expires_at=user.temporary_password_expires_at,
        )
        # Shown once: admin_view marks the page never_cache (no-store), so no copy is kept.
        return TemplateResponse(request, "backoffice/temporary_password.html", context)


@admin.register(Child)
class ChildAdmin(StaffScopeMixin, admin.ModelAdmin):
    list_display = ["last_name", "first_name", "birth_date", "nursery", "household_names"]
    list_display_links = ["last_name", "first_name"]
    list_filter = [("nursery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["nursery"]
    search_fields = ["first_name", "last_name", "households__name"]
    search_help_text = _("Search by name or household.")
    fieldsets = [
        (None, {"fields": [("first_name", "last_name"), "birth_date", "nursery"]}),
        (
            _("Health information (encrypted)"),
            {"classes": ["collapse"], "fields": [*HEALTH_FIELDS, "health_updated_at"]},
        ),
    ]
    readonly_fields = ["health_updated_at"]
    inlines = [ChildHouseholdInline]

    # The form posts allergies, the doctor and the PAI: an error report must not show them.
    @method_decorator(sensitive_post_parameters())
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """A change of health information is dated and written in the history of each of
        the child's households, without its content."""
        health_changed = change and any(name in form.changed_data for name in HEALTH_FIELDS)
        if health_changed:
            obj.health_updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        if health_changed:
            for household in obj.households.all():
                services.record_staff_edit(
                    household=household,
                    changed_by=request.user,
                    object_type=ChangedObject.CHILD,
                    object_label=str(obj),
                    action=ChangeAction.HEALTH_UPDATED,
                )

    def scope_queryset(self, queryset, user):
        return queryset.filter(pk__in=children_for(user).values("pk"))

    def get_queryset(self, request):
        # Only the households this member of staff may see: a child of separated parents
        # may also belong to a household of another nursery.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("households", queryset=households_for(request.user).order_by("name"))
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not is_administrator(request.user) and "nursery" in form.base_fields:
            form.base_fields["nursery"].required = True
        return form

    @admin.display(description=_("households"))
    def household_names(self, child):
        return ", ".join(household.name for household in child.households.all())


@admin.register(Absence)
class AbsenceAdmin(StaffScopeMixin, admin.ModelAdmin):
    """Absences recorded from the families' requests, for the crèche side to come."""

    list_display = ["child", "starts_on", "ends_on", "reason", "has_certificate", "household"]
    list_filter = ["reason", ("household__nursery", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["child", "household"]
    search_fields = ["child__first_name", "child__last_name", "household__name"]
    date_hierarchy = "starts_on"
    readonly_fields = ["request", "recorded_by", "recorded_at"]
    autocomplete_fields = ["child", "household"]

    def scope_queryset(self, queryset, user):
        return scoped_to_households(queryset, user)
