from django.urls import path

from .views import accounts, billing, family, payments

app_name = "portal"

urlpatterns = [
    # Accounts: login, activation, password, CGU.
    path("connexion/", accounts.login_view, name="login"),
    path("deconnexion/", accounts.logout_view, name="logout"),
    path("mot-de-passe-oublie/", accounts.password_reset_view, name="password-reset"),
    path("compte/lien/<str:token>/", accounts.account_link_view, name="account-link"),
    path("compte/mot-de-passe/", accounts.set_password_view, name="set-password"),
    path(
        "compte/changer-mot-de-passe/",
        accounts.password_change_required_view,
        name="password-change-required",
    ),
    path("cgu/", accounts.terms_view, name="terms"),
    path("session/prolonger/", accounts.session_extend_view, name="session-extend"),
    # The family's space.
    path("", family.home, name="home"),
    path("tableau-de-bord/", family.dashboard, name="dashboard"),
    path("mon-espace/", family.my_space, name="my-space"),
    path("mon-espace/foyer/", family.household, name="household"),
    path("mon-espace/foyer/enfants/<uuid:reference>/", family.child_detail, name="child-detail"),
    path("mon-espace/contacts/", family.contacts, name="contacts"),
    path("mon-espace/contacts/<uuid:reference>/", family.contact_detail, name="contact-detail"),
    path("mon-espace/identifiants/", family.credentials, name="credentials"),
    path("actualites/", family.news, name="news"),
    path("edition-de-documents/", family.documents, name="documents"),
    path("menus-restauration/", family.menus, name="menus"),
    path("infos-pratiques/", family.practical_info, name="practical-info"),
    # « MES FACTURES ».
    path("mes-factures/", billing.invoices, name="invoices"),
    path("mes-factures/facture-en-ligne/", billing.paperless, name="paperless"),
    path("mes-factures/<uuid:reference>/", billing.invoice_detail, name="invoice-detail"),
    path("mes-factures/<uuid:reference>/pdf/", billing.invoice_pdf, name="invoice-pdf"),
    path(
        "mes-factures/avoirs/<uuid:reference>/pdf/", billing.credit_note_pdf, name="credit-note-pdf"
    ),
    path("mes-factures/recus/<uuid:reference>/pdf/", billing.receipt_pdf, name="receipt-pdf"),
    # « PAYER MA FACTURE EN LIGNE » (PayFiP).
    path("mes-factures/<uuid:reference>/payer/", payments.pay_invoice, name="invoice-pay"),
    path(
        "paiement/en-ligne/<uuid:reference>/",
        payments.online_payment_return,
        name="online-payment-return",
    ),
    path(
        "paiement/payfip/notification/<uuid:reference>/",
        payments.payfip_notification,
        name="payfip-notification",
    ),
]
