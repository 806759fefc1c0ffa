"""PKI fixtures: an initialised CA, residents at each level, and the independent `openssl` CLI."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.test import Client

from eid.constants import AssuranceLevel
from eid.models import User
from eid.pki.actions import pki_initialise
from eid.pki.models import CertificateAuthority
from services.testing import record_second_factor
from tests.factories import UserFactory

OPENSSL = shutil.which("openssl")


@pytest.fixture
def pki(db: None) -> dict[str, CertificateAuthority]:
    pki_initialise()
    return {ca.name: ca for ca in CertificateAuthority.objects.all()}


@pytest.fixture
def substantial_resident(db: None) -> User:
    return UserFactory(
        assurance_level=AssuranceLevel.SUBSTANTIAL,
        legal_name_en="CHAN Tai Man",
        hkid_masked="A123***(4)",
        hkid_hash="f" * 64,
    )


def strong_session(client: Client, user: User, *, mfa_at: float | None = None) -> Client:
    """Sign in as after password + TOTP (allauth's own session record of the steps)."""
    client.force_login(user)
    record_second_factor(client, user, at=time.time(), mfa_at=mfa_at)
    return client


def openssl(*args: str | Path, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    if OPENSSL is None:
        pytest.fail("The openssl command line is required for the PKI tests.")
    result = subprocess.run(
        [OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"openssl {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def pki_files(pki: dict, tmp_path: Path, client: Client) -> Path:
    """root.pem and issuing.pem as the public endpoints serve them."""
    for name in ("root", "issuing"):
        (tmp_path / f"{name}.pem").write_bytes(client.get(f"/pki/ca/{name}.pem").content)
    return tmp_path


def fetch_crls(client: Client, directory: Path) -> None:
    """Both CRLs, DER from the endpoints, converted to PEM by openssl itself (which parses them)."""
    for name in ("root", "issuing"):
        (directory / f"{name}.crl").write_bytes(client.get(f"/pki/crl/{name}.crl").content)
        openssl(
            "crl", "-inform", "DER", "-in", directory / f"{name}.crl", "-out", directory / f"{name}.crl.pem"
        )
