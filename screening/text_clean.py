"""The text cleaner every normaliser builds on: :func:`clean_text` (entities, markup,
whitespace) and the title matching key :func:`normalize_title`.

A module of its own so that :mod:`screening.names` (author names, which need both) and
:mod:`screening.normalize` (which re-exports them with the other normalisers, names included)
each import it without importing each other.
"""

from __future__ import annotations

import html
import re

from screening.text_fold import fold_accents

# anything tag-shaped: a cheap pre-filter (``io.tagged.fast_clean``); clean_text decides
_TAG_RE = re.compile(r"<[^<>]{0,200}>")
# what clean_text removes: comments, CDATA sections' markers (_without_cdata), and tags whose
# name is known markup, is namespaced (jats:p, mml:mi) or that carry attributes. Anything else
# between '<' and '>' is text: 'p<0.05 in patients aged >65', 'iTTR <median and variability
# >median', '<<Rotarod>>'.
_MARKUP_RE = re.compile(
    r"<<ETX>>|<ORIGINAL>"
    r"|<(/?)([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)"
    r"((?:\s+[\w.:-]+\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>]+))*)\s*/?>", re.S)
# sub/superscripts and MathML join the text they sit in ('CO<sub>2</sub>' reads 'CO2',
# '<sup>99m</sup>Tc' '99mTc'); a closing one before a lower-case letter is a word boundary the
# export lost ('95<sup>th</sup>percentile')
_GLUE_TAGS = frozenset(
    "sub sup inf math mi mn mo mrow msub msup msubsup mfrac msqrt mroot mtext mspace mover munder "
    "munderover mstyle mfenced semantics inline-formula tex-math".split())
# character formatting and structure: a space, since bold/italic often set a heading
# ('minimisation.<bold>Methods</bold>The')
_FORMAT_TAGS = frozenset(
    "a abbr b bi big bold cite code del dfn e1 e2 em font i ins italic kbd mark monospace "
    "named-content overline roman s sans-serif sc scp small span strike strong styled-content tt u "
    "underline var".split())
# structure (HTML, JATS, PubMed XML, EndNote XML, IEEE/Bioinformatics markers): a space
_BLOCK_TAGS = frozenset(
    "abstract abstracttext copyrightinformation otherabstract articletitle vernaculartitle "
    "alternatives article-title blockquote body br caption center dd disp-formula div "
    "dl dt email emailref ext-link fig figcaption figure fn footer h1 h2 h3 h4 h5 h6 header hr img "
    "inline-graphic graphic kwd kwd-group label li list list-item ol p para pre related-article sec "
    "section style table tbody td tfoot th thead title tr ul uri urlref wbr xref annotation mtable "
    "mtr mtd formula".split())
# Ovid/Embase spell some characters out between angle brackets ('0<middle dot>25')
_CHAR_NAMES = {
    "middle dot": "\u00b7", "alpha": "\u03b1", "beta": "\u03b2", "gamma": "\u03b3", "delta": "\u03b4",
    "epsilon": "\u03b5", "kappa": "\u03ba", "lambda": "\u03bb", "mu": "\u03bc", "micro": "\u00b5",
    "sigma": "\u03c3", "tau": "\u03c4", "omega": "\u03c9", "theta": "\u03b8", "pi": "\u03c0",
    "chi": "\u03c7", "psi": "\u03c8", "zeta": "\u03b6", "eta": "\u03b7", "nu": "\u03bd", "xi": "\u03be",
    "rho": "\u03c1", "phi": "\u03c6", "iota": "\u03b9", "omicron": "\u03bf", "upsilon": "\u03c5",
}
_CHAR_NAME_RE = re.compile(r"<(" + "|".join(sorted(map(re.escape, _CHAR_NAMES), key=len, reverse=True)) + r")>",
                           re.IGNORECASE)
_WS_RE = re.compile(r"\s+")


def _without_comments(text: str) -> str:
    """'<!-- ... -->' comments replaced by a space; an unclosed '<!--' is left as text. With
    str.find, so a long text of unclosed '<!--' stays linear (a lazy regex rescans the rest
    from each one)."""
    out, at = [], 0
    while (start := text.find("<!--", at)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        out += [text[at:start], " "]
        at = end + 3
    return "".join(out) + text[at:] if out else text


_CDATA_OPEN, _CDATA_CLOSE = "<![CDATA[", "]]>"


def _without_cdata(text: str) -> str:
    """A CDATA section's markers ('<![CDATA[', its ']]>') replaced by spaces, its text kept.
    A marker without its pair is text, kept as the database gave it: scraped web-page junk
    ending in '// ]]>' (a Dimensions abstract) lost it in a CSV but kept it in a RIS, whose
    reader takes the fast path of ``io.tagged.fast_clean`` (acceptance testing). With
    str.find, as :func:`_without_comments`."""
    out, at = [], 0
    while (start := text.find(_CDATA_OPEN, at)) != -1:
        end = text.find(_CDATA_CLOSE, start + len(_CDATA_OPEN))
        if end == -1:
            break
        out += [text[at:start], " ", text[start + len(_CDATA_OPEN):end], " "]
        at = end + len(_CDATA_CLOSE)
    return "".join(out) + text[at:] if out else text


# PubMed's structured-abstract section as markup in a text field (Lens RIS copies PubMed's XML):
# the section's label is text of the abstract, as the PubMed XML reader writes it ('Methods: ...')
_SECTION_LABEL_RE = re.compile(r"""\bLabel\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""", re.IGNORECASE)


def _markup(m: "re.Match[str]") -> str:
    name = m.group(2)
    if name is None:                      # IEEE's end-of-text mark, Ovid's <ORIGINAL>
        return " "
    local = name.rpartition(":")[2].lower()
    if local == "abstracttext" and not m.group(1) and m.group(3) \
            and (label := _SECTION_LABEL_RE.search(m.group(3))) and (text := (label.group(1) or label.group(2) or "").strip()):
        return f" {text}: "
    if local in _GLUE_TAGS:
        closing, after = m.group(1), m.string[m.end():m.end() + 1]
        return " " if closing and after.islower() else _GLUE
    if local in _FORMAT_TAGS and not m.group(3):
        return _FORMAT                    # a space or nothing, from the text around it (below)
    if local in _BLOCK_TAGS or local in _FORMAT_TAGS or ":" in name or m.group(3):
        return " "
    return m.group(0)                     # '<median and variability >': text, kept


# Placeholders for removed tags, resolved once the markup is gone: a run of tags holding a
# sub/superscript joins ('PM</b><sub><strong>2.5' reads 'PM2.5'); a run of formatting tags is
# a space only between two words ('minimisation.<bold>Methods</bold>The'), not next to a space,
# a hyphen or punctuation ('global<i> meta</i>-analysis' reads 'global meta-analysis').
_GLUE, _FORMAT = "\x02", "\x01"
_TAG_RUN_RE = re.compile("[\x01\x02]+")
_NO_SPACE_BEFORE = frozenset("([{-/\u2010\u2013'\"\u2018\u201c")
_NO_SPACE_AFTER = frozenset(")]}-/\u2010\u2013.,;:!?%'\"\u2019\u201d")


def _tag_run(m: "re.Match[str]") -> str:
    if _GLUE in m.group(0):
        return ""
    text, start, end = m.string, m.start(), m.end()
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() or after.isspace() or before in _NO_SPACE_BEFORE or after in _NO_SPACE_AFTER:
        return ""
    return " "


def clean_text(value: str | None) -> str:
    """Unescape HTML entities, drop markup tags, fold whitespace (incl. newlines) to single spaces.

    Only markup goes (known HTML/JATS/MathML tags, namespaced tags, tags with attributes):
    '<' and '>' in text ('p<0.05', 'aged >65 years') are kept, and Ovid's spelled-out characters
    ('0<middle dot>25', '<alpha>') become the characters.
    """
    if not value:
        return ""
    text = str(value)
    marked = False          # tag placeholders (_GLUE, _FORMAT) put in, to resolve at the end
    while True:  # double-escaped exports, tags revealed by removing inner ones: to a fixpoint
        before = text
        while "&" in text:
            unescaped = html.unescape(text)
            if unescaped == text:
                break
            text = unescaped
        if "<!--" in text:
            text = _without_comments(text)
        if _CDATA_OPEN in text:
            text = _without_cdata(text)
        if "<" in text:
            if not marked:
                marked = True
                text = text.replace(_FORMAT, " ").replace(_GLUE, " ")    # the input's own: not ours
            text = _MARKUP_RE.sub(_markup, text)
            if "<" in text:
                text = _CHAR_NAME_RE.sub(lambda m: _CHAR_NAMES[m.group(1).lower()], text)
        if text == before:
            break
    if marked:
        text = _TAG_RUN_RE.sub(_tag_run, text)
    # str.split() folds exactly the characters \s matches, and is several times faster.
    return " ".join(text.split())


def normalize_title(value: str | None) -> str:
    """Matching key: accents stripped (and 'ø', 'ß', 'ł' ... spelled as MEDLINE does, see
    :func:`screening.text_fold.fold_accents`), lower case, punctuation to spaces, whitespace
    folded."""
    if not value:
        return ""
    text = fold_accents(clean_text(value)).lower()
    text = re.sub(r"[^\w\s]|_", " ", text)
    return _WS_RE.sub(" ", text).strip()
