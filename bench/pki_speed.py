"""PKI throughput in process: OCSP responses, CMS and PAdES signatures per second, against the raw
`cryptography` ECDSA P-256 sign rate (every portal key is P-256: the physical limit of one core).

    .venv/bin/python -m bench.pki_speed --seconds 3

Runs on a throw-away test database (portal.settings.test, created and destroyed here): pki_init, one
resident with a portal-held key, then each operation in a loop for --seconds. Single-threaded.
"""

import argparse
import os
import time
from collections.abc import Callable
from io import BytesIO


def _rate(name: str, operation: Callable[[], object], seconds: float, limit: float | None = None) -> float:
    operation()  # warm caches (decrypted keys, CRLs, imports)
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        operation()
        count += 1
    rate = count / elapsed
    share = f"  ({rate / limit * 100:.1f}% of the raw sign rate)" if limit else ""
    print(f"{name:<44} {rate:>10.1f} /s  {elapsed / count * 1000:>8.2f} ms each{share}")
    return rate


def _pdf(pages: int) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    for number in range(pages):
        text = f"BT /F1 12 Tf 72 770 Td (Application form, page {number + 1}) Tj ET".encode()
        stream = writer.add_object(generic.StreamObject(stream_data=text * 20))
        writer.insert_page(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Page"),
                    generic.NameObject("/MediaBox"): generic.ArrayObject(
                        [generic.NumberObject(n) for n in (0, 0, 595, 842)]
                    ),
                    generic.NameObject("/Contents"): stream,
                }
            )
        )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(arguments.seconds)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


def run(seconds: float) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp

    from eid.constants import AssuranceLevel
    from eid.models import User
    from eid.pki.actions import (
        certificate_issue_for_resident,
        pades_ltv_material,
        pdf_sign_for_resident,
        pki_initialise,
        sign_for_resident,
    )
    from eid.pki.keystore import resident_keystore
    from eid.pki.ocsp import ocsp_respond
    from eid.pki.pades import pades_sign
    from eid.pki.selectors import ca_get, parse_certificate

    pki_initialise()
    user = User.objects.create_user(
        email="bench@example.test", password=None, assurance_level=AssuranceLevel.SUBSTANTIAL
    )
    user.legal_name_en = "CHAN Tai Man"
    user.save()
    record = certificate_issue_for_resident(user=user)
    certificate = parse_certificate(record.certificate_pem)
    issuer = parse_certificate(ca_get("issuing").certificate_pem)
    key = resident_keystore().load_private_key(record.key_name)
    payload = os.urandom(4096)
    one_page, fifty_pages = _pdf(1), _pdf(50)
    print(f"PDFs: 1 page {len(one_page) / 1024:.1f} KiB, 50 pages {len(fifty_pages) / 1024:.1f} KiB\n")

    raw = _rate(
        "raw cryptography ECDSA P-256 sign (4 KiB)",
        lambda: key.sign(payload, ec.ECDSA(hashes.SHA256())),
        seconds,
    )
    request = (
        ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256()).build()
    ).public_bytes(serialization.Encoding.DER)
    _rate("OCSP response (in-process responder)", lambda: ocsp_respond(request), seconds, raw)
    _rate(
        "CMS detached signature (4 KiB, audited)",
        lambda: sign_for_resident(user=user, data=payload),
        seconds,
        raw,
    )
    chain = [issuer]
    for label, pdf in (("1-page", one_page), ("50-page", fifty_pages)):
        _rate(
            f"PAdES B-B {label} (pyHanko, no audit)",
            lambda pdf=pdf: pades_sign(pdf=pdf, certificate=certificate, key=key, chain=chain),
            seconds,
            raw,
        )
        _rate(
            f"PAdES B-LT {label} (TSA + DSS, audited)",
            lambda pdf=pdf: pdf_sign_for_resident(user=user, pdf=pdf),
            seconds,
            raw,
        )
    ltv = pades_ltv_material()
    _rate("  of which: LTV material (TSA key, CRLs)", pades_ltv_material, seconds)
    assert ltv is not None


if __name__ == "__main__":
    main()
