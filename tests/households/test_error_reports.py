"""Health information, addresses and staff comments posted in a form never appear in an error
report (the e-mail Django sends to the admins when a page fails): the views that receive them
mark every posted value as sensitive."""

from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from .factories import submit_address_request
from .test_staff_requests import form_data


def reported_post(response) -> dict:
    """The posted values as an error report about this request would show them."""
    return SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)


def test_a_familys_health_request_is_hidden_from_error_reports(family_client, family):
    response = family_client.post(
        reverse("portal:request-create", kwargs={"kind": "sante"}),
        {"child_choice": family.child.pk, "allergies": "Arachide", "doctor": "Dr Martin"},
    )

    reported = reported_post(response)
    assert "Arachide" not in reported.values()
    assert set(reported.values()) == {SafeExceptionReporterFilter.cleansed_substitute}


def test_a_staff_comment_on_a_request_is_hidden_from_error_reports(staff_client, family):
    request = submit_address_request(family)
    response = staff_client.post(
        reverse("backoffice:request-action", kwargs={"reference": request.reference}),
        {"action": "refuse", "comment": "Votre enfant est allergique à l'arachide"},
    )

    reported = reported_post(response)
    assert reported["comment"] == SafeExceptionReporterFilter.cleansed_substitute


def test_health_information_posted_in_the_childs_admin_page_is_hidden_from_error_reports(
    staff_client, family
):
    url = reverse("admin:households_child_change", args=[family.child.pk])
    data = form_data(staff_client.get(url), "child_form")
    data["allergies"] = "Gluten"

    response = staff_client.post(url, data)

    assert response.status_code == 302
    reported = reported_post(response)
    assert reported["allergies"] == SafeExceptionReporterFilter.cleansed_substitute
    assert "Gluten" not in reported.values()
