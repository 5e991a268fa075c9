"""Student cells made safe for a TA's browser: what could run is taken out, what is text is escaped."""

from __future__ import annotations

import nbformat
import pytest

from autograder.review import content

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<iframe src="https://example.org"></iframe>',
        '<svg onload="alert(1)"><circle r="1"/></svg>',
        '<div style="position:fixed;inset:0">cover</div>',
        '<form action="/grade/w1"><input name="points" value="2"></form>',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
    ],
)
def test_markdown_and_html_outputs_lose_everything_that_could_act(hostile: str) -> None:
    for shown in (content.markdown(f"answer {hostile}"), content.output(_html_output(hostile))):
        lowered = str(shown).lower()
        for danger in ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg", "style=", "<form", "<input"):
            assert danger not in lowered
        assert "data:text/html" not in lowered and "image/svg" not in lowered


def test_text_is_kept_and_escaped_and_images_are_shown() -> None:
    code = nbformat.v4.new_code_cell("print('<b>')")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="<b>not bold</b>\n"),
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("error", ename="ValueError", evalue="<x>", traceback=["\x1b[31mValueError\x1b[0m: <x>"]),
    ]
    shown = str(content.cell(code).html)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in shown and "print(&#39;&lt;b&gt;&#39;)" in shown
    assert f'src="data:image/png;base64,{PNG}"' in shown
    assert "ValueError: &lt;x&gt;" in shown and "\x1b" not in shown


def test_a_markdown_attachment_image_is_shown_and_a_bad_one_is_not() -> None:
    cell = nbformat.v4.new_markdown_cell("![plot](attachment:plot.png) ![evil](attachment:evil.svg)")
    cell.attachments = {"plot.png": {"image/png": PNG}, "evil.svg": {"image/svg+xml": "PHN2Zz4="}}
    shown = str(content.cell(cell).html)
    assert f"data:image/png;base64,{PNG}" in shown and "svg" not in shown.lower()


def _html_output(html: str) -> dict:
    return nbformat.v4.new_output("display_data", data={"text/html": html})
