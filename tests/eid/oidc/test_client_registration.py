"""`manage.py oidc_client create` for FAPI and private_key_jwt clients: JSON out, keys checked."""

import io
import json

import pytest
from allauth.idp.oidc.models import Client
from django.core.management import CommandError, call_command

from eid.oidc.clients import client_auth_method, client_id_token_alg, client_profile
from tests.eid.oidc.assertions import ec_key, jwks_of, rsa_key

pytestmark = pytest.mark.django_db


def create(*args: str) -> dict:
    out = io.StringIO()
    call_command(
        "oidc_client",
        "create",
        "--name",
        "Harbour Bank",
        "--redirect-uri",
        "https://bank.example/cb",
        *args,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_a_fapi_client_gets_no_secret_private_key_jwt_and_es256(tmp_path) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_of(ec_key())))
    output = create("--fapi", "--jwks", str(jwks_file))
    assert "client_secret" not in output
    assert output["token_endpoint_auth_method"] == "private_key_jwt"
    assert output["id_token_signed_response_alg"] == "ES256"
    assert output["fapi"] is True
    client = Client.objects.get(id=output["client_id"])
    assert client.type == Client.Type.CONFIDENTIAL and client.secret == ""
    assert client_profile(client)["jwks"]["keys"][0]["kid"] == "ec-1"


def test_a_fapi_client_may_choose_ps256(tmp_path) -> None:
    output = create("--fapi", "--jwks-uri", "https://bank.example/jwks.json", "--id-token-alg", "PS256")
    client = Client.objects.get(id=output["client_id"])
    assert client_id_token_alg(client) == "PS256"
    assert client_profile(client)["jwks_uri"] == "https://bank.example/jwks.json"


def test_a_department_client_still_gets_a_secret_shown_once() -> None:
    output = create()
    assert output["client_secret"] and output["token_endpoint_auth_method"] == "client_secret_basic"
    assert output["id_token_signed_response_alg"] == "RS256" and output["fapi"] is False
    client = Client.objects.get(id=output["client_id"])
    assert output["client_secret"] not in client.secret  # only its hash is stored


def test_a_non_fapi_private_key_jwt_client(tmp_path) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_of(rsa_key(alg="RS256"))))
    output = create("--auth-method", "private_key_jwt", "--jwks", str(jwks_file))
    assert "client_secret" not in output
    assert client_auth_method(Client.objects.get(id=output["client_id"])) == "private_key_jwt"


@pytest.mark.parametrize(
    "jwks,message",
    [
        ({"keys": [ec_key().private_jwk()]}, "public keys only"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "public keys only"),
        ({"keys": [rsa_key(bits=1024).public_jwk()]}, "2048"),
        ("not json", "not valid JSON"),
    ],
    ids=["private-ec", "symmetric", "small-rsa", "garbage"],
)
def test_an_unacceptable_jwks_is_refused(tmp_path, jwks, message) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(jwks if isinstance(jwks, str) else json.dumps(jwks))
    with pytest.raises(CommandError, match=message):
        create("--fapi", "--jwks", str(jwks_file))
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--fapi"], "public keys"),
        (["--fapi", "--auth-method", "client_secret_basic"], "private_key_jwt"),
        (["--fapi", "--public"], "confidential"),
        (["--auth-method", "private_key_jwt"], "public keys"),
        (["--jwks-uri", "http://bank.example/jwks.json", "--auth-method", "private_key_jwt"], "https"),
        (["--jwks", "/nonexistent/jwks.json", "--fapi"], "Cannot read"),
    ],
    ids=["fapi-no-keys", "fapi-secret", "fapi-public", "pkjwt-no-keys", "http-jwks-uri", "missing-file"],
)
def test_inconsistent_registrations_are_refused(args, message) -> None:
    with pytest.raises(CommandError, match=message):
        create(*args)


def test_fapi_refuses_rs256_at_the_command_line() -> None:
    with pytest.raises(CommandError, match="ES256, PS256"):
        create("--fapi", "--jwks-uri", "https://bank.example/jwks.json", "--id-token-alg", "RS256")
