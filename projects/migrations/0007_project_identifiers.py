# The package URLs and repositories by which an SBOM names a project (issue 15).
from urllib.parse import urlsplit

import django.db.models.deletion
from django.db import migrations, models

_TWO_SEGMENT_FORGES = {"github.com", "bitbucket.org", "codeberg.org"}


def _repository_key(url):
    """projects.identifiers.repository_key for http(s) addresses, as of this migration."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    segments = [s for s in parts.path.lower().split("/") if s]
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    if host in _TWO_SEGMENT_FORGES:
        segments = segments[:2]
    if "-" in segments:
        segments = segments[: segments.index("-")]
    segments = [s for s in segments if s]
    if not segments or "." not in host:
        return None
    return "/".join([host, *segments])[:500]


def repository_identifiers(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    ProjectIdentifier = apps.get_model("projects", "ProjectIdentifier")
    rows = []
    for pk, url in Project.objects.exclude(repository_url="").values_list("pk", "repository_url"):
        key = _repository_key(url)
        if key:
            rows.append(
                ProjectIdentifier(
                    project_id=pk, kind="repository", value=key, source="repository_url"
                )
            )
    ProjectIdentifier.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("projects", "0006_claim_methods")]

    operations = [
        migrations.CreateModel(
            name="ProjectIdentifier",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("purl", "Package URL"), ("purl_prefix", "Package URL prefix"), ("repository", "Repository")], max_length=20, verbose_name="kind")),
                ("value", models.CharField(max_length=500, verbose_name="key")),
                ("source", models.CharField(choices=[("maintainer", "Declared by a maintainer"), ("repository_url", "The project's repository address")], max_length=20, verbose_name="source")),
                ("project", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="identifiers", to="projects.project", verbose_name="project")),
            ],
            options={
                "verbose_name": "project identifier",
                "verbose_name_plural": "project identifiers",
                "ordering": ["project_id", "kind", "value"],
                "indexes": [models.Index(fields=["value", "kind"], name="project_identifier_value")],
                "constraints": [
                    models.UniqueConstraint(fields=("project", "kind", "value", "source"), name="project_identifier_unique"),
                    models.CheckConstraint(condition=models.Q(("kind__in", ["purl", "purl_prefix", "repository"])), name="project_identifier_kind_valid"),
                ],
            },
        ),
        migrations.RunPython(repository_identifiers, migrations.RunPython.noop),
    ]
