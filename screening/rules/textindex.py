"""A positional word index over the text fields of a records table, built once per apply.

Why not regexes per record: 20 queries over 200,000 abstracts means ~60 terms x 270 MB of
text; even a C regex scan costs ~0.25 s per term there. Instead the text of every field is
folded (lower case, accents stripped), laid out as one UTF-8 byte buffer, and split into words
with numpy. Words are bucketed by their first two bytes with one O(n) radix sort, so a term
(``rat``, ``random*``, ``wom?n``) is found by slicing its bucket and comparing a few bytes,
vectorised, and phrases and proximity are arithmetic on word numbers (:mod:`.occurrences`).

Layout: every field value (and every item of a list field such as keywords) is one *segment*,
separated from the next by ``\\n``; words never span segments, so a phrase or a ``NEAR`` never
joins the end of a title to the start of the abstract, or two keywords.

Words are runs of letters and digits (after folding); everything else separates words, so
``peer-support`` is the two words ``peer support`` and ``rat`` does not match ``rate``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from screening.rules.occurrences import Occurrences
from screening.text_fold import fold_accents

# Query field tag -> records-table columns searched. A title is also its original-language
# form (MEDLINE's TT beside a bracketed English translation): `ti:sante` finds the French
# article that MEDLINE lists as '[Health ...]'.
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "ti": ("title", "title_original"),
    "ab": ("abstract",),
    "kw": ("keywords",),
    "au": ("authors",),
    "jo": ("journal", "journal_abbrev"),
}
FIELD_NAMES: dict[str, str] = {
    "ti": "title", "ab": "abstract", "kw": "keywords", "au": "authors", "jo": "journal",
}

_NONWORD = re.compile(r"[\W_]")
_NONASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_WORD_TEXT = re.compile(rb"[0-9A-Za-z\x80-\xff]+")

# Byte classes on the folded UTF-8 buffer: ASCII letters/digits and every byte >= 0x80 (folding
# turned non-ASCII punctuation into spaces, so what remains non-ASCII is a letter).
_WORD_BYTES = bytes(1 if (48 <= b <= 57 or 97 <= b <= 122 or 65 <= b <= 90 or b >= 128) else 0
                    for b in range(256))


@lru_cache(maxsize=65536)
def _fold_run(run: str) -> str:
    # the accents dedup folds too (one function: 'au:odegard' finds 'Ødegård' as dedup pairs
    # the two spellings), then case
    return _NONWORD.sub(" ", fold_accents(run.casefold()))


def _fold_match(m: re.Match[str]) -> str:
    return _fold_run(m.group())


def _fold_for_buffer(text: str) -> str:
    """Fold the non-ASCII parts only; ASCII is lower-cased later on the whole byte buffer."""
    return text if text.isascii() else _NONASCII_RUN.sub(_fold_match, text)


def fold(text: str) -> str:
    """Lower case, accents stripped, non-ASCII punctuation to spaces (as the index sees text)."""
    return _fold_for_buffer(text).lower()


def words_of(text: str) -> list[str]:
    """The words of a piece of text, exactly as the index splits it (used for terms and titles)."""
    return [m.decode("utf-8") for m in _WORD_TEXT.findall(fold(text).encode("utf-8"))]


def _column_chunks(values: list, is_list: bool) -> tuple[list[bytes], np.ndarray]:
    """One column as folded, lower-cased UTF-8 chunks: one segment per value (per item for list
    columns), segments separated by ``\\n`` within and between chunks.

    Returns the chunks and the number of segments per record (a record with an empty list still
    has one, empty, segment, so every record's segments are contiguous and counted).
    """
    if is_list:
        texts = ["\n".join(v) if v.__class__ is list else "" for v in values]
        counts = np.fromiter((len(v) if v.__class__ is list and v else 1 for v in values),
                             dtype=np.int64, count=len(values))
    else:
        texts = [v if v.__class__ is str else "" for v in values]
        counts = np.ones(len(values), dtype=np.int64)
    chunks = _encode(texts)
    if sum(c.count(b"\n") for c in chunks) != int(counts.sum()) - len(chunks):
        # a value contained a newline: make it a space
        if is_list:
            texts = ["\n".join(x.replace("\n", " ") for x in v) if v.__class__ is list else "" for v in values]
        else:
            texts = [t.replace("\n", " ") for t in texts]
        chunks = _encode(texts)
    return chunks, counts


def _encode(texts: list[str], chunk: int = 4096) -> list[bytes]:
    """Fold, ``\\n``-join, encode and lower-case texts in chunks: cache-sized passes, and joining
    a whole column as one str would widen it to 2-4 bytes per character as soon as one Greek
    letter is left in it."""
    parts = []
    for i in range(0, len(texts), chunk):
        part = [t if t.isascii() else _fold_for_buffer(t) for t in texts[i:i + chunk]]
        parts.append("\n".join(part).encode("utf-8").lower())
    return parts


def _literal_prefix(pattern: str) -> bytes:
    pat = pattern.encode("utf-8")
    cut = min((i for i, b in enumerate(pat) if b in b"*?"), default=len(pat))
    return pat[:cut]



def glob_match(word: bytes, pat: bytes) -> bool:
    """Whether ``word`` matches ``pat`` whole (``*`` any run of bytes, ``?`` one byte), in time
    linear in the word for each segment. A regular expression ('a[^\\n]*a[^\\n]*…z') backtracks
    exponentially in the number of inner stars: one rule 'ti:a*a*a*a*a*a*a*a*a*a*z' against a
    60-letter word hung apply_rules (acceptance 36b). Between stars each segment has a fixed
    length, so taking its leftmost place is never worse than a later one: no backtracking."""
    parts = pat.split(b"*")
    if len(parts) == 1:
        return len(word) == len(pat) and _segment_at(word, 0, pat)
    first, last = parts[0], parts[-1]
    end = len(word) - len(last)
    if end < len(first) or not _segment_at(word, 0, first) or not _segment_at(word, end, last):
        return False
    pos = len(first)
    for seg in parts[1:-1]:
        if not seg:
            continue
        found = _find_segment(word, seg, pos, end)
        if found < 0:
            return False
        pos = found + len(seg)
    return True


def _segment_at(word: bytes, pos: int, seg: bytes) -> bool:
    if b"?" not in seg:
        return word.startswith(seg, pos) and pos + len(seg) <= len(word)
    return pos + len(seg) <= len(word) and all(c == 63 or word[pos + k] == c for k, c in enumerate(seg))


def _find_segment(word: bytes, seg: bytes, start: int, end: int) -> int:
    """The leftmost place of ``seg`` (``?`` any byte) in ``word[start:end]``, or -1."""
    if b"?" not in seg:
        return word.find(seg, start, end)
    for pos in range(start, end - len(seg) + 1):
        if _segment_at(word, pos, seg):
            return pos
    return -1

class TextIndex:
    """Words of the chosen fields of ``records``, with positions; see the module docstring."""

    def __init__(self, records: pd.DataFrame, fields: Iterable[str], patterns: Iterable[str] | None = None):
        """Index ``fields`` of ``records``. Given the word ``patterns`` the queries will look up,
        only their buckets are sorted (others are found on demand), which saves most of the sort."""
        n = self.n_records = len(records)
        self.fields = tuple(sorted(set(fields)))
        chunks: list[bytes] = [b""]          # -> a leading b"\\n"
        seg_rec: list[np.ndarray] = []
        seg_field: list[np.ndarray] = []
        for f_id, tag in enumerate(self.fields):
            for col in FIELD_COLUMNS[tag]:
                if col not in records.columns:
                    continue
                col_chunks, counts = _column_chunks(records[col].tolist(), tag in ("kw", "au"))
                chunks.extend(col_chunks)
                seg_rec.append(np.repeat(np.arange(n, dtype=np.int32), counts))
                seg_field.append(np.full(int(counts.sum()), f_id, dtype=np.int8))
        # b"\n" + seg0 + b"\n" + seg1 ... + padding, so word tests may read a few bytes past the end.
        chunks.append(b"\n" * 15)
        buf = b"\n".join(chunks)
        del chunks
        self.seg_rec = np.concatenate(seg_rec) if seg_rec else np.zeros(0, np.int32)
        self.seg_field = np.concatenate(seg_field) if seg_field else np.zeros(0, np.int8)
        self.field_id = {tag: i for i, tag in enumerate(self.fields)}
        self._buf = buf
        self.low = np.frombuffer(buf, dtype=np.uint8)
        newlines = np.flatnonzero(self.low == 10)
        self.seg_start = newlines[: self.seg_rec.size] + 1
        self.isw = np.frombuffer(buf.translate(_WORD_BYTES), dtype=np.bool_)
        # int64 throughout: casting 46M positions to int32 costs more time than it saves memory
        self.word_start = np.flatnonzero(self.isw[1:] > self.isw[:-1]) + 1
        key = self.low[self.word_start].astype(np.uint16) << 8
        key |= self.low[self.word_start + 1]
        self._key = key
        self._sorted = np.ones(65536, dtype=bool)
        if patterns is not None:
            self._sorted[:] = False
            for p in patterns:
                lit = _literal_prefix(p)
                if len(lit) >= 2:
                    self._sorted[(lit[0] << 8) | lit[1]] = True
                elif lit:
                    self._sorted[lit[0] << 8:(lit[0] + 1) << 8] = True
            sel = np.flatnonzero(self._sorted[key])
            sub = key[sel]
            self._order = sel[np.argsort(sub, kind="stable")]    # radix sort for uint16 keys: O(n)
            counts = np.bincount(sub, minlength=65536)
        else:
            self._order = np.argsort(key, kind="stable")
            counts = np.bincount(key, minlength=65536)
        self._bounds = np.concatenate(([0], np.cumsum(counts)))
        self._cache: dict[str, np.ndarray] = {}
        self._has: dict[tuple[str, ...], np.ndarray] = {}
        self._filled: np.ndarray | None = None     # per segment: holds a word (has_words)

    def _bucket(self, lo_key: int, hi_key: int) -> np.ndarray:
        """Word numbers whose first two bytes are in [lo_key, hi_key), ascending."""
        if self._sorted[lo_key:hi_key].all():
            cand = self._order[self._bounds[lo_key]:self._bounds[hi_key]]
            return cand if hi_key - lo_key == 1 else np.sort(cand)
        return np.flatnonzero((self._key >= lo_key) & (self._key < hi_key))

    @property
    def n_words(self) -> int:
        return int(self.word_start.size)

    # -- single words ----------------------------------------------------------------------

    def match_word(self, pattern: str) -> np.ndarray:
        """Sorted word numbers matching one folded word pattern (``*`` any run, ``?`` one char)."""
        hit = self._cache.get(pattern)
        if hit is None:
            hit = self._match_word(pattern)
            self._cache[pattern] = hit
        return hit

    def _match_word(self, pattern: str) -> np.ndarray:
        pat = pattern.encode("utf-8")
        cut = min((i for i, b in enumerate(pat) if b in b"*?"), default=len(pat))
        lit, rest = pat[:cut], pat[cut:]
        if not lit:
            raise ValueError("a word pattern must start with a letter or digit")
        if len(lit) >= 2:
            k = (lit[0] << 8) | lit[1]
            cand = self._bucket(k, k + 1)
            done = 2
        else:
            cand = self._bucket(lit[0] << 8, (lit[0] + 1) << 8)
            done = 1
        s = self.word_start[cand]
        for k in range(done, len(lit)):
            keep = self.low[s + k] == lit[k]
            cand, s = cand[keep], s[keep]
        if not rest:
            return cand[~self.isw[s + len(lit)]]
        if rest == b"*":
            return cand
        if b"*" not in rest:   # only '?' and letters: fixed length, fixed bytes
            keep = ~self.isw[s + len(pat)]
            for k in range(cut, len(pat)):
                keep &= self.isw[s + k] if pat[k] == ord("?") else self.low[s + k] == pat[k]
            return cand[keep]
        seen: dict[bytes, bool] = {}
        keep = np.zeros(cand.size, dtype=bool)
        for i in range(cand.size):
            word = self._word_at(int(s[i]))
            ok = seen.get(word)
            if ok is None:
                ok = seen[word] = glob_match(word, pat)
            keep[i] = ok
        return cand[keep]

    def _word_at(self, start: int) -> bytes:
        m = _WORD_TEXT.match(self._buf, start)
        return m.group() if m else b""

    # -- terms and phrases -----------------------------------------------------------------

    def segment_of(self, words: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.seg_start, self.word_start[words], side="right") - 1

    def _bucket_size(self, pattern: str) -> int:
        lit = _literal_prefix(pattern)
        lo, hi = ((lit[0] << 8) | lit[1], ((lit[0] << 8) | lit[1]) + 1) if len(lit) >= 2 else (lit[0] << 8, (lit[0] + 1) << 8)
        if not self._sorted[lo:hi].all():
            return self.n_words
        return int(self._bounds[hi] - self._bounds[lo])

    def _verify(self, words: np.ndarray, pattern: str) -> np.ndarray:
        """Which of the given word numbers match ``pattern`` (for phrase words beside an anchor)."""
        pat = pattern.encode("utf-8")
        s = self.word_start[words].astype(np.int64)
        keep = np.ones(words.size, dtype=bool)
        cut = min((i for i, b in enumerate(pat) if b in b"*?"), default=len(pat))
        rest = pat[cut:]
        if b"*" in rest[:-1] or (rest and rest[-1:] == b"*" and b"?" in rest):
            cand = self._match_word(pattern)    # rare: inner '*', check against the full match
            idx = np.minimum(np.searchsorted(cand, words), max(cand.size - 1, 0))
            return (cand[idx] == words) if cand.size else keep & False
        for k in range(len(pat)):
            if pat[k] == ord("*"):
                break
            keep &= self.isw[s + k] if pat[k] == ord("?") else self.low[s + k] == pat[k]
        if not pat.endswith(b"*"):
            keep &= ~self.isw[s + len(pat)]
        return keep

    def occurrences(self, words: Sequence[str], fields: Sequence[str]) -> Occurrences:
        """Where the word sequence (a term, or a phrase of several words) occurs in ``fields``.

        A phrase is anchored on its rarest word (smallest bucket); the other words are checked
        in place, so 'quality of life' never lists every 'of'.
        """
        if len(words) == 1:
            first = self.match_word(words[0])
        else:
            anchor = min(range(len(words)), key=lambda j: self._bucket_size(words[j]))
            first = self.match_word(words[anchor]) - anchor
            first = first[(first >= 0) & (first + len(words) - 1 < self.n_words)]
            for j, w in enumerate(words):
                if j != anchor and first.size:
                    first = first[self._verify(first + j, w)]
        if not first.size:
            return Occurrences.empty()
        first = first.astype(np.int64)
        last = first + (len(words) - 1)
        seg = self.segment_of(first)
        keep = seg == self.segment_of(last) if len(words) > 1 else np.ones(seg.size, bool)
        wanted = np.zeros(len(self.fields), dtype=bool)
        for f in fields:
            if f in self.field_id:
                wanted[self.field_id[f]] = True
        keep &= wanted[self.seg_field[seg]]
        return Occurrences(first[keep], last[keep], seg[keep])

    def has_words(self, fields: Sequence[str]) -> np.ndarray:
        """Per record: whether any of ``fields`` holds a word. A query cannot tell whether a
        record without one (no abstract) is about its terms (:mod:`screening.rules.query_eval`)."""
        key = tuple(sorted(set(fields)))
        mask = self._has.get(key)
        if mask is None:
            if self._filled is None:
                # a segment holds a word when the next segment's first word comes later than its own
                first = np.searchsorted(self.word_start, self.seg_start)
                self._filled = np.diff(np.append(first, self.word_start.size)) > 0
            wanted = np.zeros(len(self.fields), dtype=bool)
            wanted[[self.field_id[f] for f in key if f in self.field_id]] = True
            mask = np.zeros(self.n_records, dtype=bool)
            mask[self.seg_rec[self._filled & wanted[self.seg_field]]] = True
            self._has[key] = mask
        return mask

    def record_mask(self, occ: Occurrences) -> np.ndarray:
        mask = np.zeros(self.n_records, dtype=bool)
        if len(occ):
            mask[self.seg_rec[occ.seg]] = True
        return mask

    def records_of(self, occ: Occurrences) -> np.ndarray:
        return self.seg_rec[occ.seg]

    def texts(self, occ: Occurrences) -> tuple[np.ndarray, list[str]]:
        """Every occurrence's folded text as (code per occurrence, distinct texts).

        Vectorised (e.g. 100,000 hits of ``child*``): the bytes of each occurrence are gathered
        into a fixed-width matrix and made unique with numpy, so only distinct texts are decoded.
        """
        codes = np.zeros(len(occ), dtype=np.int64)
        texts: list[str] = []
        for group in (np.flatnonzero(occ.start == occ.end), np.flatnonzero(occ.start != occ.end)):
            if not group.size:
                continue
            first = self.word_start[occ.start[group]].astype(np.int64)
            last = self.word_start[occ.end[group]].astype(np.int64)
            stop = last + self._word_lengths(last)
            width = int(min((stop - first).max(), 512))
            cols = np.minimum(first[:, None] + np.arange(width), self.low.size - 1)
            mat = np.where(cols < stop[:, None], self.low[cols], 0).astype(np.uint8)
            keys = np.ascontiguousarray(mat).view(f"S{width}").ravel()
            uniq, inverse = np.unique(keys, return_inverse=True)
            codes[group] = inverse.ravel() + len(texts)
            texts.extend(" ".join(w.decode("utf-8", "replace") for w in _WORD_TEXT.findall(u)) for u in uniq)
        return codes, texts

    def _word_lengths(self, starts: np.ndarray) -> np.ndarray:
        """Length in bytes of the words starting at ``starts`` (vectorised; words over 256 bytes are cut)."""
        length = np.zeros(starts.size, dtype=np.int64)
        alive = np.ones(starts.size, dtype=bool)
        k = 0
        while alive.any() and k < 256:
            alive &= self.isw[starts + k]
            length += alive
            k += 1
        return length

    def text_of(self, occ: Occurrences, i: int) -> str:
        """The folded text of occurrence ``i`` (words joined by single spaces)."""
        words = []
        for w in range(int(occ.start[i]), int(occ.end[i]) + 1):
            words.append(self._word_at(int(self.word_start[w])).decode("utf-8", "replace"))
        return " ".join(words)
