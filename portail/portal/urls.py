from django.urls import path

from .views import (
    accounts,
    billing,
    content,
    direct_debits,
    documents,
    family,
    legal,
    notifications,
    payments,
)
from .views import requests as family_requests

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
    # Legal pages (open to everyone) and the family's personal data (RGPD).
    path("mentions-legales/", legal.legal_notice, name="legal-notice"),
    path("donnees-personnelles/", legal.privacy, name="privacy"),
    path("accessibilite/", legal.accessibility, name="accessibility"),
    path("plan-du-site/", legal.site_map, name="site-map"),
    path("mon-espace/mes-donnees/", legal.my_data, name="my-data"),
    path("mon-espace/mes-donnees/export.json", legal.my_data_json, name="my-data-json"),
    path("mon-espace/mes-donnees/export/", legal.my_data_readable, name="my-data-readable"),
    path("mon-espace/mes-donnees/fermeture/", legal.account_closure, name="account-closure"),
    path("session/prolonger/", accounts.session_extend_view, name="session-extend"),
    # The family's space.
    path("", family.home, name="home"),
    path("tableau-de-bord/", family.dashboard, name="dashboard"),
    # Notifications (« Les nouvelles factures, actualités et éditions de documents sont
    # notifiées ») and the e-mail preferences.
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/tout-lire/",
        notifications.notifications_mark_all_read,
        name="notifications-mark-all-read",
    ),
    path(
        "notifications/<uuid:reference>/",
        notifications.notification_open,
        name="notification-open",
    ),
    path(
        "mon-espace/notifications/",
        notifications.notification_preferences,
        name="notification-preferences",
    ),
    path("mon-espace/", family.my_space, name="my-space"),
    path("mon-espace/foyer/", family.household, name="household"),
    path("mon-espace/foyer/enfants/<uuid:reference>/", family.child_detail, name="child-detail"),
    path("mon-espace/contacts/", family.contacts, name="contacts"),
    path("mon-espace/contacts/<uuid:reference>/", family.contact_detail, name="contact-detail"),
    path("mon-espace/identifiants/", family.credentials, name="credentials"),
    # « Mes demandes »: requests to the nursery, and the household's history.
    path("mes-demandes/", family_requests.request_list, name="request-list"),
    path("mes-demandes/nouvelle/", family_requests.request_new, name="request-new"),
    path(
        "mes-demandes/nouvelle/<slug:kind>/",
        family_requests.request_create,
        name="request-create",
    ),
    path("mes-demandes/<uuid:reference>/", family_requests.request_detail, name="request-detail"),
    path(
        "mes-demandes/<uuid:reference>/fichier/",
        family_requests.request_attachment,
        name="request-attachment",
    ),
    path("mon-espace/historique/", family_requests.household_history, name="household-history"),
    path("actualites/", content.news, name="news"),
    path("actualites/<uuid:reference>/", content.news_detail, name="news-detail"),
    path("actualites/<uuid:reference>/image/", content.news_image, name="news-image"),
    path(
        "actualites/<uuid:reference>/piece-jointe/",
        content.news_attachment,
        name="news-attachment",
    ),
    path("actualites/<uuid:reference>/agenda.ics", content.news_event_ics, name="news-event-ics"),
    path("edition-de-documents/", documents.documents, name="documents"),
    path(
        "edition-de-documents/attestation-de-paiement/",
        documents.payment_certificate_pdf,
        name="payment-certificate-pdf",
    ),
    path(
        "edition-de-documents/attestation-fiscale/<int:year>/<uuid:payer>/<int:regie>/",
        documents.tax_certificate_pdf,
        name="tax-certificate-pdf",
    ),
    path("menus-restauration/", content.menus, name="menus"),
    path("menus-restauration/<uuid:reference>/pdf/", content.menu_pdf, name="menu-pdf"),
    path("infos-pratiques/", content.practical_info, name="practical-info"),
    path(
        "documents-officiels/<uuid:reference>/",
        content.official_document_file,
        name="official-document-file",
    ),
    # « MES FACTURES ».
    path("mes-factures/", billing.invoices, name="invoices"),
    path("mes-factures/facture-en-ligne/", billing.paperless, name="paperless"),
    path("mes-factures/<uuid:reference>/", billing.invoice_detail, name="invoice-detail"),
    path("mes-factures/<uuid:reference>/pdf/", billing.invoice_pdf, name="invoice-pdf"),
    path(
        "mes-factures/avoirs/<uuid:reference>/pdf/", billing.credit_note_pdf, name="credit-note-pdf"
    ),
    path("mes-factures/recus/<uuid:reference>/pdf/", billing.receipt_pdf, name="receipt-pdf"),
    # « MES PRÉLÈVEMENTS » (SEPA direct debit).
    path("mes-prelevements/", direct_debits.direct_debits, name="direct-debits"),
    path("mes-prelevements/demande/", direct_debits.request_mandate, name="direct-debit-request"),
    path(
        "mes-prelevements/signature/<uuid:reference>/", direct_debits.sign, name="direct-debit-sign"
    ),
    path(
        "mes-prelevements/signature/<uuid:reference>/nouveau-code/",
        direct_debits.resend_code,
        name="direct-debit-resend-code",
    ),
    path(
        "mes-prelevements/mandats/<uuid:reference>/signe/",
        direct_debits.signed,
        name="direct-debit-signed",
    ),
    path(
        "mes-prelevements/mandats/<uuid:reference>/pdf/",
        direct_debits.mandate_pdf,
        name="direct-debit-mandate-pdf",
    ),
    path(
        "mes-prelevements/mandats/<uuid:reference>/revoquer/",
        direct_debits.revoke,
        name="direct-debit-revoke",
    ),
    path(
        "mes-prelevements/mandats/<uuid:reference>/changer-de-compte/",
        direct_debits.change_account,
        name="direct-debit-change-account",
    ),
    # « PAYER MA FACTURE EN LIGNE » (PayFiP).
    path("mes-factures/<uuid:reference>/payer/", payments.pay_invoice, name="invoice-pay"),
    path(
        "paiement/en-ligne/<uuid:reference>/",
        payments.online_payment_return,
        name="online-payment-return",
    ),
    # The one view without CSRF protection: the payment services' servers call it.
    path(
        "paiement/notification/<uuid:reference>/",
        payments.payment_notification,
        name="payment-notification",
    ),
]
