"""Guessing the current password on « Identifiants » counts as failed logins."""

from django.urls import reverse

from portail.accounts.models import User
from tests.factories import DEFAULT_PASSWORD


def test_ten_wrong_current_passwords_end_the_session_and_lock_the_account(family_client, family):
    user = family.user
    url = reverse("portal:credentials")
    data = {
        "current_password": "Pas-Le-Bon-1",
        "new_password1": "Nouveau-Passe-2031",
        "new_password2": "Nouveau-Passe-2031",
    }
    for _attempt in range(9):
        response = family_client.post(url, data)
        assert response.status_code == 200
        assert "Votre mot de passe actuel est incorrect." in response.content.decode()
    response = family_client.post(url, data)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    # Logged out, and the right password is refused until the lock ends.
    assert family_client.get(reverse("portal:dashboard")).status_code == 302
    login = family_client.post(
        reverse("portal:login"), {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 429
    assert User.objects.get(pk=user.pk).check_password(DEFAULT_PASSWORD)
