from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="publication_director",
            field=models.CharField(
                blank=True,
                help_text="Usually the mayor, e.g. « Mme Anne Martin, maire ».",
                max_length=200,
                verbose_name="publication director",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="host_details",
            field=models.TextField(
                blank=True,
                help_text="Name, address and phone number of the company hosting the portal.",
                verbose_name="host",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="data_protection_contact",
            field=models.TextField(
                blank=True,
                help_text=(
                    "How to reach the data protection officer (DPO): e-mail or postal address."
                ),
                verbose_name="data protection officer",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="accessibility_rate",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text=(
                    "Share of RGAA criteria met, from the last audit. Empty: not audited yet."
                ),
                null=True,
                verbose_name="accessibility compliance rate (%)",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="accessibility_audited_on",
            field=models.DateField(blank=True, null=True, verbose_name="accessibility audit date"),
        ),
        migrations.AddConstraint(
            model_name="organisation",
            constraint=models.CheckConstraint(
                condition=models.Q(("accessibility_rate__lte", 100)),
                name="organisation_accessibility_rate_percent",
            ),
        ),
    ]
