"""Create a department's API key and print it once: `notifications_api_key <department> <name> --test`."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eid.public import Department
from services.notifications.actions import api_key_create
from services.notifications.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for a department's system; the key is shown only now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("department", help="Department code, e.g. td")
        parser.add_argument("name", help="What the key is for, e.g. 'permit system'")
        parser.add_argument("--test", action="store_true", help="A test key: never delivers")

    def handle(self, *args: object, department: str, name: str, test: bool, **options: object) -> None:
        found = Department.objects.filter(code=department).first()
        if found is None:
            raise CommandError(f"No department with code {department!r}.")
        key_type = ApiKey.KeyType.TEST if test else ApiKey.KeyType.LIVE
        _, key = api_key_create(department=found, name=name, key_type=key_type)
        self.stdout.write(key)
