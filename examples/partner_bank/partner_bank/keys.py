"""The bank's keys: one JWK Set file holding two EC P-256 private keys.

- `client-auth`: signs the private_key_jwt client assertions. Its public half is registered with
  the portal (`public.json` → `oidc_client create --jwks public.json`).
- `dpop`: signs DPoP proofs. The portal learns it from each proof's header, so it is not registered.
"""

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey, KeySet

CLIENT_AUTH_KID = "client-auth"
DPOP_KID = "dpop"


def keys_generate(private_path: Path) -> None:
    """Write a new private JWK Set, readable by its owner only."""
    keys = [
        ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"}, private=True)
        for kid in (CLIENT_AUTH_KID, DPOP_KID)
    ]
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"keys": [key.as_dict(private=True) for key in keys]}, handle, indent=2)


def public_jwks(private_path: str | Path) -> dict:
    """The JWK Set to register with the portal: the client authentication key's public half."""
    client_auth, _dpop = keys_load(private_path)
    return {"keys": [client_auth.as_dict(private=False)]}


def keys_load(private_path: str | Path) -> tuple[ECKey, ECKey]:
    """(client authentication key, DPoP key) from the private JWK Set file."""
    key_set = KeySet.import_key_set(json.loads(Path(private_path).read_text()))
    return key_set.get_by_kid(CLIENT_AUTH_KID), key_set.get_by_kid(DPOP_KID)
