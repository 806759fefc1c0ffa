"""A CMS signature then a PAdES seal in a fresh process (the order a form submission takes)."""

import subprocess
import sys

SCRIPT = """
import eid.pki.builders  # what sign_for_resident imports first
from asn1crypto import cms
cms.CMSAttributeType("signing_certificate_v2")  # built before anything imports asn1crypto.tsp
print(cms.CMSAttributeType.map("1.2.840.113549.1.9.16.2.47"))
"""


def test_signing_certificate_v2_is_known_whichever_module_is_imported_first():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "signing_certificate_v2"
