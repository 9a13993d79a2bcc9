"""The text-query language of inclusion rules: tokenizer and recursive-descent parser.

Reviewers already write database syntax, so rules use it::

    ti:(rat OR rats OR mice OR murine) NOT (human* OR patient*)
    random* NEAR/3 (trial OR allocat*)
    "peer support" AND ab:(addict* OR "substance use")

Grammar (operators are case-insensitive; quote a word to search for ``and``/``or``/``not``)::

    query    := or_expr
    or_expr  := and_expr ( OR and_expr )*
    and_expr := not_expr ( [AND] not_expr )*          -- adjacent operands: implicit AND
    not_expr := unary ( NOT unary )*                  -- 'a NOT b' = a AND NOT b
    unary    := NOT unary | near
    near     := primary [ (NEAR/n | PRE/n) primary ]  -- no chaining
    primary  := '(' or_expr ')' | TAG ':' primary | "phrase" | term

Precedence, tightest first: field tag, NEAR/PRE, NOT, AND, OR. Errors are :class:`QuerySyntaxError`
with the character offset, so the rule loader can point a caret at the problem. A parsed query
is evaluated over the records by :mod:`screening.rules.query_eval`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Union

from screening.rules.textindex import FIELD_COLUMNS, fold

DEFAULT_FIELDS: tuple[str, ...] = ("ti", "ab", "kw")
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    **{tag: (tag,) for tag in FIELD_COLUMNS},
    "all": ("ti", "ab", "kw", "au", "jo"),
}
MAX_DISTANCE = 100
_WORD_PIECE = re.compile(r"(?:[^\W_]|[*?])+")
_PROX = re.compile(r"(NEAR|PRE)(?:/(.*))?\Z", re.IGNORECASE)
_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c"}
# Words that are almost certainly a proximity operator mistyped or pasted from another
# database; read as search words they would quietly AND two more words into the query.
# Scopus W/n and NEAR/n both allow n words between; Ovid ADJn allows n - 1. EBSCO's Nn/Wn
# are not here: 'N2' is nitrogen.
_SLASHLESS = re.compile(r"(NEAR|PRE)(\d+)\Z", re.IGNORECASE)
_OVID_ADJ = re.compile(r"ADJ(\d*)\Z", re.IGNORECASE)   # bare ADJ is ADJ1
_SCOPUS_W = re.compile(r"W/(\d+)\Z", re.IGNORECASE)


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``pos`` is the 0-based character offset of the problem,
    ``hint`` what to write instead when there is more to say than the message."""

    def __init__(self, message: str, pos: int, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.hint = hint


# -- AST ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word pattern or a phrase (several words in a row), searched in ``fields``."""

    words: tuple[str, ...]
    fields: tuple[str, ...]
    pos: int = field(default=0, compare=False)      # character offset in the query
    text: str = field(default="", compare=False)    # as written, for explanations


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class Near:
    left: "Node"       # Term or Or of Terms
    right: "Node"
    distance: int
    ordered: bool      # PRE/n: left must come first


Node = Union[Term, And, Or, Not, Near]


# -- tokenizer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str          # LPAREN RPAREN PHRASE TERM TAG AND OR NOT PROX END
    value: str
    pos: int
    distance: int = 0
    ordered: bool = False


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token("LPAREN" if ch == "(" else "RPAREN", ch, i))
            i += 1
        elif ch in _QUOTES:
            close = query.find(_QUOTES[ch], i + 1)
            if close < 0 and ch != '"':
                close = query.find('"', i + 1)
            if close < 0:
                raise QuerySyntaxError("unterminated phrase: no closing quote", i)
            tokens.append(Token("PHRASE", query[i + 1:close], i))
            i = close + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"\u201c\u201d\u201e':
                if query[j] == ":":
                    break
                j += 1
            word = query[i:j]
            if j < n and query[j] == ":":
                tag = word.lower()
                if tag not in FIELD_TAGS:
                    raise QuerySyntaxError(
                        f"unknown field tag {word + ':'!r} (known: {', '.join(t + ':' for t in FIELD_TAGS)})", i)
                tokens.append(Token("TAG", tag, i))
                i = j + 1
                continue
            upper = word.upper()
            if upper in ("AND", "OR", "NOT"):
                tokens.append(Token(upper, word, i))
            elif (m := _PROX.match(word)) is not None:
                op, dist = m.group(1).upper(), m.group(2)
                if dist is None or dist == "":
                    raise QuerySyntaxError(f"{op} needs a distance in words, e.g. {op}/3", i)
                if not dist.isdigit():
                    raise QuerySyntaxError(f"{op}/{dist}: the distance must be a whole number of words, e.g. {op}/3", i)
                if int(dist) > MAX_DISTANCE:
                    raise QuerySyntaxError(f"{op}/{dist}: the distance must be at most {MAX_DISTANCE}", i)
                tokens.append(Token("PROX", word, i, int(dist), op == "PRE"))
            else:
                rest = query[j:].lstrip()
                infix = (bool(tokens) and tokens[-1].kind in ("TERM", "PHRASE", "RPAREN")
                         and rest[:1] not in ("", ")") and rest.split(None, 1)[0].upper() not in ("AND", "OR", "NOT"))
                _refuse_operator_typo(word, i, infix=infix)
                tokens.append(Token("TERM", word, i))
            i = j
    tokens.append(Token("END", "", n))
    return tokens


def _refuse_operator_typo(word: str, pos: int, *, infix: bool = False) -> None:
    """Raise when an unquoted word looks like a proximity operator this language does not
    have (see ``_SLASHLESS``); quoting it searches for the word itself. A bare ``adj`` is
    refused only ``infix`` (between two operands, as Ovid writes 'pain adj morphine'): alone
    it may be the word (an abbreviation of 'adjusted')."""
    if (m := _SLASHLESS.match(word)) is not None:
        op, n = m.group(1).upper(), m.group(2)
        what, instead = f"{op}/{n} with the slash missing", f"{op}/{n}"
    elif (m := _OVID_ADJ.match(word)) is not None and (m.group(1) or infix):
        n = max(int(m.group(1) or 1) - 1, 0)
        between = f"at most {n} word{'s' if n > 1 else ''} between" if n else "the words adjacent"
        what, instead = f"Ovid's adjacency operator ({between})", f"NEAR/{min(n, MAX_DISTANCE)}"
    elif (m := _SCOPUS_W.match(word)) is not None:
        what, instead = "Scopus's proximity operator", f"NEAR/{min(int(m.group(1)), MAX_DISTANCE)}"
    else:
        return
    raise QuerySyntaxError(f"{word!r} looks like {what}; rules do not read it as an operator", pos,
                           hint=f'write {instead}, or quote the word ("{word}") to search for it as written')


def _word_patterns(text: str, pos: int, phrase: bool) -> tuple[str, ...]:
    """Fold a term or phrase into word patterns: 'Peer-Support*' -> ('peer', 'support*')."""
    words = tuple(_WORD_PIECE.findall(fold(text)))
    for w in words:
        if w[0] in "*?":
            raise QuerySyntaxError(
                f"{text!r}: a wildcard must follow at least one letter (left truncation is not supported)", pos)
    if not words:
        what = "empty phrase" if phrase else f"{text!r} has no letters or digits"
        raise QuerySyntaxError(what, pos)
    return words


# -- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "END":
            raise QuerySyntaxError("empty query", 0)
        node = self.or_expr(DEFAULT_FIELDS)
        tok = self.peek()
        if tok.kind == "RPAREN":
            raise QuerySyntaxError("unbalanced parenthesis: ')' without a matching '('", tok.pos)
        if tok.kind != "END":  # pragma: no cover - every other token starts an operand
            raise QuerySyntaxError(f"unexpected {tok.value!r}", tok.pos)
        return node

    def or_expr(self, fields: tuple[str, ...]) -> Node:
        items = [self.and_expr(fields)]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.and_expr(fields))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, fields: tuple[str, ...]) -> Node:
        items = [self.not_expr(fields)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
            elif kind not in ("LPAREN", "PHRASE", "TERM", "TAG", "NOT"):
                break
            items.append(self.not_expr(fields))
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self, fields: tuple[str, ...]) -> Node:
        node = self.unary(fields)
        excluded = []
        while self.peek().kind == "NOT":
            self.take()
            excluded.append(Not(self.unary(fields)))
        return node if not excluded else And((node, *excluded))

    def unary(self, fields: tuple[str, ...]) -> Node:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.unary(fields))
        return self.near(fields)

    def near(self, fields: tuple[str, ...]) -> Node:
        start = self.peek().pos
        left = self.primary(fields)
        if self.peek().kind != "PROX":
            return left
        op = self.take()
        right_pos = self.peek().pos
        right = self.primary(fields)
        for node, pos in ((left, start), (right, right_pos)):
            if not _positional(node):
                raise QuerySyntaxError(
                    f"{op.value}: each side must be a word, a \"phrase\" or an OR-group of them", pos)
        if self.peek().kind == "PROX":
            raise QuerySyntaxError(f"{self.peek().value}: proximity operators cannot be chained; "
                                   "use AND between two NEAR expressions", self.peek().pos)
        return Near(left, right, op.distance, op.ordered)

    def primary(self, fields: tuple[str, ...]) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            if self.peek().kind == "RPAREN":
                raise QuerySyntaxError("empty parentheses", tok.pos)
            node = self.or_expr(fields)
            if self.peek().kind != "RPAREN":
                raise QuerySyntaxError("unbalanced parenthesis: this '(' is never closed", tok.pos)
            self.take()
            return node
        if tok.kind == "TAG":
            if self.peek().kind in ("END", "RPAREN", "AND", "OR", "PROX"):
                raise QuerySyntaxError(f"field tag '{tok.value}:' must be followed by a term, "
                                       "a \"phrase\" or a (group)", tok.pos)
            return self.primary(FIELD_TAGS[tok.value])
        if tok.kind == "TERM":
            return Term(_word_patterns(tok.value, tok.pos, False), fields, tok.pos, tok.value)
        if tok.kind == "PHRASE":
            return Term(_word_patterns(tok.value, tok.pos, True), fields, tok.pos, f'"{tok.value}"')
        if tok.kind == "END":
            prev = self.tokens[self.i - 2] if self.i >= 2 else None
            if prev is not None and prev.kind in ("AND", "OR", "NOT", "PROX"):
                raise QuerySyntaxError(f"dangling operator {prev.value}: nothing after it", prev.pos)
            raise QuerySyntaxError("unexpected end of query", tok.pos)
        if tok.kind == "RPAREN":
            prev = self.tokens[self.i - 2] if self.i >= 2 else None
            if prev is not None and prev.kind in ("AND", "OR", "NOT", "PROX"):
                raise QuerySyntaxError(f"dangling operator {prev.value}: nothing after it", prev.pos)
            raise QuerySyntaxError("unbalanced parenthesis: ')' without a matching '('", tok.pos)
        raise QuerySyntaxError(f"operator {tok.value} has nothing before it", tok.pos)


def _positional(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    return isinstance(node, Or) and all(isinstance(i, Term) for i in node.items)


# other systems' field syntax, pasted from a search strategy: it would be read as plain words
# ('wildfire*[tiab]' as the phrase "wildfire tiab", which matches nothing, so NOT it matches
# every record), so it is refused with the equivalent here. Only the real tags count: chemistry
# ('[NiFe]-hydrogenase', '[18F]FDG'), '[sic]', 'mg.kg.' and this language's own NEAR/3 stay words.
_PUBMED_TAGS = ("ti|ab|tiab|tw|mh|majr|mesh|mesh terms|mesh major topic|mh:noexp|pt|la|au|dp|sb|all|"
                "all fields|text word|title|title/abstract|nm|sh|ta|ad|affl|jour|pmid|uid|filter")
_OVID_TAGS = "ti|ab|tw|mp|kw|kf|sh|hw|pt|ot|fs|jn|au|ds|nm|rn|px|rs|tx|ti,ab"
_FOREIGN_SYNTAX = (
    (re.compile(rf"(?<=[\w*\"\s])\[(?:{_PUBMED_TAGS})\](?![\w-])", re.I),
     "a PubMed field tag: write ti:, ab:, kw:, au:, jo: instead (e.g. ti:wildfire* OR ab:wildfire*)"),
    (re.compile(rf"(?<=[\w*\")])\.(?:{_OVID_TAGS})(?:,(?:{_OVID_TAGS}))*\.(?=\s|\)|$)"),
     "an Ovid field suffix (.ti,ab.): write ti:(...) OR ab:(...) instead"),
    (re.compile(r"(?:^|(?<=[\s(]))exp\s+([A-Za-z][^/()]*?)/(?![\w/])", re.I),
     "an Ovid subject heading (exp X/): rules search the records' text; use kw: for index terms"),
)
_OPERATOR_WORD = re.compile(r"\b(?:and|or|not|near|pre)\b", re.I)


@lru_cache(maxsize=1024)
def parse(query: str) -> Node:
    """Parse a query string into an AST (cached; raises :class:`QuerySyntaxError`)."""
    for pattern, what in _FOREIGN_SYNTAX:
        for m in pattern.finditer(query):
            if _inside_quotes(query, m.start()):
                continue
            if m.groups() and _OPERATOR_WORD.search(m.group(1)):
                continue       # 'exp AND x NEAR/3 y': this language's operators, not a heading
            raise QuerySyntaxError(f"{m.group(0)!r} is {what}", m.start())
    return _Parser(query).parse()


def _inside_quotes(query: str, pos: int) -> bool:
    return sum(query[:pos].count(q) for q in ('"', "\u201c", "\u201d")) % 2 == 1


def terms(node: Node) -> list[Term]:
    """Every term in the query, in order."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.item)
    if isinstance(node, Near):
        return terms(node.left) + terms(node.right)
    return [t for item in node.items for t in terms(item)]


def fields_used(node: Node) -> set[str]:
    return {f for t in terms(node) for f in t.fields}
