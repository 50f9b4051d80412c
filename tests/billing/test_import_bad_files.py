"""The corpus of wrong files: each is refused whole, with every wrong line and its reason."""

# The fixtures come from import_world (tests/billing has no conftest of ours): a test's
# parameter named like an imported fixture is how pytest injects it.
# ruff: noqa: F811

import pytest

from portail.billing.imports import MAX_FILE_BYTES, import_invoices
from portail.billing.models import Invoice, InvoiceLine
from portail.jobs.models import Job

from .import_world import (  # noqa: F401 (fixtures)
    BAD_SAMPLES,
    GOOD_SAMPLE,
    administrator,
    families,
    import_as_staff,
    loptiou,
    pic_et_plume,
    regie,
    sample,
)

CORPUS = {
    "dates_invalides.csv": [
        "Ligne 3 : la date d'émission « 31/02/2024 » n'existe pas.",
        "Ligne 4 : la période « 2024-13 » n'est pas un mois écrit AAAA-MM (par exemple 2024-02).",
        "Ligne 5 : la date d'échéance « 2024-04-04 » n'est pas écrite JJ/MM/AAAA.",
        "Ligne 6 : la date d'échéance « 01/03/2024 » est avant la date d'émission « 05/03/2024 ».",
    ],
    "foyer_inconnu.csv": [
        "Ligne 3 : aucun foyer avec le code famille « F123 ».",
    ],
    "total_negatif.csv": [
        "Ligne 3 : montant négatif pour une facture dont le total serait négatif "
        "(facture 764 : -5,00).",
    ],
    "numeros_en_double.csv": [
        "Ligne 4 : la facture 764 n'a pas les mêmes informations qu'à la ligne 2 "
        "(code_famille, periode) ; chaque ligne d'une facture répète les mêmes code famille, "
        "payeur, type, période et dates.",
    ],
    "encodage_latin1.csv": [
        "Le fichier n'est pas encodé en UTF-8 (enregistrez-le en « CSV UTF-8 »). Le premier "
        "caractère illisible est à la ligne 2.",
    ],
    "colonne_manquante.csv": [
        "Ligne 1 : il manque la colonne « montant » dans l'en-tête.",
    ],
    "vide.csv": [
        "Le fichier est vide.",
    ],
    "montant_faux.csv": [
        "Ligne 3 : le montant 28,00 n'est pas égal à la quantité multipliée par le prix "
        "unitaire (12 × 2,35 = 28,20).",
        "Ligne 4 : le montant 10,62 n'est pas égal à la quantité multipliée par le prix "
        "unitaire (12,5 × 0,85 = 10,63).",
    ],
    "type_inconnu.csv": [
        "Ligne 3 : type de facture « FACTURE CANTINE » inconnu dans la régie « Régie Petite "
        "Enfance » (types connus : « FACTURE JEUNESSE », « FACTURE PÉRISCOLAIRE »).",
        "Ligne 4 : type de facture « FACTURE PERISCOLAIRE » inconnu dans la régie « Régie "
        "Petite Enfance » (types connus : « FACTURE JEUNESSE », « FACTURE PÉRISCOLAIRE »).",
    ],
    "enfant_inconnu.csv": [
        "Ligne 3 : le foyer « F001 » n'a aucun enfant prénommé « Arthur ».",
    ],
    "cellules_invalides.csv": [
        "Ligne 2 : « 10 h » dans la colonne « quantite » n'est pas un nombre (écrivez-le comme "
        "12,5).",
        "Ligne 3 : la colonne « libelle » est vide.",
        "Ligne 4 : le foyer « F003 » n'a aucun représentant légal avec l'adresse e-mail "
        "« inconnu@example.fr ».",
        "Ligne 4 : unité « semaine » inconnue (écrivez heure, jour, repas, mois ou unité).",
        "Ligne 5 : « 1,255 » dans la colonne « quantite » a plus de 2 décimales.",
        "Ligne 6 : 11 valeurs au lieu de 13 (vérifiez le séparateur « ; » et les guillemets).",
    ],
}


def test_the_corpus_covers_every_bad_file():
    assert sorted(path.name for path in BAD_SAMPLES.glob("*.csv")) == sorted(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_bad_file_is_refused_whole_with_every_wrong_line(
    name, regie, families, administrator, django_capture_on_commit_callbacks
):
    job = import_as_staff(
        sample(f"mauvais/{name}"),
        regie=regie,
        user=administrator,
        capture=django_capture_on_commit_callbacks,
        name=name,
    )

    assert job.status == Job.Status.FAILED
    assert job.errors == CORPUS[name]
    count = len(CORPUS[name])
    assert job.outcome.startswith(f"Rien n'a été importé : le fichier contient {count} erreur")
    assert Invoice.objects.count() == 0
    assert InvoiceLine.objects.count() == 0


def test_a_file_too_big_is_refused(regie, families):
    header = sample(GOOD_SAMPLE).splitlines(keepends=True)[0]
    content = header + b"x" * MAX_FILE_BYTES

    result = import_invoices(content=content, regie=regie)

    assert result.errors == ["Le fichier dépasse 5 Mo : découpez-le en plusieurs fichiers."]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"\xef\xbb\xbf \r\n", ["Le fichier est vide."]),
        (
            b"numero_facture;code_famille;email_payeur;type_facture;periode;date_emission;"
            b"date_echeance;prenom_enfant;libelle;quantite;unite;prix_unitaire;montant\r\n;;;;\r\n",
            ["Le fichier a un en-tête mais aucune ligne de facture."],
        ),
        (
            b"numero;famille;montant\n764;F001;20,00\n",
            [
                "Ligne 1 : colonne « numero » inconnue dans l'en-tête.",
                "Ligne 1 : colonne « famille » inconnue dans l'en-tête.",
                "Ligne 1 : il manque les colonnes « numero_facture », « code_famille », "
                "« type_facture », « periode », « date_emission », « date_echeance », "
                "« libelle », « quantite », « unite », « prix_unitaire » dans l'en-tête.",
            ],
        ),
        (
            b"764;F001;;FACTURE JEUNESSE;2024-02;05/03/2024;04/04/2024;;Repas;1;repas;2;2\n",
            None,  # data where the header should be: the expected header is shown
        ),
    ],
    ids=["bom-only", "header-only", "wrong-header", "no-header"],
)
def test_a_file_without_a_usable_header_is_refused(regie, families, content, expected):
    result = import_invoices(content=content, regie=regie)

    if expected is None:
        assert result.errors[-1].startswith(
            "La première ligne doit être l'en-tête avec le nom des colonnes"
        )
        assert "numero_facture;code_famille;email_payeur" in result.errors[-1]
    else:
        assert result.errors == expected
    assert Invoice.objects.count() == 0


def test_a_column_named_twice_is_refused(regie, families):
    lines = sample(GOOD_SAMPLE).decode().splitlines()
    content = "\n".join(line + ";x" for line in lines).replace(";x", ";libelle", 1)

    result = import_invoices(content=content.encode(), regie=regie)

    assert result.errors == ["Ligne 1 : la colonne « libelle » figure deux fois dans l'en-tête."]


def test_the_optional_columns_may_be_left_out(regie, families):
    rows = [line.split(";") for line in sample(GOOD_SAMPLE).decode().splitlines()]
    kept = [i for i, name in enumerate(rows[0]) if name not in ("email_payeur", "prenom_enfant")]
    content = "\n".join(";".join(row[i] for i in kept) for row in rows)

    result = import_invoices(content=content.encode(), regie=regie)

    assert result.errors == []
    assert Invoice.objects.get(number="764").lines.filter(child__isnull=True).count() == 3
