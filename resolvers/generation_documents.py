"""A generation rendered as a file: Markdown, HTML, text, PDF (reportlab) or
DOCX (python-docx)."""

from __future__ import annotations

import html
import io
import re
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from docx import Document
from docx.shared import Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

from models.base import isoformat

if TYPE_CHECKING:
    from models.generation import Generation

WATERMARK = "Generated with Harvest"

PDF_STYLES = {
    "h1": "Title",
    "h2": "Heading2",
    "h3": "Heading3",
    "paragraph": "BodyText",
}


def _watermark(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 42)
    canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.25))
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, 0, WATERMARK)
    canvas.restoreState()


def pdf_file(row: Generation, include_metadata: bool, watermark: bool) -> bytes:
    """The generation as a PDF document."""
    styles = getSampleStyleSheet()
    story: list[Any] = []
    if include_metadata:
        for line in metadata_lines(row):
            story.append(Paragraph(escape(line), styles["Italic"]))
    bullets: list[Any] = []
    for kind, text in [*blocks(row.content), ("end", "")]:
        if kind == "bullet":
            bullets.append(ListItem(Paragraph(escape(text), styles["BodyText"])))
            continue
        if bullets:
            story.append(ListFlowable(bullets, bulletType="bullet"))
            bullets = []
        if kind != "end":
            story.append(Paragraph(escape(text), styles[PDF_STYLES[kind]]))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=row.title or row.id, author="Harvest"
    )
    page = _watermark if watermark else (lambda canvas, doc: None)
    document.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()


def docx_bytes(document: Any) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_file(row: Generation, include_metadata: bool, watermark: bool) -> bytes:
    """The generation as a Word document."""
    document = Document()
    if watermark:
        header = document.sections[0].header.paragraphs[0]
        run = header.add_run(WATERMARK)
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x99, 0x99, 0x99)
    if include_metadata:
        for line in metadata_lines(row):
            document.add_paragraph(line).runs[0].italic = True
    for kind, text in blocks(row.content):
        if kind.startswith("h"):
            document.add_heading(text, level=0 if kind == "h1" else int(kind[1]) - 1)
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        else:
            document.add_paragraph(text)
    return docx_bytes(document)


def blocks(content: str) -> list[tuple[str, str]]:
    """The content as (kind, text) blocks: h1, h2, h3, bullet or paragraph."""
    found: list[tuple[str, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            found.append(("paragraph", " ".join(paragraph)))
            paragraph.clear()

    for raw in content.splitlines():
        line = raw.strip()
        heading = re.match(r"^(#{1,3}) (.*)$", line)
        if not line:
            flush()
        elif heading:
            flush()
            found.append((f"h{len(heading.group(1))}", heading.group(2)))
        elif re.match(r"^[-*] ", line):
            flush()
            found.append(("bullet", line[2:]))
        else:
            paragraph.append(line)
    flush()
    return found


def metadata_lines(row: Generation) -> list[str]:
    return [
        f"Title: {row.title}",
        f"Generation: {row.id}",
        f"Format: {row.format}",
        f"Model: {row.model}",
        f"Words: {row.word_count}",
        f"Created: {isoformat(row.created_at)}",
    ]


def render(
    row: Generation, format: str, *, include_metadata: bool, watermark: bool
) -> bytes:
    """The generation as a file in ``format``."""
    if format == "pdf":
        return pdf_file(row, include_metadata, watermark)
    if format == "docx":
        return docx_file(row, include_metadata, watermark)
    if format == "html":
        return render_html(row, include_metadata, watermark).encode()
    text = row.content
    if include_metadata:
        head = "\n".join(metadata_lines(row))
        text = (
            f"---\n{head}\n---\n\n{text}"
            if format == "markdown"
            else f"{head}\n\n{text}"
        )
    if watermark:
        text += f"\n\n{'_' if format == 'markdown' else ''}{WATERMARK}" + (
            "_" if format == "markdown" else ""
        )
    return (text + "\n").encode()


def render_html(row: Generation, include_metadata: bool, watermark: bool) -> str:
    """A standalone HTML page."""
    tags = {"h1": "h1", "h2": "h2", "h3": "h3", "paragraph": "p"}
    body: list[str] = []
    in_list = False
    for kind, text in blocks(row.content):
        if kind == "bullet" and not in_list:
            body.append("<ul>")
            in_list = True
        if kind != "bullet" and in_list:
            body.append("</ul>")
            in_list = False
        tag = "li" if kind == "bullet" else tags[kind]
        body.append(f"<{tag}>{html.escape(text)}</{tag}>")
    if in_list:
        body.append("</ul>")
    if include_metadata:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in metadata_lines(row))
        body.insert(0, f'<ul class="metadata">{items}</ul>')
    if watermark:
        body.append(f'<p class="watermark">{WATERMARK}</p>')
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(row.title or row.id)}</title></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
