"""Person contributors were named after the start of their email address
("alice.martin"): clear those names, so that they show as anonymous until the
person chooses a display name (issue 9, finding 7). Idempotent, batched."""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 1000


def clear_email_derived_names(apps: Any, schema_editor: Any) -> None:
    contributor_model = apps.get_model("contributors", "Contributor")
    people = (
        contributor_model.objects.filter(kind="person", user__isnull=False)
        .exclude(name="")
        .values_list("pk", "name", "user__email", "user__display_name")
        .order_by("pk")
    )
    derived = [
        pk
        for pk, name, email, display_name in people.iterator(chunk_size=BATCH)
        if name == email.rpartition("@")[0] and name != display_name
    ]
    for start in range(0, len(derived), BATCH):
        contributor_model.objects.filter(pk__in=derived[start : start + BATCH]).update(name="")


class Migration(migrations.Migration):
    dependencies = [("contributors", "0005_membership_invitation_and_text_limits")]

    operations = [
        migrations.RunPython(clear_email_derived_names, migrations.RunPython.noop, elidable=True)
    ]
