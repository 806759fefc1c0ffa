from django.core.management.base import BaseCommand

from eid.pki.actions import pki_initialise


class Command(BaseCommand):
    help = "Create the portal's CAs, OCSP responders and department seals (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        created = pki_initialise()
        if created:
            for item in created:
                self.stdout.write(f"created {item}")
        else:
            self.stdout.write("PKI already set up; nothing to do.")
