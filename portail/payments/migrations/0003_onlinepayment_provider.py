from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0004_regie_online_provider_regie_online_provider_options_and_more"),
        ("payments", "0002_onlinepayment"),
    ]

    operations = [
        migrations.AddField(
            model_name="onlinepayment",
            name="provider",
            field=models.CharField(
                choices=[
                    ("payfip_ws", "PayFiP (DGFiP, Régie web service)"),
                    ("systempayv2", "SystemPay / PayZen"),
                    ("paybox", "Paybox"),
                ],
                default="payfip_ws",
                max_length=20,
                verbose_name="payment service",
            ),
        ),
    ]
