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


# acceptance test 36b, L3: Markdown from data. A database label '[Generic DB](https://evil...)'
# rendered as a link; one holding '\n\n## Counts\n\n| Records identified | 9999 |' added a heading
# and a count row inside the Methods section.
PHISH = "[Generic DB](https://evil.example/phish)"
INJECTED = "Scopus\n\n## Counts\n\n| Records identified | 9999 |"


def test_markdown_in_data_is_shown_as_typed_not_rendered(records, finals, tmp_path) -> None:
    path = tmp_path / "wild.toml"
    path.write_text('[review]\nname = "wild"\ntitle = "Fire *and* smoke #1"\noutput_dir = "out"\n', encoding="utf-8")
    ta, ft = finals
    named = records.assign(source_db=records["source_db"].replace({"Lens.org": PHISH, "MEDLINE": INJECTED}))
    ft = ft.assign(reason=ft["reason"].replace({"wrong outcome": "wrong population (adults)"}))
    result = generate(load_review(path), tmp_path / "p", records=named, ta_finals=ta, ft_finals=ft)
    md = result.files["md"].read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    links = [t for t in tokens if t.type == "inline" and any(c.type == "link_open" for c in t.children or ())]
    assert not links, [t.content for t in links]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings.count("Counts") == 1, headings
    assert "9999" not in {c for t in tokens if t.type == "inline" for c in [t.content.strip()]}
    assert "| Records identified | 9999 |" not in md.splitlines()
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "[Generic DB](https://evil.example/phish)" in rendered            # shown as typed
    assert "Fire *and* smoke #1" in rendered and "<em>" not in rendered
    assert "– wrong population (adults) |" in md                              # readable as written


def test_md_inline_and_md_value() -> None:
    from screening.prisma.report import md_inline, md_value

    assert md_inline("a [b](c)\n\n## d\\") == "a \\[b\\](c) ## d\\\\"
    assert md_inline("run `screening run` *now*") == "run `screening run` *now*"   # our own code spans stay
    assert md_value("a_b *c* `d` ~e~ #f") == "a\\_b \\*c\\* \\`d\\` \\~e\\~ \\#f"
    assert md_value("wrong population (adults)") == "wrong population (adults)"
