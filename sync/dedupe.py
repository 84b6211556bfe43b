"""Find initiatives sent more than once: resubmitted by their author, or copied by someone else.

Two rows hold "the same initiative" when their folded titles and descriptions are similar enough
(`DedupeSettings`, 0-100). What follows depends on who sent them:

- the same author: the latest row is kept; the older ones are superseded (status DUPLICATE,
  `duplicate_of` pointing at the kept row);
- different authors: both rows stay and name each other in `similar_to`, for an officer to judge
  (D14: an authorship dispute makes a dossier invalid, so this is worth a look, not a deletion).

Comparing all pairs is quadratic, so the pairs to score come from blocking. One author sends few
rows, so all rows of an author are compared with each other; but the rows taken for one author
(one name and contact) can grow with the campaign, so a large group is blocked too, with caps
that keep the pairs of a row bounded whatever the group's size (and a batch of groups at a time,
so that their trigrams are never copied all at once). Across authors, each row is indexed
under its rarest syllable trigrams (prefix filtering), and rows sharing several of them are
candidates: a near-copy keeps most trigrams of its original, hence most of the rarest, while
unrelated rows seldom share more than one or two. Single syllables would not do: folded
Vietnamese has only a few thousand distinct syllables, so even the rarest syllable of a row is
common. Candidates are then scored with rapidfuzz, titles first: most candidates fail, and
what a title fails by is often more than the description can make up, as its length and its
characters show, so many descriptions, which cost the most to compare, are never compared.

At a million rows, anything done per row or per pair in Python costs seconds, so the indexing
runs on numpy arrays and the scoring in rapidfuzz; the Python work per row is little more than
folding its text. The peak memory is set by how many arrays of trigrams (some hundred a row) live
at once, so they are worked in place wherever they can be, and filled rather than concatenated.
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import combinations, count, pairwise, repeat

import numpy as np
from rapidfuzz import fuzz, process

from .config import DedupeSettings
from .cores import in_threads, read_ahead, shares_of
from .memory import no_cycle_collection
from .models import Response, Status
from .text import fold, fold_many

# Title and description count in proportion to their length, as if the whole text were compared,
# but the title at least this much: a changed title says something even under a long description.
TITLE_MIN_WEIGHT = 0.25

# Same-author groups larger than this (an officer typing in a whole unit's initiatives under
# their own name) are blocked like the rows of different authors, not compared pair by pair.
ALL_PAIRS_MAX_GROUP = 40

# Pairs are scored in groups whose cutoffs differ by this much (see `_pairwise`): a few calls
# into rapidfuzz, each with a cutoff close to what its pairs need.
CUTOFF_STEP = 5.0


@dataclass(frozen=True, slots=True)
class _Blocking:
    """How candidate pairs are drawn (prefix filtering, see `_candidate_codes`)."""

    prefix_min: int  # every row is indexed under at least this many of its rarest trigrams,
    prefix_share: float  # plus this share of its trigram count
    shared: int  # rows sharing this many indexed trigrams (or all, if they have fewer) pair
    max_trigram_share: float  # a trigram in more than this share of the rows is boilerplate,
    max_trigram_floor: int  # unless in fewer rows than this: either way it is never indexed
    max_posting: int  # an index key of more rows than this is boilerplate too: pairs nothing
    window: int = 0  # key on pairs of an indexed trigram and each of the next `window` ones
    # (0: on single trigrams)


# Across authors: each row is indexed under its 16 + 5 % rarest trigrams, and rows sharing four
# of them are candidates. In a large set a few rare-ish trigrams are shared by chance with
# unrelated rows (wording from the same model text), four seldom; a copy keeps most of its
# original's. Pairing each indexed trigram with the next four only keeps the index small (some 75
# keys a row instead of 200) and still finds copies, whose shared trigrams sit close together in
# both rows. On generated sets of 5,000 to 1,000,000 rows this gives under one candidate a row,
# among which more than 99 % of the copies.
CROSS_AUTHOR = _Blocking(
    prefix_min=16,
    prefix_share=0.05,
    shared=4,
    max_trigram_share=0.01,
    max_trigram_floor=500,
    max_posting=30,
    window=4,
)
# Within large same-author groups, keyed by author (see `_large_group_pairs`), under caps that do
# not grow with the group, so that a row's candidates are bounded whatever the group's size: rows
# sharing one of their 4 + 25 % rarest trigrams, which finds heavier edits (a trigram in more than
# ten of an author's rows is their boilerplate), and rows sharing four of them as in CROSS_AUTHOR,
# which finds light edits of rows whose every trigram is common among that author's rows (model
# text typed in again and again). On generated sets this finds what comparing all pairs found.
SAME_AUTHOR = (
    _Blocking(
        prefix_min=4,
        prefix_share=0.25,
        shared=1,
        max_trigram_share=0.0,
        max_trigram_floor=10,
        max_posting=10,
    ),
    _Blocking(
        prefix_min=16,
        prefix_share=0.05,
        shared=4,
        max_trigram_share=0.0,
        max_trigram_floor=1000,
        max_posting=50,
        window=4,
    ),
)

# Rows are turned into trigrams this many at a time, to keep the temporary arrays small.
_CHUNK_ROWS = 2_000
# Large same-author groups are blocked and scored about this many rows at a time: at a million
# rows they hold a third of the rows, and blocking them all at once held their trigrams thrice.
_GROUP_BATCH_ROWS = 20_000
# Whole-array steps that would need a temporary as large as their input go this many entries
# at a time.
_BLOCK = 1 << 20
# Arrays at least this long are sorted a part per core (`_sort`).
_SORTED_IN_PARTS_MIN = 1 << 20
# Character classes of `_common_letters_bound`, by UTF-8 byte: each lower-case ASCII letter,
# digit and the space its own; every other character (its first byte) one class; the
# continuation bytes of a character a last class, not counted.
_CHAR_CLASS = np.full(256, 37, dtype=np.uint8)
_CHAR_CLASS[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789 ", dtype=np.uint8)] = range(37)
_CHAR_CLASS[0x80:0xC0] = 38
_CLASSES = 39
# Pairs whose class counts are compared at once: temporary arrays of some megabytes.
_PAIRS_AT_ONCE = 100_000
# Candidate pairs scored at once (`_alike`): the dozen arrays as long as them that scoring
# works with take some hundreds of megabytes.
_SCORED_AT_ONCE = 1 << 21
_NON_DIGIT = re.compile(r"\D+")
_END = "\x01"  # a syllable of its own, marking the end of a text; fold() never leaves one
# _FIRST_BYTES[n] keeps the first n bytes of a little-endian number.
_FIRST_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class DedupeResult:
    """What `find_duplicates` found, by response id; `apply_duplicates` writes it down."""

    superseded: dict[str, str] = field(default_factory=dict)  # older row id -> kept row id
    similar: dict[str, list[str]] = field(default_factory=dict)  # id -> other authors' ids


@dataclass(frozen=True, slots=True)
class _ScoredTexts:
    """Each row's texts as arrays of objects: numpy gathers the two texts of millions of pairs
    from them in compiled code, where a list was read item by item in Python (at a million
    rows, scoring took 19.8 s instead of 22.2)."""

    title: np.ndarray
    # Each title with its words sorted: fuzz.ratio of two such titles is their
    # fuzz.token_sort_ratio, which would sort the words again for every pair.
    title_words_sorted: np.ndarray
    description: np.ndarray


@dataclass(slots=True)
class _Rows:
    """The rows taking part, as parallel lists and arrays: at a million rows, an object per row
    costs more than the work itself."""

    pos: list[int]  # index into the caller's list of responses
    title: list[str]  # folded
    description: list[str]  # folded
    author: list[int]
    # Until their last use (`hand_over_trigrams`): the hashes of each row's syllable trigrams,
    # row after row; row i's are trigrams[offsets[i]:offsets[i + 1]].
    trigrams: np.ndarray
    offsets: np.ndarray
    # The characters of each title and description: scoring needs them for every batch of pairs.
    title_length: np.ndarray = field(init=False)
    description_length: np.ndarray = field(init=False)
    # The texts pairs are scored on, once a pair is scored (`scored_texts`).
    _scored_texts: _ScoredTexts | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.title_length = _lengths(self.title)
        self.description_length = _lengths(self.description)

    def scored_texts(self) -> _ScoredTexts:
        """The texts pairs are scored on, made once for all the batches of pairs: most rows take
        part in some pair."""
        if self._scored_texts is None:
            # Once per distinct title: many rows are copies or resubmissions.
            sorted_once = {title: " ".join(sorted(title.split())) for title in set(self.title)}
            words_sorted = list(map(sorted_once.__getitem__, self.title))
            self._scored_texts = _ScoredTexts(
                np.array(self.title, dtype=object),
                np.array(words_sorted, dtype=object),
                np.array(self.description, dtype=object),
            )
        return self._scored_texts

    def __len__(self) -> int:
        return len(self.pos)

    def take(self, indexes: Iterable[int]) -> _Rows:
        """The rows at these (increasing) indexes."""
        picked = np.fromiter(indexes, dtype=np.int64)
        listed = picked.tolist()
        return _Rows(
            pos=[self.pos[i] for i in listed],
            title=[self.title[i] for i in listed],
            description=[self.description[i] for i in listed],
            author=[self.author[i] for i in listed],
            trigrams=self._trigrams_of(picked),
            offsets=np.r_[0, np.cumsum(np.diff(self.offsets)[picked])],
        )

    def hand_over_trigrams(self, picked: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The trigrams of the rows at these (increasing) indexes, and how many each has, for a
        last use that may overwrite them; the rows keep none. At a million rows the trigrams are
        over a gigabyte: holding them twice, or beside their packed form, would set the peak."""
        picked_rows = np.array(picked, dtype=np.int64)
        counts = np.diff(self.offsets)
        trigrams = self.trigrams
        if len(picked_rows) < len(self):
            wanted = np.zeros(len(self), dtype=bool)
            wanted[picked_rows] = True
            trigrams = _compacted(trigrams, np.repeat(wanted, counts))
        self.trigrams = trigrams[:0].copy()
        self.offsets = np.zeros(len(self) + 1, dtype=np.int64)
        return trigrams, counts[picked_rows]

    def _trigrams_of(self, picked: np.ndarray) -> np.ndarray:
        counts = np.diff(self.offsets)
        if len(picked) * 8 > len(self):
            # Most rows: one mask over every trigram is cheaper than listing their positions.
            wanted = np.zeros(len(self), dtype=bool)
            wanted[picked] = True
            return self.trigrams[np.repeat(wanted, counts)]
        # A few rows (a group of a large set): their positions, without a pass over every
        # trigram.
        counts = counts[picked]
        ends = np.cumsum(counts)
        shift = np.repeat(self.offsets[picked] - (ends - counts), counts)
        return self.trigrams[np.arange(int(ends[-1]) if len(ends) else 0) + shift]


def find_duplicates(responses: Sequence[Response], settings: DedupeSettings) -> DedupeResult:
    """Decide which rows are superseded resubmissions and which look copied; change nothing."""
    with no_cycle_collection():
        rows = _content_rows(responses)
        superseded = _supersede(rows, responses, settings.same_author_threshold)
        alive = [i for i, pos in enumerate(rows.pos) if pos not in superseded]
        similar = _cross_author_pairs(rows, alive, settings.cross_author_threshold)
        return DedupeResult(
            superseded={responses[old].id: responses[kept].id for old, kept in superseded.items()},
            similar=_similar_ids(responses, similar),
        )


def apply_duplicates(responses: Iterable[Response], result: DedupeResult) -> None:
    """Write a `find_duplicates` result onto the responses; running it twice changes nothing."""
    for response in responses:
        kept = result.superseded.get(response.id)
        if kept is not None:
            response.status = Status.DUPLICATE
            response.duplicate_of = kept
        for other in result.similar.get(response.id, ()):
            if other not in response.similar_to:
                response.similar_to.append(other)


def content_similarity(title_a: str, description_a: str, title_b: str, description_b: str) -> float:
    """The 0-100 score the thresholds apply to, for two rows' raw title and description."""
    rows = _Rows(
        pos=[0, 1],
        title=[fold(title_a), fold(title_b)],
        description=[fold(description_a), fold(description_b)],
        author=[0, 1],
        trigrams=np.zeros(0, dtype=np.int64),
        offsets=np.zeros(3, dtype=np.int64),
    )
    return float(_scores(rows, np.array([0]), np.array([1]))[0])


# --- Preparing the rows ---------------------------------------------------------------------------


def _content_rows(responses: Sequence[Response]) -> _Rows:
    """Fold every row with some content; rows already marked duplicate are settled and skipped."""
    authors = _author_ids(responses)
    positions = [pos for pos, r in enumerate(responses) if r.status != Status.DUPLICATE]
    # Folded all, repeats too: a dict of the distinct texts would cost more than folding them
    # again, as titles and descriptions repeat far less than names and units.
    titles = fold_many([responses[pos].title for pos in positions])
    descriptions = fold_many([responses[pos].description for pos in positions])
    with_content = [i for i, title in enumerate(titles) if title or descriptions[i]]
    if len(with_content) < len(positions):
        positions = [positions[i] for i in with_content]
        titles = [titles[i] for i in with_content]
        descriptions = [descriptions[i] for i in with_content]
    trigrams, offsets = _all_trigram_hashes(titles, descriptions)
    return _Rows(
        pos=positions,
        title=titles,
        description=descriptions,
        author=[authors[pos] for pos in positions],
        trigrams=trigrams,
        offsets=offsets,
    )


def _all_trigram_hashes(
    titles: list[str], descriptions: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of each folded row's syllable trigrams (one per syllable: the trigram it
    starts), row after row, and where each row's start (then where the last one ends).

    Hashed a chunk of rows at a time, in a thread per core, each chunk written into its place
    in one array sized beforehand: concatenating the chunks would hold the trigrams twice,
    which at a million rows is the peak memory of the whole de-duplication.
    """
    counts = _word_counts(titles) + _word_counts(descriptions)
    offsets = np.r_[0, np.cumsum(counts)]
    trigrams = np.empty(int(offsets[-1]), dtype=np.int64)

    def hash_chunk(chunk: range) -> None:
        trigrams[offsets[chunk.start] : offsets[chunk.stop]] = _trigram_hashes(
            titles[chunk.start : chunk.stop], descriptions[chunk.start : chunk.stop]
        )

    in_threads(shares_of(len(titles), _CHUNK_ROWS), hash_chunk)
    return trigrams, offsets


def _word_counts(folded: list[str]) -> np.ndarray:
    """How many syllables each folded text has: fold() separates them by single spaces."""
    spaces = np.fromiter(map(str.count, folded, repeat(" ")), dtype=np.int64, count=len(folded))
    return spaces + np.fromiter(map(bool, folded), dtype=np.int64, count=len(folded))


def _trigram_hashes(titles: list[str], descriptions: list[str]) -> np.ndarray:
    """The trigram hashes of folded rows, row after row (as many as `_word_counts` says).

    Works on the bytes of all rows at once rather than word by word in Python. Each row is
    followed by two end marks, so that no trigram spans two rows and a row of one or two
    syllables still has trigrams.
    """
    text = "".join(
        f"{title} {description} {_END} {_END} "
        for title, description in zip(titles, descriptions, strict=True)
    )
    joined = np.frombuffer(text.encode(), np.uint8)
    keys = _syllable_keys(joined)
    # One trigram per syllable but the end marks.
    return _mix(keys[:-2], keys[1:-1], keys[2:])[keys[:-2] != ord(_END)]


def _syllable_keys(text: np.ndarray) -> np.ndarray:
    """A number for each space-separated syllable of a byte array: its bytes themselves when it
    has at most eight (Vietnamese syllables have at most seven letters), else a hash of its
    first and last eight bytes and its length. It depends on the syllable alone, so neither the
    order of the rows nor anything else changes which trigrams tie in rarity."""
    space = text == ord(" ")
    letter = ~space
    begin = np.flatnonzero(letter & np.r_[True, space[:-1]])
    end = np.flatnonzero(letter & np.r_[space[1:], True]) + 1
    length = end - begin
    # The eight bytes from each position, read as one little-endian number.
    windows = np.lib.stride_tricks.sliding_window_view(np.r_[text, np.zeros(8, np.uint8)], 8)
    keys = _as_numbers(windows[begin]) & _FIRST_BYTES[np.minimum(length, 8)]
    long = np.flatnonzero(length > 8)
    if len(long):
        tail = _as_numbers(windows[end[long] - 8])
        keys[long] = _mix(keys[long], tail, length[long]).view(np.uint64)
    return keys.view(np.int64)


def _as_numbers(rows_of_eight_bytes: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rows_of_eight_bytes).view("<u8").ravel().astype(np.uint64)


def _author_ids(responses: Sequence[Response]) -> list[int]:
    """Number each row's author: rows get one number when they carry the same folded full name
    and share a phone, an email or a unit with each other (directly or through other rows).

    A name alone is not enough: Vietnamese names repeat a lot ("Nguyễn Thị Hương"). A row without
    a name, or with a name and nothing to confirm it, is an author of its own.
    """
    return _earliest_members(len(responses), _same_author_links(responses))


def _same_author_links(responses: Sequence[Response]) -> Iterator[tuple[int, int]]:
    """Pairs of rows with the same folded name and one identity key in common: each row and the
    first row that shares both with it. The keys are made a list at a time and looked up as
    (name, key) pairs, in C, not a row and a key at a time in Python: at a hundred thousand
    rows the authors are numbered in 0.16 s instead of 0.22."""
    names = _fold_all([response.full_name for response in responses])
    named = np.fromiter(map(bool, names), dtype=bool, count=len(names))
    for keys in _identity_keys(responses):
        first_with: dict[tuple[str, str], int] = {}
        firsts = np.fromiter(
            map(first_with.setdefault, zip(names, keys, strict=True), count()),
            dtype=np.int64,
            count=len(keys),
        )
        keyed = np.fromiter(map(bool, keys), dtype=bool, count=len(keys))
        linked = np.flatnonzero(named & keyed & (firsts != np.arange(len(keys))))
        yield from zip(linked.tolist(), firsts[linked].tolist(), strict=True)


def _earliest_members(size: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """Union-find over `size` items: for each, the smallest item connected to it by `edges`.
    The earliest row names its group, so the result does not depend on the edges' order."""
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    return [root(i) for i in range(size)]


def _identity_keys(responses: Sequence[Response]) -> Iterator[list[str]]:
    """What each row says about who sent it besides the name, a kind of key at a time ("": the
    row says nothing of that kind): the phone, the email, the unit and the unit as typed."""
    # The last nine digits: the same number as 0912…, +84 912… or a number cell without the 0.
    digits = [
        p if p.isdigit() else _NON_DIGIT.sub("", p) for p in (r.phone or "" for r in responses)
    ]
    yield [number[-9:] if len(number) >= 9 else "" for number in digits]
    emails = [response.email.strip().lower() for response in responses]
    yield [email if "@" in email else "" for email in emails]
    yield [response.unit_id or "" for response in responses]
    yield _fold_all([response.grassroots_unit for response in responses])


def _fold_all(texts: list[str]) -> list[str]:
    """fold() each text, once per distinct text."""
    distinct = list(dict.fromkeys(texts))
    folded = dict(zip(distinct, fold_many(distinct), strict=True))
    return list(map(folded.__getitem__, texts))


# --- Same author: the latest row supersedes the older ones ----------------------------------------


def _supersede(rows: _Rows, responses: Sequence[Response], threshold: float) -> dict[int, int]:
    """Map the position of each superseded row to the position of the row that replaces it.

    Rows of one author that are alike, directly or through a chain of versions, are one
    initiative: its latest row is kept and every other row points at that one.
    """
    firsts: list[int] = []
    seconds: list[int] = []
    # The next batch is blocked (numpy) while this one is scored (rapidfuzz): both let the
    # other thread run. At a million rows, 30 s instead of 35.
    for a_idx, b_idx in read_ahead(_same_author_candidates(rows), depth=1):
        same = _alike(rows, a_idx, b_idx, threshold)
        firsts.extend(a_idx[same].tolist())
        seconds.extend(b_idx[same].tolist())
    clusters = _clusters(len(rows), zip(firsts, seconds, strict=True))
    recency = _recency_key(responses)
    superseded: dict[int, int] = {}
    for cluster in clusters:
        kept = rows.pos[max(cluster, key=lambda i: recency(rows.pos[i]))]
        for i in cluster:
            if rows.pos[i] != kept:
                superseded[rows.pos[i]] = kept
    return superseded


def _same_author_candidates(rows: _Rows) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches of pairs of rows by one author to score: every pair of each small group; in
    large groups, the pairs that blocking draws, a batch of groups at a time."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, author in enumerate(rows.author):
        groups[author].append(i)
    firsts: list[int] = []
    seconds: list[int] = []
    for members in groups.values():
        if len(members) <= ALL_PAIRS_MAX_GROUP:
            for a, b in combinations(members, 2):
                firsts.append(a)
                seconds.append(b)
    yield np.array(firsts, dtype=np.int64), np.array(seconds, dtype=np.int64)
    large = (members for members in groups.values() if len(members) > ALL_PAIRS_MAX_GROUP)
    for batch in _batches(large, _GROUP_BATCH_ROWS):
        yield _large_group_pairs(rows, batch)


def _batches(groups: Iterable[list[int]], max_rows: int) -> Iterator[list[int]]:
    """The members of consecutive groups, sorted, about `max_rows` at a time (a group is never
    split, so a batch holds more when one group alone does)."""
    batch: list[int] = []
    for members in groups:
        batch.extend(members)
        if len(batch) >= max_rows:
            yield sorted(batch)
            batch = []
    if batch:
        yield sorted(batch)


def _large_group_pairs(rows: _Rows, members: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs among the rows of some large same-author groups, blocked together: each
    trigram is keyed with its row's author, so rows of different authors never share a key
    (but for a rare hash collision, dropped here). A group grows with the campaign, so its
    pairs are drawn under caps that do not: all pairs of a group would be quadratic. The
    rarity of a keyed trigram is counted within its author's rows, so which groups are blocked
    together does not change the pairs, only the memory it takes."""
    picked = rows.take(members)
    author = np.array(picked.author, dtype=np.int64)
    # The picked trigrams are a copy of the rows': keyed in its place rather than beside it.
    picked.trigrams = _mix(picked.trigrams, np.repeat(author, np.diff(picked.offsets)))
    everyone = range(len(picked))
    row_bits = _row_bits(len(picked))
    codes = [
        _candidate_codes(replace(picked, trigrams=picked.trigrams.copy()), everyone, b)
        for b in SAME_AUTHOR
    ]
    pairs = _unpacked_pairs(_distinct_sorted(np.concatenate(codes)), row_bits)
    pairs = pairs[author[pairs[:, 0]] == author[pairs[:, 1]]]
    positions = np.array(members, dtype=np.int64)
    return positions[pairs[:, 0]], positions[pairs[:, 1]]


def _clusters(size: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components with more than one member, each sorted, in order of first member."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, earliest in enumerate(_earliest_members(size, edges)):
        members[earliest].append(i)
    return [group for group in members.values() if len(group) > 1]


def _recency_key(responses: Sequence[Response]) -> Callable[[int], tuple[float, int, int, int]]:
    """Later submissions sort last; ties go to the later row of the source, sources in the order
    they were read. A row without a timestamp counts as the oldest."""
    source_rank: dict[str, int] = {}
    for response in responses:
        source_rank.setdefault(response.source, len(source_rank))

    def key(pos: int) -> tuple[float, int, int, int]:
        response = responses[pos]
        return (
            _moment(response.submitted_at),
            source_rank[response.source],
            response.row,
            pos,
        )

    return key


def _moment(value: datetime | None) -> float:
    if value is None:
        return -math.inf
    if value.tzinfo is None:
        # Naive times are all in the campaign's zone; any fixed zone keeps their order.
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


# --- Different authors: flag both rows ------------------------------------------------------------


def _cross_author_pairs(rows: _Rows, alive: list[int], threshold: float) -> list[tuple[int, int]]:
    """Pairs of positions, each smaller first, of rows (among `alive`) by different authors that
    look alike.

    Rows with identical folded text are grouped first and one of each group is indexed: a text
    pasted by hundreds of people would otherwise only produce boilerplate keys, over the cap.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in alive:
        groups[(rows.title[i], rows.description[i])].append(i)
    members = list(groups.values())
    heads = [group[0] for group in members]
    pairs: set[tuple[int, int]] = set()
    for group in members:
        pairs.update(_across(rows, group, group))
    # The last use of the trigrams: blocking takes them over.
    candidates = _unpacked_pairs(_candidate_codes(rows, heads, CROSS_AUTHOR), _row_bits(len(heads)))
    if len(candidates):
        a_idx, b_idx = candidates[:, 0], candidates[:, 1]
        head_rows = np.array(heads, dtype=np.int64)
        alike = _alike(rows, head_rows[a_idx], head_rows[b_idx], threshold)
        for a, b in zip(a_idx[alike].tolist(), b_idx[alike].tolist(), strict=True):
            pairs.update(_across(rows, members[a], members[b]))
    return sorted(pairs)


def _across(rows: _Rows, group_a: list[int], group_b: list[int]) -> Iterable[tuple[int, int]]:
    for a in group_a:
        for b in group_b:
            if rows.author[a] != rows.author[b]:
                yield (min(rows.pos[a], rows.pos[b]), max(rows.pos[a], rows.pos[b]))


def _similar_ids(
    responses: Sequence[Response], pairs: Iterable[tuple[int, int]]
) -> dict[str, list[str]]:
    similar: dict[int, set[str]] = defaultdict(set)
    for a, b in pairs:
        similar[a].add(responses[b].id)
        similar[b].add(responses[a].id)
    return {responses[pos].id: sorted(similar[pos]) for pos in sorted(similar)}


# --- Scoring --------------------------------------------------------------------------------------


def _alike(rows: _Rows, a_idx: np.ndarray, b_idx: np.ndarray, threshold: float) -> np.ndarray:
    """Whether each pair of rows (a_idx[k], b_idx[k]) scores `threshold` or more (`_scores`),
    `_SCORED_AT_ONCE` pairs at a time: at a million rows the candidate pairs number millions,
    and scoring them all at once held a dozen arrays as long as them, the peak of the sync."""
    alike = np.empty(len(a_idx), dtype=bool)
    for start in range(0, len(a_idx), _SCORED_AT_ONCE):
        part = slice(start, start + _SCORED_AT_ONCE)
        alike[part] = _scores(rows, a_idx[part], b_idx[part], threshold) >= threshold
    return alike


def _scores(
    rows: _Rows, a_idx: np.ndarray, b_idx: np.ndarray, threshold: float = 0.0
) -> np.ndarray:
    """Similarity (0-100) of each pair of rows (a_idx[k], b_idx[k]).

    Titles are compared by edit distance on the text and on its sorted words (a reworded title
    keeps its words), descriptions by edit distance, which tolerates typos and an added sentence.
    A field that one of the two rows lacks is left out; two rows sharing no field score 0.
    Most candidate pairs fail, so a pair is scored only as far as it can still reach
    `threshold`; one that cannot gets some lower score.
    """
    title_length, desc_length = rows.title_length, rows.description_length
    title_a, title_b = title_length[a_idx], title_length[b_idx]
    desc_a, desc_b = desc_length[a_idx], desc_length[b_idx]
    both_titles = (title_a > 0) & (title_b > 0)
    both_descs = (desc_a > 0) & (desc_b > 0)
    title_share = np.maximum(
        TITLE_MIN_WEIGHT, (title_a + title_b) / np.maximum(title_a + title_b + desc_a + desc_b, 1)
    )
    title_weight = np.where(both_titles, np.where(both_descs, title_share, 1.0), 0.0)
    desc_weight = np.where(both_descs, 1.0 - title_weight, 0.0)
    # The edit-distance ratio of two texts is at most what their lengths allow.
    desc_bound = 200 * np.minimum(desc_a, desc_b) / np.maximum(desc_a + desc_b, 1)
    # Titles first: short, they cost a fraction of a description, and their score tells how
    # much the description must make up, which rules most failing pairs out before comparing
    # their descriptions.
    title_score = np.zeros(len(a_idx))
    todo = np.flatnonzero(
        both_titles & (title_weight * 100 + desc_weight * desc_bound >= threshold)
    )
    texts = rows.scored_texts()
    title_score[todo] = np.maximum(
        _pairwise(texts.title, a_idx[todo], b_idx[todo], fuzz.ratio),
        _pairwise(texts.title_words_sorted, a_idx[todo], b_idx[todo], fuzz.ratio),
    )
    todo = np.flatnonzero(
        both_descs & (title_weight * title_score + desc_weight * desc_bound >= threshold)
    )
    # A tighter bound, worth its cost only for the pairs still in the running.
    desc_bound[todo] = np.minimum(
        desc_bound[todo],
        _common_letters_bound(rows.description, desc_length, a_idx[todo], b_idx[todo]),
    )
    todo = todo[
        title_weight[todo] * title_score[todo] + desc_weight[todo] * desc_bound[todo] >= threshold
    ]
    # The description score each pair needs to reach `threshold`: below it, rapidfuzz may stop
    # early (and answer 0).
    needed = (threshold - title_weight[todo] * title_score[todo]) / np.maximum(
        desc_weight[todo], 1e-9
    )
    desc_score = np.zeros(len(a_idx))
    desc_score[todo] = _pairwise(
        texts.description, a_idx[todo], b_idx[todo], fuzz.ratio, needed=needed
    )
    return title_weight * title_score + desc_weight * desc_score


def _pairwise(
    texts: np.ndarray,
    a_idx: np.ndarray,
    b_idx: np.ndarray,
    scorer: Callable[..., float],
    needed: np.ndarray | None = None,
) -> np.ndarray:
    """The scores of the pairs (texts[a_idx[k]], texts[b_idx[k]]); a pair's score below
    `needed[k]` may come back as 0. Pairs are scored in groups of similar `needed`, each group
    with the lowest cutoff of its pairs."""
    scores = np.zeros(len(a_idx))
    levels = np.zeros(len(a_idx)) if needed is None else _cutoff_levels(needed)
    for level in np.unique(levels).tolist():
        chosen = np.flatnonzero(levels == level)
        found = process.cpdist(
            texts[a_idx[chosen]],
            texts[b_idx[chosen]],
            scorer=scorer,
            dtype=np.float64,
            workers=-1,
            score_cutoff=level,
        )
        scores[chosen] = np.asarray(found, dtype=np.float64).reshape(-1)
    return scores


def _cutoff_levels(needed: np.ndarray) -> np.ndarray:
    """Each needed score rounded down to a multiple of CUTOFF_STEP, within 0-100."""
    return np.floor(np.clip(needed, 0, 100) / CUTOFF_STEP) * CUTOFF_STEP


def _common_letters_bound(
    texts: list[str], lengths: np.ndarray, a_idx: np.ndarray, b_idx: np.ndarray
) -> np.ndarray:
    """An upper bound of fuzz.ratio for each pair (texts[a_idx[k]], texts[b_idx[k]]), given the
    texts' `lengths` (`_lengths`): their longest common subsequence is at most the characters
    they have in common, class by class. Some arithmetic per pair instead of an edit distance
    over hundreds of characters."""
    rows, inverse = np.unique(np.r_[a_idx, b_idx], return_inverse=True)
    counts = _class_counts([texts[i] for i in rows.tolist()], int(lengths[rows].max(initial=0)))
    first, second = inverse[: len(a_idx)], inverse[len(a_idx) :]
    common = np.zeros(len(a_idx))
    for start in range(0, len(a_idx), _PAIRS_AT_ONCE):
        part = slice(start, start + _PAIRS_AT_ONCE)
        shared = np.minimum(counts[first[part]], counts[second[part]])
        common[part] = shared.sum(axis=1, dtype=np.int64)
    return 200 * common / np.maximum(lengths[a_idx] + lengths[b_idx], 1)


def _class_counts(texts: list[str], longest: int) -> np.ndarray:
    """How many characters of each class (`_CHAR_CLASS`) each text has, one line a text, for
    texts of at most `longest` characters. Counted `_CHUNK_ROWS` texts at a time, so that the
    arrays as long as their bytes stay small, by a thread per core: numpy's counting lets the
    other run (the 89,500 descriptions of 100,000 rows: 0.25 s instead of 0.4)."""
    small = np.uint16 if longest < 2**16 else np.int32
    counts = np.empty((len(texts), _CLASSES - 1), dtype=small)

    def count(chunk: range) -> None:
        encoded = [text.encode() for text in texts[chunk.start : chunk.stop]]
        sizes = np.fromiter(map(len, encoded), dtype=np.int32, count=len(encoded))
        cells = np.repeat(np.arange(0, len(encoded) * _CLASSES, _CLASSES, dtype=np.int32), sizes)
        cells += _CHAR_CLASS[np.frombuffer(b"".join(encoded), dtype=np.uint8)]
        found = np.bincount(cells, minlength=len(encoded) * _CLASSES).reshape(-1, _CLASSES)
        # The last class is a character's continuation bytes, not a character.
        counts[chunk.start : chunk.stop] = found[:, :-1]

    in_threads(shares_of(len(texts), _CHUNK_ROWS), count)
    return counts


def _lengths(texts: list[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.float64, count=len(texts))


# --- Blocking: candidate pairs by prefix filtering over rare trigrams -----------------------------


def _candidate_codes(rows: _Rows, among: Sequence[int], blocking: _Blocking) -> np.ndarray:
    """Pairs (i, j), i < j, sorted, of rows `among[i]` and `among[j]` that share
    `blocking.shared` of their rarest syllable trigrams (or all of them, for rows with fewer),
    each as one number (`_pair_codes`, with `_row_bits(len(among))` bits for the second row).
    Takes the trigrams over (`_Rows.hand_over_trigrams`): the rows keep none.

    Rarity is the number of occurrences across the rows. Trigrams found once can pair nothing,
    so they are never indexed. All rows rank their trigrams in the same global order (rarity,
    then the trigram itself), which is what makes the rarest trigrams of a copy those of its
    original. Everything is done on whole arrays, by sorting numbers that pack several fields.
    """
    trigrams, lengths = rows.hand_over_trigrams(among)
    row_count = len(lengths)
    row_bits = _row_bits(row_count)
    max_rows = max(blocking.max_trigram_floor, int(blocking.max_trigram_share * row_count))
    row_of, trigram, rarity = _trigram_rarity(trigrams, lengths, row_bits, max_rows)
    del trigrams  # overwritten, and the largest array here
    row_of, trigram = _rarest(row_of, trigram, rarity, lengths, blocking)
    del rarity  # overwritten by _rarest: free it now
    # In 32 bits: arrays as long as the pairs are computed from it.
    indexed = np.bincount(row_of, minlength=row_count).astype(np.int32)
    keys = _index_keys(row_of, trigram, blocking.window, row_bits)
    del row_of, trigram
    code, keys_shared = _pairs_sharing_a_key(keys, row_bits, blocking.max_posting)
    return code[_sharing_enough(code, keys_shared, indexed, row_bits, blocking)]


def _sharing_enough(
    code: np.ndarray,
    keys_shared: np.ndarray,
    indexed: np.ndarray,
    row_bits: int,
    blocking: _Blocking,
) -> np.ndarray:
    """Which pairs (`_pair_codes` numbers) share as many keys as their rows call for: the
    indexed trigrams both rows have (all, for rows with fewer), up to `blocking.shared`. A block
    of pairs at a time: at a million rows, arrays as long as all the pairs, several at once,
    were the peak of the whole sync."""
    enough = np.empty(len(code), dtype=bool)
    second = (1 << row_bits) - 1
    for start in range(0, len(code), _BLOCK):
        block = code[start : start + _BLOCK]
        needed = np.minimum(indexed[block >> row_bits], indexed[block & second])
        np.minimum(needed, blocking.shared, out=needed)
        if blocking.window:
            # Rows sharing t indexed trigrams, next to each other in both, share this many
            # pairs.
            near = np.minimum(needed - 1, blocking.window)
            needed = np.maximum(1, near * needed - near * (near + 1) // 2)
        np.greater_equal(
            keys_shared[start : start + _BLOCK], needed, out=enough[start : start + len(block)]
        )
    return enough


def _row_bits(row_count: int) -> int:
    """The low bits that hold a row's number in pair codes and index keys, for this many rows."""
    return max(1, row_count.bit_length())


def _index_keys(rows: np.ndarray, trigram: np.ndarray, window: int, row_bits: int) -> np.ndarray:
    """The index keys of the rows, with their row in the low `row_bits` (`_with_row`): their
    indexed trigrams, or with a `window`, pairs of them (`_key_pairs`)."""
    if window:
        return _key_pairs(rows, trigram, window, row_bits)
    # Hashed: the trigram's number is small, and its low bits would give way to the row's.
    return _with_row(_mix(trigram), rows, row_bits)


def _trigram_rarity(
    trigrams: np.ndarray, lengths: np.ndarray, row_bits: int, max_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every occurrence of a trigram found 2..max_rows times: its row, the trigram as a number
    (0, 1, ... in an order that depends only on the trigram) and its number of occurrences.
    Overwrites `trigrams`."""
    packed = _with_row(trigrams, _row_numbers(lengths), row_bits)
    _sort(packed)
    rows, count = _shared_lists(packed, row_bits, max_rows)
    return rows, np.repeat(np.arange(len(count)), count), np.repeat(count, count)


def _mix(*columns: np.ndarray) -> np.ndarray:
    """One 64-bit hash (as int64) per row of the integer columns; collisions are negligible."""
    multipliers = (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB)
    hashed = np.zeros(len(columns[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column, multiplier in zip(columns, multipliers, strict=False):
            hashed ^= column.astype(np.int64, copy=False).view(np.uint64)
            hashed *= np.uint64(multiplier)
    hashed ^= hashed >> np.uint64(31)
    return hashed.view(np.int64)


def _row_numbers(lengths: np.ndarray) -> np.ndarray:
    """0 `lengths[0]` times, then 1 `lengths[1]` times, ...: the row of each entry of an array
    laid out row after row. In 32 bits, half the memory, as rows number fewer than 2**31."""
    return np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)


def _with_row(hashed: np.ndarray, rows: np.ndarray, row_bits: int) -> np.ndarray:
    """Hashes with their low bits replaced by their rows, so that sorting sorts both at once.
    The bits given up add few collisions, and a collision only adds candidates, which scoring
    then rejects. Worked in place, in `hashed`: at a million rows each fresh array of this size
    costs more in page faults than the arithmetic, and adds to the peak memory."""
    hashed >>= row_bits
    hashed <<= row_bits
    hashed |= rows
    return hashed


def _shared_lists(
    packed: np.ndarray, row_bits: int, max_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The keys of `packed` (sorted, see `_with_row`) held 2..max_size times: their rows, key
    after key, and how many each key has."""
    count = _run_lengths(packed, row_bits)
    # Most keys belong to one row: keep only the lists that can pair something.
    useful = (count >= 2) & (count <= max_size)
    rows = packed[np.repeat(useful, count)]
    rows &= (1 << row_bits) - 1
    return rows, count[useful]


def _rarest(
    rows: np.ndarray,
    trigram: np.ndarray,
    rarity: np.ndarray,
    lengths: np.ndarray,
    blocking: _Blocking,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's prefix_min + prefix_share * length rarest distinct trigrams, rarest first.
    Overwrites `rows` and `rarity`."""
    if len(rows) == 0:
        return rows, trigram
    row_bits = max(1, int(rows.max()).bit_length())
    trigram_bits = max(1, int(trigram.max()).bit_length())
    rarity_bits = 63 - row_bits - trigram_bits
    # One sortable number per (row, rarity, trigram), made in place in `rows`; beyond what the
    # bits hold, rarity no longer matters: such trigrams are far too common to ever be among a
    # row's rarest.
    np.minimum(rarity, (1 << rarity_bits) - 1, out=rarity)
    rarity <<= trigram_bits
    packed = rows
    packed <<= rarity_bits + trigram_bits
    packed |= rarity
    packed |= trigram
    packed = _distinct_sorted(packed)  # also drops a row's repeated trigram
    trigram = packed & ((1 << trigram_bits) - 1)
    rows = packed
    rows >>= rarity_bits + trigram_bits
    rank = np.arange(len(rows))
    rank -= _row_starts(rows, len(lengths))[rows]
    wanted = blocking.prefix_min + np.ceil(blocking.prefix_share * lengths).astype(np.int64)
    keep = rank < wanted[rows]
    return rows[keep], trigram[keep]


def _key_pairs(rows: np.ndarray, trigram: np.ndarray, window: int, row_bits: int) -> np.ndarray:
    """Turn each row's indexed trigrams (sorted rarest first) into pairs of them, as numbers
    with the row in their low `row_bits` (`_with_row`): each trigram with the next `window`
    ones. Both members of a pair keep the global order, so two rows holding the same two
    trigrams get the same number.
    """
    indexed = np.bincount(rows)
    # Filled step by step rather than concatenated at the end, which would hold them twice.
    keys = np.empty(_pair_count(indexed, window), dtype=np.int64)
    filled = 0
    for step, active in _steps(indexed, window):
        part = keys[filled : filled + len(active)]
        part[:] = _mix(trigram[active], trigram[active + step])
        _with_row(part, rows[active], row_bits)
        filled += len(active)
    return keys


def _steps(list_lengths: np.ndarray, max_step: int) -> Iterator[tuple[int, np.ndarray]]:
    """For step = 1, 2, ... up to `max_step`: the step and the entries (increasing indexes)
    that have an entry `step` places further in their own list. The lists, of these lengths,
    lie one after the other."""
    # How many entries follow each in its list. In 32 bits when they fit: these index arrays
    # are as long as the lists together.
    index = np.int32 if list_lengths.sum() < 2**31 else np.int64
    ends = np.cumsum(list_lengths, dtype=index)
    following = np.repeat(ends, list_lengths)
    active = np.arange(len(following), dtype=index)
    following -= active
    following -= 1
    for step in range(1, max_step + 1):
        active = active[following[active] >= step]
        if not len(active):
            return
        yield step, active


def _pair_count(list_lengths: np.ndarray, max_step: int) -> int:
    """How many entries `_steps` yields in all, for lists of these lengths: the entry with j
    entries after it in its list is yielded min(j, max_step) times."""
    below_max = np.minimum(list_lengths, max_step + 1)  # the entries with j < max_step + 1
    return int((below_max * (below_max - 1) // 2 + (list_lengths - below_max) * max_step).sum())


def _compacted(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """values[keep], written over `values` a block at a time (kept entries only move towards
    the front), as a view of it: no second array of this size."""
    filled = 0
    for start in range(0, len(values), _BLOCK):
        kept = values[start : start + _BLOCK][keep[start : start + _BLOCK]]
        values[filled : filled + len(kept)] = kept
        filled += len(kept)
    return values[:filled]


def _sort(values: np.ndarray) -> None:
    """values.sort(), on every core for long arrays: partitioned in place around a value per
    core (a pass through the array, no copy), then each part sorted by a thread, which numpy
    lets run beside the others: on two cores, 0.6 of the time of one sort."""
    parts = min(os.cpu_count() or 1, len(values) // _SORTED_IN_PARTS_MIN)
    if parts < 2:
        values.sort()
        return
    bounds = [len(values) * part // parts for part in range(parts + 1)]
    values.partition(bounds[1:-1])
    in_threads(list(pairwise(bounds)), lambda part: values[part[0] : part[1]].sort())


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (in place): faster than its hashing for millions of distinct
    numbers."""
    _sort(values)
    if len(values) < 2:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _run_lengths(values: np.ndarray, shift: int = 0) -> np.ndarray:
    """The lengths of the runs of equal `values >> shift` of a sorted array, in order."""
    return _lengths_at(np.flatnonzero(_run_starts(values, shift)), len(values))


def _run_starts(values: np.ndarray, shift: int = 0) -> np.ndarray:
    """Whether each entry of a sorted array starts a run of equal `values >> shift`. Shifted a
    block at a time, by a thread per core: a shifted copy of the whole array would be a peak of
    its own."""
    change = np.empty(len(values), dtype=bool)
    change[:1] = True

    def compare(block: range) -> None:  # each entry after the first with the one before it
        before, after = slice(block.start, block.stop), slice(block.start + 1, block.stop + 1)
        np.not_equal(values[after] >> shift, values[before] >> shift, out=change[after])

    in_threads(shares_of(len(values) - 1, _BLOCK), compare)
    return change


def _lengths_at(starts: np.ndarray, total: int) -> np.ndarray:
    """The lengths of the runs that start at `starts` (increasing) in an array of `total`
    entries, written over `starts` a block at a time."""
    for start in range(0, len(starts) - 1, _BLOCK):
        stop = min(start + _BLOCK, len(starts) - 1)
        np.subtract(starts[start + 1 : stop + 1], starts[start:stop], out=starts[start:stop])
    if len(starts):
        starts[-1] = total - starts[-1]
    return starts


def _gathered(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[index], for an increasing `index` with index[i] >= i, written over `values` a
    block at a time (entries only move towards the front), as a view of it."""
    for start in range(0, len(index), _BLOCK):
        part = index[start : start + _BLOCK]
        values[start : start + len(part)] = values[part]
    return values[: len(index)]


def _row_starts(rows: np.ndarray, row_count: int) -> np.ndarray:
    """Where each row's entries start in an array sorted by row (for row_count + 1 rows:
    the last start is the end of the array)."""
    return np.r_[0, np.cumsum(np.bincount(rows, minlength=row_count))]


def _pairs_sharing_a_key(
    packed: np.ndarray, row_bits: int, max_posting: int
) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of rows indexed under a common key (`packed`: the keys with their rows, see
    `_with_row`), as `_pair_codes` numbers them, sorted, each once with the number of keys it
    shares. Keys of one row, or of more than `max_posting`, pair nothing. Sorts `packed` and
    lets it go."""
    _sort(packed)
    rows, count = _shared_lists(packed, row_bits, max_posting)
    del packed  # the largest array here, which the caller does not keep
    code = _pair_codes(rows, count, row_bits)
    del rows, count
    _sort(code)
    starts = np.flatnonzero(_run_starts(code))
    # Each pair once, moved to the front of the codes, and the lengths of their runs written
    # over where the runs start: at a million rows, arrays as long as the pairs beside the
    # codes were the peak of the sync.
    distinct = _gathered(code, starts)
    return distinct, _lengths_at(starts, len(code))


def _unpacked_pairs(code: np.ndarray, row_bits: int) -> np.ndarray:
    """The pairs of rows that `_pair_codes` numbers, one line (first, second) each."""
    pairs = np.empty((len(code), 2), dtype=np.int64)
    np.right_shift(code, row_bits, out=pairs[:, 0])
    np.bitwise_and(code, (1 << row_bits) - 1, out=pairs[:, 1])
    return pairs


def _pair_codes(rows: np.ndarray, count: np.ndarray, row_bits: int) -> np.ndarray:
    """Each pair of rows in one list, as one number: the earlier row, then the later (the
    pairs in no useful order). The lists (of sorted rows) lie one after the other in `rows`,
    `count` rows each.

    Lists of one length are taken together, some at a time, as the lines of a small matrix:
    every pair of its columns at once, from a few rows that stay in the processor's cache
    (walking all the lists a step at a time went through arrays as long as all the pairs
    several times over). Each such matrix has its place in the result, so a thread per core
    fills them: at a million rows, 2.9 s instead of 5.0."""
    code = np.empty(_pair_count(count, int(count.max(initial=1))), dtype=np.int64)
    starts = np.cumsum(count) - count
    # (lists, every pair of places in a list of their length, where their pairs go), filled
    # by a thread per core.
    blocks: list[tuple[np.ndarray, tuple[np.ndarray, np.ndarray], int]] = []
    filled = 0
    for length in np.unique(count).tolist():
        if length < 2:
            continue
        lists = starts[count == length]
        places = np.triu_indices(length, 1)
        at_once = max(1, _BLOCK // len(places[0]))
        for begin in range(0, len(lists), at_once):
            some = lists[begin : begin + at_once]
            blocks.append((some, places, filled))
            filled += len(some) * len(places[0])

    def fill(block: tuple[np.ndarray, tuple[np.ndarray, np.ndarray], int]) -> None:
        lists, (first, second), at = block
        length = int(second[-1]) + 1
        members = rows[lists[:, np.newaxis] + np.arange(length)]
        part = code[at : at + len(lists) * len(first)].reshape(len(lists), len(first))
        np.left_shift(members[:, first], row_bits, out=part)
        part |= members[:, second]

    in_threads(blocks, fill)
    return code
