"""Map the old fixed root causes of cases and the free-text themes of actions to ``text.Theme`` rows by name.

A value is matched to a theme with the same name (ignoring case; a top-level theme first), else to the theme
named by the old label ("Price or billing"), else a new top-level theme with that label is created.
"""

from django.db import migrations

LABELS = {
    "product": "Product",
    "delivery": "Delivery or logistics",
    "price": "Price or billing",
    "staff": "Staff behaviour",
    "process": "Process or policy",
    "communication": "Communication",
    "other": "Other",
}


def theme_named(Theme, name, created):
    """The theme called ``name`` (any case, top level preferred), created at the top level if missing."""
    name = name.strip()[:100]
    found = Theme.objects.filter(name__iexact=name).order_by("parent_id", "pk")
    top = found.filter(parent__isnull=True).first()
    theme = top or found.first()
    if theme is None:
        theme = Theme.objects.create(name=name, description="Created from a former root cause.", is_active=True)
        created.append(theme.pk)
    return theme


def forwards(apps, schema_editor):
    Case = apps.get_model("loop", "Case")
    Action = apps.get_model("loop", "Action")
    Theme = apps.get_model("text", "Theme")
    created = []
    for value in Case.objects.exclude(root_cause_name="").values_list("root_cause_name", flat=True).distinct():
        theme = Theme.objects.filter(name__iexact=value).order_by("parent_id", "pk").first()
        theme = theme or theme_named(Theme, LABELS.get(value, value), created)
        Case.objects.filter(root_cause_name=value).update(root_cause=theme)
    for value in Action.objects.exclude(theme_name="").values_list("theme_name", flat=True).distinct():
        Action.objects.filter(theme_name=value).update(theme=theme_named(Theme, value, created))
    if created:
        rebuild_links(apps)


def rebuild_links(apps):
    """New themes need their rows in the closure table (as ``harken.text.tagging.do_rebuild_links`` writes)."""
    Theme = apps.get_model("text", "Theme")
    ThemeLink = apps.get_model("text", "ThemeLink")
    parents = dict(Theme.objects.values_list("pk", "parent_id"))
    links = []
    for theme_id in parents:
        ancestor, seen = theme_id, set()
        while ancestor is not None and ancestor not in seen:
            seen.add(ancestor)
            links.append(ThemeLink(ancestor_id=ancestor, descendant_id=theme_id))
            ancestor = parents.get(ancestor)
    ThemeLink.objects.all().delete()
    ThemeLink.objects.bulk_create(links)


def backwards(apps, schema_editor):
    Case = apps.get_model("loop", "Case")
    Action = apps.get_model("loop", "Action")
    names = {label: value for value, label in LABELS.items()}
    for case in Case.objects.exclude(root_cause=None).select_related("root_cause"):
        case.root_cause_name = names.get(case.root_cause.name, "other")
        case.save(update_fields=["root_cause_name"])
    for action in Action.objects.exclude(theme=None).select_related("theme"):
        action.theme_name = action.theme.name
        action.save(update_fields=["theme_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("loop", "0002_themes_recognition_email"),
        ("text", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
