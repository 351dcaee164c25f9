"""Reading printed PDFs back: their text (pypdf) and the payloads of the QR codes on their pages (rendered with
pdfium, decoded with zxing-cpp)."""

from __future__ import annotations

import io

import pypdf
import pypdfium2
import zxingcpp


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def squeezed(text: str) -> str:
    """Text without whitespace: table cells wrap anywhere."""
    return "".join(text.split())


def page_size_mm(pdf: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) * 25.4 / 72, 1), round(float(box.height) * 25.4 / 72, 1)


def qr_payloads(pdf: bytes, *, scale: float = 4) -> list[str]:
    """The text of every QR code on every page."""
    document = pypdfium2.PdfDocument(pdf)
    found = []
    for page in document:
        image = page.render(scale=scale).to_pil()
        found += [code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.QRCode]
    return found


def page_images(pdf: bytes) -> int:
    """How many raster images the PDF's pages carry (a kop logo is one)."""
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
