# The uploaded SBOMs, the projects found in them, and the pledge's link to the
# SBOM that proposed its earmarks (issue 15).
import django.db.models.deletion
import librery.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributors", "0006_clear_email_derived_names"),
        ("projects", "0007_project_identifiers"),
    ]

    operations = [
        migrations.CreateModel(
            name="Sbom",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("filename", models.CharField(blank=True, max_length=200, validators=[librery.validators.InvisibleControlsValidator()], verbose_name="file name")),
                ("format", models.CharField(max_length=20, verbose_name="format")),
                ("spec_version", models.CharField(max_length=20, verbose_name="version of the format")),
                ("application", models.CharField(blank=True, max_length=300, verbose_name="application")),
                ("sha256", models.CharField(max_length=64, verbose_name="sha256")),
                ("size_bytes", models.PositiveIntegerField(verbose_name="size (bytes)")),
                ("content", models.BinaryField(verbose_name="file")),
                ("components", models.JSONField(default=list, verbose_name="components")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="uploaded at")),
                ("contributor", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sboms", to="contributors.contributor", verbose_name="contributor")),
                ("uploaded_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="uploaded by")),
            ],
            options={
                "verbose_name": "SBOM",
                "verbose_name_plural": "SBOMs",
                "ordering": ["-created_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(fields=("contributor", "sha256"), name="sbom_once_per_file"),
                ],
            },
        ),
        migrations.AddField(
            model_name="pledge",
            name="sbom",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="pledges", to="contributors.sbom", verbose_name="earmarks proposed by the SBOM"),
        ),
        migrations.CreateModel(
            name="SbomProject",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("components", models.PositiveIntegerField(verbose_name="components")),
                ("direct", models.BooleanField(verbose_name="a direct dependency")),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sbom_matches", to="projects.project", verbose_name="project")),
                ("sbom", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="project_matches", to="contributors.sbom", verbose_name="SBOM")),
            ],
            options={
                "verbose_name": "project found in an SBOM",
                "verbose_name_plural": "projects found in SBOMs",
                "ordering": ["sbom_id", "project_id"],
                "constraints": [
                    models.UniqueConstraint(fields=("sbom", "project"), name="sbom_project_once"),
                ],
            },
        ),
    ]
