"""payments' public PDF writer: lines of text → one A4 page; other services use it, not its internals."""

import ast
from pathlib import Path

from payments.receipts import PdfLine, simple_pdf

ROOT = Path(__file__).resolve().parents[2]


def test_simple_pdf_writes_latin_and_chinese_lines() -> None:
    pdf = simple_pdf(
        title="收據",
        language="zh-hant",
        lines=[PdfLine("Receipt", 72, 770, 20), PdfLine("參考編號", 72, 740, 10)],
    )
    assert pdf.startswith(b"%PDF-1.7") and pdf.rstrip().endswith(b"%%EOF")
    assert b"BT /F1 20 Tf 72 770 Td (Receipt) Tj ET" in pdf
    assert "參考編號".encode("utf-16-be").hex().upper().encode() in pdf
    assert b"/BaseFont /MSung-Light" in pdf


def test_no_other_app_imports_private_names_of_payments() -> None:
    offending = []
    for path in (ROOT / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("payments"):
                offending += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert offending == []
