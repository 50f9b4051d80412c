"""The staff login at /gestion/: identifier, password and the authenticator app's code."""

from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import LOGIN_URL, STAFF_PASSWORD, add_device, current_code, text_of


def log_in(client, username, password, code=""):
    return client.post(
        f"{LOGIN_URL}?next=/gestion/",
        {"username": username, "password": password, "otp_token": code, "next": "/gestion/"},
    )


def test_login_page_asks_for_the_verification_code_in_french(client):
    response = client.get(LOGIN_URL)

    page = text_of(response)
    assert response.status_code == 200
    assert "Identifiant" in page
    assert "Mot de passe" in page
    assert "Code de vérification" in page
    assert 'name="otp_token"' in response.content.decode()


def test_staff_logs_in_with_identifier_password_and_code(client, nursery_staff):
    device = nursery_staff.totpdevice_set.get()

    response = log_in(client, "nadia.lefevre", STAFF_PASSWORD, current_code(device))

    assert response.status_code == 302
    assert response["Location"] == "/gestion/"
    assert client.get("/gestion/").status_code == 200


def test_staff_logs_in_with_their_email_in_capitals(client, nursery_staff):
    device = nursery_staff.totpdevice_set.get()

    response = log_in(client, nursery_staff.email.upper(), STAFF_PASSWORD, current_code(device))

    assert response.status_code == 302


def test_staff_without_a_code_is_not_let_in(client, nursery_staff):
    response = log_in(client, "nadia.lefevre", STAFF_PASSWORD)

    assert response.status_code == 200
    assert "Saisissez le code à 6 chiffres" in text_of(response)
    assert client.get("/gestion/").status_code == 302


def test_wrong_code_is_refused_in_french(client, nursery_staff):
    device = nursery_staff.totpdevice_set.get()
    wrong = f"{(int(current_code(device)) + 500000) % 1000000:06d}"

    response = log_in(client, "nadia.lefevre", STAFF_PASSWORD, wrong)

    assert "Ce code n'est pas valable" in text_of(response)
    assert client.get("/gestion/").status_code == 302


def test_password_is_not_sent_back_in_the_page_after_a_missing_code(client, nursery_staff):
    response = log_in(client, "nadia.lefevre", STAFF_PASSWORD)

    assert STAFF_PASSWORD not in response.content.decode()


def test_staff_without_an_authenticator_app_is_told_to_ask_an_administrator(client, pic_et_plume):
    from tests.factories import StaffUserFactory

    StaffUserFactory(username="nouveau.venu", password=STAFF_PASSWORD)

    response = log_in(client, "nouveau.venu", STAFF_PASSWORD, "123456")

    assert "demandez à un administrateur" in text_of(response)
    assert client.get("/gestion/").status_code == 302


def test_logged_in_staff_without_a_verified_device_is_sent_to_the_login(client, nursery_staff):
    client.force_login(nursery_staff)

    response = client.get(reverse("admin:households_household_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_family_account_cannot_log_into_the_back_office(client):
    family = UserFactory(username="camille.martin")

    response = log_in(client, "camille.martin", DEFAULT_PASSWORD, "123456")

    assert response.status_code == 200
    assert "compte du personnel" in text_of(response) or "équipe" in text_of(response)
    assert client.get("/gestion/").status_code == 302
    assert family.pk != client.session.get("_auth_user_id")


def test_family_account_with_a_device_still_cannot_get_in(client):
    family = UserFactory(username="camille.martin")
    device = add_device(family)

    response = log_in(client, "camille.martin", DEFAULT_PASSWORD, current_code(device))

    assert response.status_code == 200
    assert client.get("/gestion/").status_code == 302


def test_family_logged_in_on_the_portal_is_refused_by_the_back_office(client):
    family = UserFactory(username="camille.martin")
    client.force_login(family)

    response = client.get("/gestion/", follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN_URL)
    assert "ne peut pas ouvrir l'espace de gestion" in text_of(response)


def test_logout_returns_to_the_staff_login(staff_client):
    response = staff_client.post(reverse("admin:logout"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
