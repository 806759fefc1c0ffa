"""`python manage.py partner_keys [--public public.json]`: create the bank's keys if missing."""

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from partner_bank.keys import keys_generate, public_jwks


class Command(BaseCommand):
    help = "Create PARTNER_JWKS_PRIVATE if missing; write the public JWK Set to register with the portal."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--public", default=None, help="Where to write the public JWK Set.")
        parser.add_argument("--force", action="store_true", help="Replace existing keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        private = Path(settings.PARTNER_JWKS_PRIVATE)
        public = Path(options["public"] or private.with_name("public.json"))
        if options["force"] or not private.exists():
            keys_generate(private)
            self.stdout.write(f"Wrote a new private JWK Set: {private}")
        public.write_text(json.dumps(public_jwks(private), indent=2) + "\n")
        self.stdout.write(f"Register the public JWK Set with the portal: {public}")
