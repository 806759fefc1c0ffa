"""`manage.py oidc_client create --name NAME --redirect-uri URI [--public] [--scopes "..."]`."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from eid.oidc.clients import client_create


class Command(BaseCommand):
    help = "Register an OpenID Connect client; prints its id (and secret, shown once) as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register a client.")
        create.add_argument("--name", required=True)
        create.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        create.add_argument("--public", action="store_true", help="A public client (no secret).")
        create.add_argument("--scopes", default="openid profile email")
        create.add_argument("--sector", default=None, help="Sector identifier shared by related clients.")
        create.add_argument("--backchannel-logout-uri", default=None, help="OIDC Back-Channel Logout URI.")
        create.add_argument(
            "--post-logout-redirect-uri", action="append", default=None, dest="post_logout_redirect_uris"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            new = client_create(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                public=options["public"],
                scopes=options["scopes"].split(),
                sector_identifier=options["sector"],
                backchannel_logout_uri=options["backchannel_logout_uri"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        output: dict[str, Any] = {
            "client_id": new.client.id,
            "client_type": new.client.type,
            "redirect_uris": new.client.get_redirect_uris(),
            "scope": " ".join(new.client.get_scopes()),
            "token_endpoint_auth_method": "none" if new.secret is None else "client_secret_basic",
        }
        if new.secret is not None:
            output["client_secret"] = new.secret
        self.stdout.write(json.dumps(output, indent=2))
