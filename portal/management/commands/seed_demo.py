"""Demo data for `make run`: departments, residents at each level, officers and inbox messages.

Idempotent (run it twice, get the same data) and refused under production settings.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.demo import seed_demo_data


class Command(BaseCommand):
    help = "Load demo departments, residents, officers and messages (never in production)."

    def handle(self, *args: object, **options: object) -> None:
        if getattr(settings, "PORTAL_ENVIRONMENT", "") == "production":
            raise CommandError("seed_demo refuses to run under production settings.")
        with transaction.atomic():
            summary = seed_demo_data()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
