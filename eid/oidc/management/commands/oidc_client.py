"""`manage.py oidc_client create --name NAME --redirect-uri URI [--public] [--scopes "..."] [--fapi]
[--jwks FILE | --jwks-uri URI] [--auth-method METHOD] [--id-token-alg ALG]`."""

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from eid.oidc.clients import (
    AUTH_METHODS,
    ID_TOKEN_ALGORITHMS,
    client_auth_method,
    client_create,
    client_id_token_alg,
    client_is_fapi,
)


class Command(BaseCommand):
    help = "Register an OpenID Connect client; prints its id (and secret, shown once) as JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register a client.")
        create.add_argument("--name", required=True)
        create.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
        create.add_argument("--public", action="store_true", help="A public client (no secret).")
        create.add_argument("--scopes", default="openid profile email")
        create.add_argument("--sector", default=None, help="Sector identifier shared by related clients.")
        create.add_argument("--fapi", action="store_true", help="FAPI 2.0: private_key_jwt, no secret.")
        create.add_argument("--jwks", default=None, metavar="FILE", help="The public JWK Set (JSON file).")
        create.add_argument("--jwks-uri", default=None, help="Where the client publishes its public JWK Set.")
        create.add_argument("--auth-method", choices=AUTH_METHODS, default=None, help="Token endpoint auth.")
        create.add_argument("--id-token-alg", choices=ID_TOKEN_ALGORITHMS, default=None, help="ID token alg.")
        create.add_argument("--backchannel-logout-uri", default=None, help="OIDC Back-Channel Logout URI.")
        create.add_argument(
            "--post-logout-redirect-uri", action="append", default=None, dest="post_logout_redirect_uris"
        )
        create.add_argument(
            "--grant",
            choices=["authorization-code", "client-credentials"],
            default="authorization-code",
            help="client-credentials: a department system (with --department, --scopes notifications.send).",
        )
        create.add_argument("--department", default=None, help="The department's code (client-credentials).")
        create.add_argument("--sandbox", action="store_true", help="Tokens act like a test key.")

    def handle(self, *args: Any, **options: Any) -> None:
        jwks = None
        if options["jwks"]:
            try:
                jwks = Path(options["jwks"]).read_text()
            except OSError as error:
                raise CommandError(f"Cannot read the JWK Set: {error}") from error
        try:
            new = client_create(
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                public=options["public"],
                scopes=options["scopes"].split(),
                sector_identifier=options["sector"],
                backchannel_logout_uri=options["backchannel_logout_uri"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
                fapi=options["fapi"],
                auth_method=options["auth_method"],
                jwks=jwks,
                jwks_uri=options["jwks_uri"],
                id_token_alg=options["id_token_alg"],
                grant=options["grant"],
                department=options["department"],
                sandbox=options["sandbox"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        output: dict[str, Any] = {
            "client_id": new.client.id,
            "client_type": new.client.type,
            "redirect_uris": new.client.get_redirect_uris(),
            "scope": " ".join(new.client.get_scopes()),
            "grant_types": new.client.get_grant_types(),
            "token_endpoint_auth_method": client_auth_method(new.client),
            "id_token_signed_response_alg": client_id_token_alg(new.client),
            "fapi": client_is_fapi(new.client),
        }
        if new.secret is not None:
            output["client_secret"] = new.secret
        self.stdout.write(json.dumps(output, indent=2))
