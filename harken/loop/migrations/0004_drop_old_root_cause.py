from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("loop", "0003_root_causes_to_themes"),
    ]

    operations = [
        migrations.RemoveField(model_name="case", name="root_cause_name"),
        migrations.RemoveField(model_name="action", name="theme_name"),
    ]
