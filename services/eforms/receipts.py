"""The application receipt: a one-page PDF in the resident's language, sealed by the department.

The PDF writer is payments' public simple_pdf (Helvetica for Latin text, Adobe's standard CJK fonts
for Chinese, referenced not embedded): one hand-written PDF writer in the portal rather than two.
"""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from eid.public import SignatureResult
from payments.receipts import PdfLine, simple_pdf, simple_pdf_sealed
from services.eforms.definition import iter_fields, localised
from services.eforms.fields import display_value
from services.eforms.models import Submission

MAX_ANSWER_ROWS = 22
MAX_VALUE_CHARS = 60


def _receipt_lines(*, submission: Submission, language: str) -> tuple[str, list[PdfLine]]:
    definition = submission.version.definition
    with translation.override(language):
        title = localised(definition.get("title"), language)
        submitted = timezone.localtime(submission.submitted_at or submission.created_at)
        rows = [
            (_("Reference number"), submission.reference),
            (_("Department"), submission.department.name_in(language)),
            (_("Status"), str(submission.get_status_display())),
            (_("Submitted"), submitted.strftime("%Y-%m-%d %H:%M %Z")),
        ]
        if submission.signature_code:
            rows.append((_("Signature code"), submission.signature_code))
        answer_rows = []
        for ref in iter_fields(definition):
            key = ref.field["key"]
            if key in submission.answers and ref.field["type"] not in ("file",):
                value = display_value(ref.field, submission.answers[key])
                answer_rows.append((localised(ref.field["label"], language)[:40], value[:MAX_VALUE_CHARS]))
        footer = _("Sealed electronically by the department. Check the seal at the portal's verify page.")
        answers_heading = _("Your answers")
    lines = [PdfLine(title[:60], 72, 780, 16)]
    y = 740
    for label, value in rows:
        lines += [PdfLine(str(label), 72, y, 10), PdfLine(str(value), 220, y, 10)]
        y -= 18
    y -= 10
    lines.append(PdfLine(str(answers_heading), 72, y, 12))
    y -= 20
    for label, value in answer_rows[:MAX_ANSWER_ROWS]:
        lines += [PdfLine(str(label), 72, y, 9), PdfLine(str(value), 260, y, 9)]
        y -= 16
    lines.append(PdfLine(str(footer), 72, max(y - 20, 40), 8))
    return title, lines


def receipt_pdf(*, submission: Submission, language: str) -> bytes:
    title, lines = _receipt_lines(submission=submission, language=language)
    return simple_pdf(title=title, language=language, lines=lines)


def receipt_sealed(*, submission: Submission, language: str) -> SignatureResult:
    title, lines = _receipt_lines(submission=submission, language=language)
    return simple_pdf_sealed(
        department=submission.department, by=submission.resident, title=title, language=language, lines=lines
    )
