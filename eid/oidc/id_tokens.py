"""ID token signing algorithms, per client, and what discovery says about algorithms.

FAPI 2.0 clients get ES256 (or PS256 if registered with `id_token_signed_response_alg`); other
clients RS256 unless they registered ES256 or PS256. Userinfo stays plain JSON (not signed).
"""

from typing import Any

import jwt
from allauth.idp.oidc.adapter import get_adapter
from allauth.idp.oidc.models import Client

from eid.oidc.client_assertions import ALGORITHMS as ASSERTION_ALGORITHMS
from eid.oidc.clients import AUTH_METHODS, ID_TOKEN_ALGORITHMS, client_id_token_alg
from eid.oidc.keys import configured_ec_private_key_pem, parsed_ec_key, parsed_key, pss_jwk

# Endpoints other than the token endpoint only serve confidential clients.
CONFIDENTIAL_AUTH_METHODS = [method for method in AUTH_METHODS if method != "none"]


def id_token_sign(claims: dict[str, Any], client: Client, *, typ: str | None = None) -> str:
    """The signed ID token, in the client's registered algorithm, with the signing key's `kid`.

    Also signs the client's logout tokens (backchannel.py, `typ: logout+jwt`): one verifier setup."""
    alg = client_id_token_alg(client)
    if alg == "ES256":
        jwk_dict, private_key = parsed_ec_key(configured_ec_private_key_pem())
        kid = jwk_dict["kid"]
    else:
        pem = get_adapter().get_signing_key().pem
        jwk_dict, private_key = parsed_key(pem)
        kid = pss_jwk(pem)["kid"] if alg == "PS256" else jwk_dict["kid"]
    headers = {"kid": kid, **({"typ": typ} if typ else {})}
    return jwt.encode(claims, private_key, algorithm=alg, headers=headers)


def algorithm_metadata() -> dict[str, Any]:
    """Discovery (RFC 8414 §2, OIDC Discovery §3): signing algorithms and client authentication."""
    return {
        "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGORITHMS),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
    }


def verification_keys() -> dict[str, tuple[Any, str]]:
    """`kid` → (public key, algorithm) for every published key (RSA under RS256 and PS256, EC)."""
    keys: dict[str, tuple[Any, str]] = {}
    for private in get_adapter().list_private_keys(is_active=True):
        jwk_dict, private_key = parsed_key(private.pem)
        keys[jwk_dict["kid"]] = (private_key.public_key(), "RS256")
        keys[pss_jwk(private.pem)["kid"]] = (private_key.public_key(), "PS256")
    jwk_dict, ec_private_key = parsed_ec_key(configured_ec_private_key_pem())
    keys[jwk_dict["kid"]] = (ec_private_key.public_key(), "ES256")
    return keys


def id_token_hint_claims(
    value: str, *, client_id: str | None = None, verify_exp: bool = False
) -> dict | None:
    """The claims of an ID token this provider issued (any of its algorithms), or None.

    allauth's own check knows RS256 keys only, so an ES256 or PS256 `id_token_hint` (RP-initiated
    logout, prompt=none) would otherwise be ignored.
    """
    if not value:
        return None
    try:
        kid = jwt.get_unverified_header(value).get("kid")
        key, alg = verification_keys()[kid]
        return jwt.decode(
            value,
            key=key,
            algorithms=[alg],
            audience=client_id,
            issuer=get_adapter().get_issuer(),
            options={"verify_aud": client_id is not None, "verify_exp": verify_exp},
        )
    except (jwt.PyJWTError, KeyError, TypeError):
        return None
