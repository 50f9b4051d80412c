"""The legal pages' details of the demo town, for seed_demo (idempotent: only empty fields
are filled, so an administrator's own values stay)."""

from portail.organisation.models import Organisation

LEGAL_DETAILS = {
    "publication_director": "M. Paul Girard, maire de Val-des-Tilleuls",
    "host_details": (
        "Hébergeur de démonstration SAS\n12 rue des Serveurs\n69000 Lyon\n04 00 00 00 00"
    ),
    "data_protection_contact": "dpo@val-des-tilleuls.example\nDélégué à la protection des données, "
    "Mairie, 1 place de la Mairie",
}


def seed_security() -> None:
    organisation = Organisation.current()
    changed = [name for name, value in LEGAL_DETAILS.items() if not getattr(organisation, name)]
    for name in changed:
        setattr(organisation, name, LEGAL_DETAILS[name])
    if changed:
        organisation.save(update_fields=changed)
