"""The answers' partial index (the dashboard counts a user's answers with it).

session_messages is the largest table: on PostgreSQL the index is built CONCURRENTLY, so answers
keep being written meanwhile (hence a non-atomic migration); elsewhere (SQLite) a plain CREATE INDEX.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("interviews", "0003_retakes_language"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="sessionmessage",
            index=models.Index(condition=models.Q(("message_type", "answer")), fields=["session"], name="messages_answers"),
        ),
    ]
