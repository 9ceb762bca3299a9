"""Documents' types are sniffed from their bytes, and their size bounded (api.md v2 §3, §4)."""

from __future__ import annotations

import pytest

from domain.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentTooLarge,
    UnsupportedDocumentType,
    medical_by_default,
    sniffed_type,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def test_pdf_jpeg_and_png_are_recognised_by_their_bytes() -> None:
    assert sniffed_type(PDF) == "application/pdf"
    assert sniffed_type(PNG) == "image/png"
    assert sniffed_type(JPEG) == "image/jpeg"


@pytest.mark.parametrize(
    "content", [b"plain text, named certificate.pdf", b"PK\x03\x04" + b"\x00" * 40, b"GIF89a" * 8]
)
def test_other_contents_are_refused_whatever_their_name(content: bytes) -> None:
    with pytest.raises(UnsupportedDocumentType):
        sniffed_type(content)


def test_more_than_ten_mebibytes_is_refused() -> None:
    assert sniffed_type(PDF + b"\0" * (MAX_DOCUMENT_BYTES - len(PDF))) == "application/pdf"
    with pytest.raises(DocumentTooLarge):
        sniffed_type(PDF + b"\0" * (MAX_DOCUMENT_BYTES - len(PDF) + 1))


def test_medical_and_death_certificates_are_medical_by_default() -> None:
    assert medical_by_default("medical_certificate")
    assert medical_by_default("death_certificate")
    assert not medical_by_default("cancellation_invoice")
