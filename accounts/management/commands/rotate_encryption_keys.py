"""Re-encrypt every stored model key under the newest FIELD_ENCRYPTION_KEY.

Rotation: put a new Fernet key first in FIELD_ENCRYPTION_KEY (keep the old ones after it),
restart, run this, then drop the old keys.
"""

from django.core.management.base import BaseCommand

from accounts.services import model_keys_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored model key under the newest FIELD_ENCRYPTION_KEY (after adding a new one first)."

    def handle(self, *args, **options):
        count = model_keys_reencrypt()
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} stored model key(s) under the newest key."))
