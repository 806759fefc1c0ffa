from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eid.errors import ApplicationError
from eid.models import User
from eid.pki.actions import sign_for_resident


class Command(BaseCommand):
    help = "Sign a file (detached CMS, DER) with a resident's portal-held key; prints the short code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the resident's email address")
        parser.add_argument("--in", dest="input", required=True, type=Path)
        parser.add_argument("--out", dest="output", required=True, type=Path)

    def handle(self, *args: object, user: str, input: Path, output: Path, **options: object) -> None:
        resident = User.objects.filter(email__iexact=user).first()
        if resident is None:
            raise CommandError(f"No resident with the email address {user}.")
        try:
            result = sign_for_resident(user=resident, data=input.read_bytes())
        except ApplicationError as error:
            raise CommandError(error.message) from error
        except OSError as error:
            raise CommandError(str(error)) from error
        output.write_bytes(result.signature)
        self.stdout.write(f"signed {input} -> {output} (certificate {result.serial}); code {result.code}")
