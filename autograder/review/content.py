"""A student's cells as HTML a TA's browser can show without running anything the student wrote.

Student content is hostile. Markdown is rendered (markdown-it, CommonMark, raw HTML
allowed as Jupyter allows it) and then sanitised by nh3 (ammonia's allowlist: no
script, no event handler attributes, no ``javascript:`` links, no styles). An HTML
output is sanitised the same way; text outputs, code and tracebacks are escaped; images
are shown only as PNG, JPEG or GIF ``data:`` URLs whose bytes decode as base64, so an
SVG (which can carry script) never reaches the page. The review app's Content Security
Policy forbids inline script besides, so a sanitiser bug alone runs nothing.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import nbformat
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]+")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_markdown = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


@dataclass(frozen=True)
class ShownCell:
    kind: str  # "markdown", "code" or "raw"
    html: Markup  # safe to put in a page as it is


def sanitise(html: str) -> Markup:
    """Untrusted HTML with everything that could run, load or restyle the page taken out."""
    return Markup(nh3.clean(html, url_schemes={"http", "https", "mailto", "data"}, attribute_filter=_only_images))


def markdown(source: str, attachments: dict | None = None) -> Markup:
    """A markdown cell's text as sanitised HTML; ``attachment:`` images become data URLs when they are images."""
    for name, bundle in (attachments or {}).items():
        kind = next((kind for kind in IMAGE_TYPES if kind in bundle), None)
        if kind is not None and isinstance(bundle[kind], str):
            source = source.replace(f"attachment:{name}", f"data:{kind};base64,{bundle[kind].strip()}")
    return sanitise(_markdown.render(source))


def cell(cell: nbformat.NotebookNode) -> ShownCell:
    """One cell as the TA sees it: markdown rendered, code and its outputs."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    if cell.get("cell_type") == "markdown":
        attachments = cell.get("attachments")
        return ShownCell("markdown", markdown(source, attachments if isinstance(attachments, dict) else None))
    if cell.get("cell_type") != "code":
        return ShownCell("raw", Markup("<pre>{}</pre>").format(source))
    parts = [Markup('<pre class="source">{}</pre>').format(source)]
    outputs = cell.get("outputs", [])
    parts += [output(item) for item in outputs if isinstance(item, dict)] if isinstance(outputs, list) else []
    return ShownCell("code", Markup("").join(parts))


def output(item: dict) -> Markup:
    """One output of a code cell: the richest kind that can be shown safely."""
    kind = item.get("output_type")
    if kind == "stream":
        return Markup('<pre class="output">{}</pre>').format(_text(item.get("text")))
    if kind == "error":
        traceback = _ANSI.sub("", "\n".join(map(str, item.get("traceback") or [])))
        words = traceback or f"{item.get('ename', '')}: {item.get('evalue', '')}"
        return Markup('<pre class="output error">{}</pre>').format(words)
    data = item.get("data")
    if not isinstance(data, dict):
        return Markup("")
    for image in IMAGE_TYPES:
        if image in data and _is_base64(data[image]):
            encoded = _text(data[image]).replace("\n", "")
            return Markup('<img class="output" alt="output image" src="data:{};base64,{}">').format(image, encoded)
    if "text/html" in data:
        return Markup('<div class="output html">{}</div>').format(sanitise(_text(data["text/html"])))
    if "text/markdown" in data:
        return Markup('<div class="output">{}</div>').format(markdown(_text(data["text/markdown"])))
    if "text/plain" in data:
        return Markup('<pre class="output">{}</pre>').format(_text(data["text/plain"]))
    return Markup('<p class="muted">[an output of type {} is not shown]</p>').format(", ".join(map(str, data)))


def _only_images(tag: str, attribute: str, value: str) -> str | None:
    """nh3's filter: a ``data:`` URL only as an image's source, and only an image type we show."""
    if not value.strip().lower().startswith("data:"):
        return value
    return value if tag == "img" and attribute == "src" and _DATA_IMAGE.fullmatch(value.strip()) else None


def _text(value: object) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _is_base64(value: object) -> bool:
    try:
        base64.b64decode(_text(value).replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
