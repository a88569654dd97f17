"""Log out everywhere (Profile.session_generation) and one account per email address.

Django's own User keeps the email (its password reset looks there); the address is stored lowercased
and a unique index on LOWER(email), for non-empty addresses only, makes the database refuse a second
account with the same address whatever its case. SQLite (3.9+) and PostgreSQL both take this index.
"""

from django.db import migrations, models


def lowercase_emails(apps, schema_editor):
    """Store existing addresses normalised; a duplicate (any case) is cleared on the later account."""
    User = apps.get_model("auth", "User")
    seen = set()
    for user in User.objects.exclude(email="").order_by("pk"):
        email = user.email.strip().lower()
        user.email = "" if email in seen else email
        seen.add(email)
        user.save(update_fields=["email"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="session_generation",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE UNIQUE INDEX accounts_user_email_lower_uniq ON auth_user (LOWER(email)) WHERE email <> ''",
            "DROP INDEX accounts_user_email_lower_uniq",
        ),
    ]
