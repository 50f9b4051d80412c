"""DATA-04 and the RGPD pages: a family downloads all its data (JSON and a readable page),
sees nothing of another household, and asks for its account to be closed; staff close it."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from portail.accounts.models import AccountClosureRequest, User
from portail.accounts.personal_data import collect_personal_data
from portail.audit.models import AuditAction, AuditEvent
from portail.audit.services import household_data_models, household_paths
from portail.households.models import Household
from portail.notifications.models import OutgoingEmail
from portail.organisation.models import Organisation
from tests.direct_debits.factories import DEBTOR_IBAN, MandateFactory
from tests.factories import CreditNoteFactory, InvoiceFactory, PaymentFactory
from tests.households.factories import submit_address_request, submit_message
from tests.portal.families import make_family

from .figures import record


def fill(family, invoices=1):
    for number in range(invoices):
        invoice = InvoiceFactory(
            household=family.household,
            payer=family.guardian,
            number=f"F{family.household.pk}-{number}",
        )
    CreditNoteFactory(invoice=invoice, amount=invoice.total, applied_amount=invoice.total)
    PaymentFactory(household=family.household, payer=family.guardian)
    MandateFactory(payer=family.guardian, household=family.household)
    submit_address_request(family)
    submit_message(family)
    return family


@pytest.fixture
def family():
    return fill(make_family(name="Arnaud", children=2, contacts=2))


@pytest.fixture
def other_family():
    return fill(make_family(name="Bertin", children=1, contacts=1))


def test_every_model_pointing_at_a_household_is_household_data():
    """Introspection finds every model with a foreign key or many-to-many to Household."""
    direct = {
        model
        for model in household_data_models()
        for field in model._meta.get_fields()
        if getattr(field, "related_model", None) is Household and not field.auto_created
    }
    assert direct <= set(household_data_models())
    for label in [
        "households.guardian",
        "households.child",
        "households.contact",
        "billing.invoice",
        "payments.payment",
    ]:
        assert any(model._meta.label_lower == label for model in household_data_models())


def test_the_export_covers_every_household_model_with_data(family, other_family):
    data = collect_personal_data(user=family.user)
    exported = {section["model"] for section in data["sections"]}
    with_rows = set()
    for model in household_data_models():
        if model._meta.app_label in {"audit", "axes", "admin"}:
            continue
        from django.db.models import Q

        condition = Q()
        for path in household_paths(model):
            condition |= Q(**{f"{path}__in": [family.household.pk]})
        if model._default_manager.filter(condition).exists():
            with_rows.add(model._meta.label_lower)
    record("export", household_models_with_data=len(with_rows), covered=len(with_rows & exported))
    assert with_rows <= exported
    assert {
        "households.guardian",
        "households.child",
        "households.contact",
        "billing.invoice",
    } <= exported


def test_the_json_file_holds_the_family_data_and_nothing_of_another(family, other_family):
    client = Client()
    client.force_login(family.user)
    response = client.get(reverse("portal:my-data-json"))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="mes-donnees-')
    document = json.loads(response.content)
    text = response.content.decode()
    assert document["account"]["username"] == family.user.username
    assert {child["first_name"] for child in document["data"]["households.child"]} == {
        "Enfant0",
        "Enfant1",
    }
    assert "Bertin" not in text
    # No secret, and the IBAN masked to its last four characters.
    assert DEBTOR_IBAN not in text and DEBTOR_IBAN[4:] not in text
    assert "•••• 0189" in text
    assert '"password":' not in text and "token_hash" not in text
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.PERSONAL_DATA_EXPORT, actor=family.user
        ).count()
        == 1
    )


def test_the_readable_page_shows_the_data_with_labels(family, other_family):
    client = Client()
    client.force_login(family.user)
    page = client.get(reverse("portal:my-data-readable")).content.decode()
    assert "Enfant1" in page and "Proche1" in page
    assert "Bertin" not in page
    assert DEBTOR_IBAN not in page


def queries_for(url_name, rows) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    family = fill(make_family(name=f"Taille{rows}", children=rows, contacts=rows), invoices=rows)
    client = Client()
    client.force_login(family.user)
    client.get(reverse("portal:my-data"))  # the session and the CGU check are warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(url_name)).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_name", ["portal:my-data", "portal:my-data-json", "portal:my-data-readable"]
)
def test_the_data_pages_cost_the_same_number_of_queries_whatever_the_data(url_name):
    assert queries_for(url_name, 1) == queries_for(url_name, 5)


def test_a_family_asks_for_its_account_to_be_closed(family):
    organisation = Organisation.current()
    organisation.service_email = "petite-enfance@bourg.example.fr"
    organisation.save()
    client = Client()
    client.force_login(family.user)
    page = client.get(reverse("portal:account-closure"))
    assert page.status_code == 200
    response = client.post(reverse("portal:account-closure"), {"reason": "Nous déménageons."})
    assert response.status_code == 302
    closure = AccountClosureRequest.objects.get()
    assert (closure.user, closure.household, closure.status) == (
        family.user,
        family.household,
        AccountClosureRequest.Status.PENDING,
    )
    email = OutgoingEmail.objects.get(kind="account_closure_request")
    assert email.to == "petite-enfance@bourg.example.fr"
    assert family.user.username in email.body_text
    # A second request while the first waits changes nothing.
    client.post(reverse("portal:account-closure"), {"reason": ""})
    assert AccountClosureRequest.objects.count() == 1
    # Nothing is deleted: the account works until staff close it.
    assert User.objects.get(pk=family.user.pk).is_active
    assert "Bertin" not in client.get(reverse("portal:my-data")).content.decode()


def test_staff_close_the_account_and_keep_the_invoices(family, client):
    from tests.backoffice.conftest import add_device, log_in_with_second_factor
    from tests.factories import StaffUserFactory

    closure = AccountClosureRequest.objects.create(user=family.user, household=family.household)
    staff_user = StaffUserFactory(username="agent.fermeture")
    family.nursery.staff.add(staff_user)
    add_device(staff_user)
    log_in_with_second_factor(client, staff_user)
    response = client.post(
        reverse("admin:accounts_accountclosurerequest_changelist"),
        {"action": "close_accounts", "_selected_action": [closure.pk]},
    )
    assert response.status_code == 302
    closure.refresh_from_db()
    user = User.objects.get(pk=family.user.pk)
    assert closure.status == AccountClosureRequest.Status.DONE
    assert closure.handled_by == staff_user
    assert not user.is_active and not user.has_usable_password()
    assert family.household.invoices.count() == 1


def test_nursery_staff_of_another_nursery_do_not_see_the_closure_request(
    family, other_nursery_staff, client
):
    from tests.backoffice.conftest import log_in_with_second_factor

    AccountClosureRequest.objects.create(user=family.user, household=family.household)
    log_in_with_second_factor(client, other_nursery_staff)
    page = client.get(reverse("admin:accounts_accountclosurerequest_changelist")).content.decode()
    assert family.user.username not in page
