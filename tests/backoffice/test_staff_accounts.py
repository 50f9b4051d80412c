"""Administrators create staff accounts (12 characters or more) and their authenticator app."""

from base64 import b32encode

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.accounts.models import User

from .conftest import text_of


def staff_form(**fields):
    data = {
        "username": "marc.petit",
        "first_name": "Marc",
        "last_name": "Petit",
        "email": "marc.petit@val-des-tilleuls.example",
        "password1": "",
        "password2": "",
    }
    data.update(fields)
    return data


def test_staff_password_needs_twelve_characters(admin_client, pic_et_plume):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        staff_form(password1="Creche-Pic1", password2="Creche-Pic1"),
    )

    assert response.status_code == 200
    assert "Au moins 12 caractères." in text_of(response)
    assert not User.objects.filter(username="marc.petit").exists()


def test_administrator_creates_a_staff_member_of_a_nursery(admin_client, pic_et_plume):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        staff_form(
            password1="Creche-Pic-Plume-7",
            password2="Creche-Pic-Plume-7",
            nurseries=[pic_et_plume.pk],
        ),
    )

    user = User.objects.get(username="marc.petit")
    assert user.is_staff
    assert not user.is_superuser
    assert list(user.nurseries.all()) == [pic_et_plume]
    # Next step: the authenticator app.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:otp_totp_totpdevice_add"))


def test_staff_password_change_in_the_admin_needs_twelve_characters(admin_client, nursery_staff):
    url = reverse("admin:auth_user_password_change", args=[nursery_staff.pk])

    response = admin_client.post(
        url, {"password1": "Court-Mot-1", "password2": "Court-Mot-1", "usable_password": "true"}
    )

    assert "Au moins 12 caractères." in text_of(response)


def test_staff_member_changing_their_own_password_needs_twelve_characters(
    staff_client, nursery_staff
):
    response = staff_client.post(
        reverse("admin:password_change"),
        {
            "old_password": "Tilleuls-Bureau-2026",
            "new_password1": "Court-Mot-1",
            "new_password2": "Court-Mot-1",
        },
    )

    assert "Au moins 12 caractères." in text_of(response)


def test_user_list_shows_nurseries_and_second_factor(admin_client, nursery_staff):
    response = admin_client.get(reverse("admin:accounts_user_changelist"))

    page = text_of(response)
    assert "nadia.lefevre" in page
    assert "Pic et Plume" in page


def test_administrator_adds_an_authenticator_app_and_sees_its_secret(admin_client, nursery_staff):
    TOTPDevice.objects.filter(user=nursery_staff).delete()
    add = reverse("admin:otp_totp_totpdevice_add")
    form = admin_client.get(add, {"user": nursery_staff.pk})
    assert form.status_code == 200

    response = admin_client.post(
        add,
        {
            "user": nursery_staff.pk,
            "name": "Téléphone de Nadia",
            "confirmed": "on",
            "key": "3132333435363738393031323334353637383930",
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
        },
        follow=True,
    )

    device = TOTPDevice.objects.get(user=nursery_staff)
    secret = b32encode(device.bin_key).decode()
    page = text_of(response)
    assert response.redirect_chain[-1][0] == reverse(
        "admin:otp_totp_totpdevice_config", args=[device.pk]
    )
    assert " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page
    assert "otpauth://totp/" in page
    qrcode = admin_client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))
    assert qrcode.status_code == 200
    assert qrcode["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qrcode.content


def test_nursery_staff_cannot_see_anyones_secret(staff_client, administrator):
    device = administrator.totpdevice_set.get()

    response = staff_client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))

    assert response.status_code == 403
