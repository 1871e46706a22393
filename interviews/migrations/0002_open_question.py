from django.db import migrations, models
from django.db.models import Exists, OuterRef, Q


def open_last_unanswered_questions(apps, schema_editor):
    """A question is open when it is its session's last message (nothing, not even an answer, after it)."""
    SessionMessage = apps.get_model("interviews", "SessionMessage")
    later = SessionMessage.objects.filter(session=OuterRef("session")).filter(
        Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id"))
    )
    SessionMessage.objects.filter(message_type="question").exclude(Exists(later)).update(is_open=True)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionmessage",
            name="is_open",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(open_last_unanswered_questions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="sessionmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_open", True)), fields=("session",), name="session_messages_one_open_question"
            ),
        ),
        migrations.AddConstraint(
            model_name="sessionmessage",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_open", False), ("message_type", "question"), _connector="OR"),
                name="session_messages_only_questions_open",
            ),
        ),
    ]
