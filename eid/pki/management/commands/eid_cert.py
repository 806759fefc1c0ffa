from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eid.errors import ApplicationError
from eid.models import User
from eid.pki.actions import certificate_issue_for_resident
from eid.pki.selectors import certificate_current_for_user


class Command(BaseCommand):
    help = "Write a resident's current signing certificate (PEM); --issue creates one if there is none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the resident's email address")
        parser.add_argument("--out", dest="output", required=True, type=Path)
        parser.add_argument(
            "--issue", action="store_true", help="issue a remote-signing certificate if none is valid"
        )

    def handle(self, *args: object, user: str, output: Path, issue: bool, **options: object) -> None:
        resident = User.objects.filter(email__iexact=user).first()
        if resident is None:
            raise CommandError(f"No resident with the email address {user}.")
        certificate = certificate_current_for_user(resident, remote_key=True)
        if certificate is None and issue:
            try:
                certificate = certificate_issue_for_resident(user=resident)
            except ApplicationError as error:
                raise CommandError(error.message) from error
        if certificate is None:
            raise CommandError(f"{user} has no valid signing certificate (use --issue to create one).")
        output.write_text(certificate.certificate_pem)
        self.stdout.write(f"wrote certificate {certificate.serial} ({certificate.subject}) to {output}")
