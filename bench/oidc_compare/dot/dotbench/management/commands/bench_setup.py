"""The demo user and the confidential client the benchmark signs in with (idempotent)."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application


class Command(BaseCommand):
    def handle(self, *args, **options):
        user, _ = get_user_model().objects.get_or_create(
            username=os.environ["DEMO_EMAIL"],
            defaults={"email": os.environ["DEMO_EMAIL"], "first_name": "Tai Man", "last_name": "CHAN"},
        )
        user.set_password(os.environ["DEMO_PASSWORD"])
        user.save()
        Application.objects.filter(client_id=os.environ["CLIENT_ID"]).delete()
        Application.objects.create(
            client_id=os.environ["CLIENT_ID"],
            client_secret=os.environ["CLIENT_SECRET"],
            name="Bench RP",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=os.environ["REDIRECT_URI"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=False,
        )
