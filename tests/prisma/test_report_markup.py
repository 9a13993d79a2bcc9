"""report.md writes text from data so that Markdown renderers show it as typed (acceptance
testing, L4): a database 'MEDLINE & Embase <Ovid>' and a reason 'wrong population & setting
<adults>' were written unescaped, and a CommonMark renderer took '<Ovid>' and '<adults>' for
HTML tags and dropped them."""

from __future__ import annotations

from markdown_it import MarkdownIt

from screening.config import load_review
from screening.prisma import generate
from screening.prisma.report import md_text

DATABASE = "MEDLINE & Embase <Ovid>"
REASON = "wrong population & setting <adults>"


def test_the_markdown_report_shows_names_and_reasons_as_typed(records, finals, tmp_path) -> None:
    path = tmp_path / "wild.toml"
    path.write_text('[review]\nname = "wild"\ntitle = "Fire <and> smoke"\noutput_dir = "out"\n', encoding="utf-8")
    ta, ft = finals
    named = records.assign(source_db=records["source_db"].replace({"Lens.org": DATABASE}))
    ft = ft.assign(reason=ft["reason"].replace({"wrong outcome": REASON}))
    result = generate(load_review(path), tmp_path / "p", records=named, ta_finals=ta, ft_finals=ft)
    md = result.files["md"].read_text(encoding="utf-8")
    assert "<Ovid>" not in md and "<adults>" not in md
    assert "| – MEDLINE & Embase &lt;Ovid&gt; | 9 |" in md      # a lone '&' stays readable
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    for text in ("MEDLINE &amp; Embase &lt;Ovid&gt;", "wrong population &amp; setting &lt;adults&gt;",
                 "PRISMA 2020 report — Fire &lt;and&gt; smoke"):
        assert text in rendered, text                          # shown as typed: HTML-escaped text
    assert "<ovid>" not in rendered.lower() and "<adults>" not in rendered
    # the HTML report escaped them already
    assert "MEDLINE &amp; Embase &lt;Ovid&gt;" in result.files["html"].read_text(encoding="utf-8")


def test_md_text() -> None:
    assert md_text("a < b > c & d") == "a &lt; b &gt; c & d"
    # an entity-like '&' is written as '&amp;', so '&lt;' in data is shown as '&lt;', not '<'
    assert md_text("&lt;sub&gt; &amp; &#38; AT&T;") == "&amp;lt;sub&amp;gt; &amp;amp; &amp;#38; AT&amp;T;"
