"""Create a department's API key and print it once: `notifications_api_key <department> <name> --test`.

`--callback-url https://… --callback-secret …` registers where delivery statuses are POSTed (signed).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eid.public import ApplicationError, Department
from services.notifications.actions import api_key_create
from services.notifications.callbacks import api_key_callback_set
from services.notifications.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key for a department's system; the key is shown only now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("department", help="Department code, e.g. td")
        parser.add_argument("name", help="What the key is for, e.g. 'permit system'")
        parser.add_argument("--test", action="store_true", help="A test key: never delivers")
        parser.add_argument("--rate-limit", type=int, default=None, help="Requests per minute")
        parser.add_argument("--callback-url", default="", help="https URL for delivery callbacks")
        parser.add_argument("--callback-secret", default="", help="Signs the callbacks (HMAC-SHA256)")

    def handle(
        self,
        *args: object,
        department: str,
        name: str,
        test: bool,
        rate_limit: int | None,
        callback_url: str,
        callback_secret: str,
        **options: object,
    ) -> None:
        found = Department.objects.filter(code=department).first()
        if found is None:
            raise CommandError(f"No department with code {department!r}.")
        key_type = ApiKey.KeyType.TEST if test else ApiKey.KeyType.LIVE
        api_key, key = api_key_create(department=found, name=name, key_type=key_type)
        if rate_limit:
            ApiKey.objects.filter(pk=api_key.pk).update(rate_limit_per_minute=rate_limit)
        if callback_url:
            try:
                api_key_callback_set(api_key=api_key, url=callback_url, secret=callback_secret)
            except ApplicationError as error:
                api_key.delete()
                raise CommandError(error.message) from error
        self.stdout.write(key)
