"""Receipt PDFs in the resident's language, sealed with the owning department's seal certificate.

No PDF library with font embedding is installed (pyHanko's OpenType support needs fontTools and
HarfBuzz), so the receipt is a small hand-written PDF: Latin text in Helvetica, Chinese text in the
standard Adobe CJK fonts (MSung-Light for Traditional, STSong-Light for Simplified) with Unicode
CMaps. Those fonts are referenced, not embedded: PDF viewers substitute a local CJK font (Acrobat's
Asian font packs, pdf.js, poppler-data). The title is also in the document information dictionary.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eid.public import Department, SignatureResult, User, pdf_seal
from payments.models import Payment
from payments.templatetags.payments_tags import money

# Language → (base font, CMap, CID ordering) for the Chinese text of the receipt.
CJK_FONTS = {
    "zh-hant": ("MSung-Light", "UniCNS-UTF16-H", "CNS1"),
    "zh-hans": ("STSong-Light", "UniGB-UTF16-H", "GB1"),
}


def _pdf_text(text: str) -> bytes:
    return b"(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252") + b")"


def _utf16_hex(text: str) -> bytes:
    return b"<" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _is_latin(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _show(text: str, x: int, y: int, size: int) -> bytes:
    """A text-showing operation in Helvetica (/F1) when it can, in the CJK font (/F2) otherwise."""
    if _is_latin(text):
        return b"BT /F1 %d Tf %d %d Td %s Tj ET\n" % (size, x, y, _pdf_text(text))
    return b"BT /F2 %d Tf %d %d Td %s Tj ET\n" % (size, x, y, _utf16_hex(text))


def _pdf(*, title: str, language: str, content: bytes) -> bytes:
    font, cmap, ordering = CJK_FONTS.get(language, CJK_FONTS["zh-hant"])
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang %s >>" % _pdf_text(language),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /%s /DescendantFonts [7 0 R] >>"
        % (font.encode(), cmap.encode()),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 4 >> "
        b"/FontDescriptor 8 0 R /DW 1000 /W [1 95 500] >>" % (font.encode(), ordering.encode()),
        b"<< /Type /FontDescriptor /FontName /%s /Flags 6 /FontBBox [-160 -249 1015 1071] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>" % font.encode(),
        b"<< /Title %s /Producer (eID Portal) /CreationDate (D:%s) >>"
        % (_utf16_hex("\ufeff" + title), timezone.now().strftime("%Y%m%d%H%M%SZ").encode()),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)


@dataclass(frozen=True)
class PdfLine:
    """One line of text at (x, y) points from the bottom-left of an A4 page, in `size` points."""

    text: str
    x: int
    y: int
    size: int


def simple_pdf(*, title: str, language: str, lines: Iterable[PdfLine]) -> bytes:
    """A one-page A4 PDF of text lines (Helvetica for Latin text, the language's CJK font otherwise).

    The portal's one PDF writer: payment receipts and other services' receipts both use it."""
    content = b"".join(_show(str(line.text), line.x, line.y, line.size) for line in lines)
    return _pdf(title=str(title), language=language, content=content)


def simple_pdf_sealed(
    *, department: Department, by: User | None, title: str, language: str, lines: Iterable[PdfLine]
) -> SignatureResult:
    """simple_pdf sealed (PAdES) with the department's seal certificate."""
    return pdf_seal(department=department, pdf=simple_pdf(title=title, language=language, lines=lines), by=by)


def receipt_pdf(*, payment: Payment, language: str) -> bytes:
    """The unsealed receipt of a paid payment, in `language` (en, zh-hant or zh-hans)."""
    with translation.override(language):
        title = _("Payment receipt")
        paid_on = timezone.localtime(payment.succeeded_at) if payment.succeeded_at else None
        rows = [
            (_("Department"), payment.department.name_in(language)),
            (_("Description"), payment.description),
            (_("Reference"), payment.reference),
            (_("Amount"), money(payment.amount, payment.currency)),
        ]
        if payment.amount_refunded:
            rows.append((_("Refunded"), money(payment.amount_refunded, payment.currency)))
        rows += [
            (_("Status"), str(payment.get_status_display())),
            (_("Paid on"), paid_on.strftime("%Y-%m-%d %H:%M %Z") if paid_on else "-"),
            (_("Payment number"), str(payment.public_id)),
        ]
        footer = _("Sealed electronically by the department. Check the seal at the portal's verify page.")
    lines = [PdfLine(str(title), 72, 770, 20)]
    y = 720
    for label, value in rows:
        lines += [PdfLine(str(label), 72, y, 11), PdfLine(str(value), 200, y, 11)]
        y -= 24
    lines.append(PdfLine(str(footer), 72, y - 24, 9))
    return simple_pdf(title=str(title), language=language, lines=lines)


def receipt_sealed(*, payment: Payment, language: str) -> SignatureResult:
    """The receipt PDF sealed (PAdES) with the owning department's seal certificate."""
    return pdf_seal(
        department=payment.department, pdf=receipt_pdf(payment=payment, language=language), by=payment.citizen
    )
