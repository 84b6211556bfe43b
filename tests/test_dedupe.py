"""Tests of sync.dedupe: small hand-made cases, and precision/recall on a generated labelled set.

The generator builds realistic initiatives (titles and descriptions from templates with varied
vocabulary, numbers and place names), resubmissions by the same author with realistic edits, and
copies by other authors; it knows which pairs are which, so the quality of the result can be
measured. `benchmarks/bench_dedupe.py` uses it too, at a larger scale.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from sync import dedupe
from sync.config import DedupeSettings
from sync.dedupe import (
    ALL_PAIRS_MAX_GROUP,
    CROSS_AUTHOR,
    DedupeResult,
    _all_trigram_hashes,
    _common_letters_bound,
    _content_rows,
    _fold_all,
    _lengths,
    _Rows,
    _scores,
    _trigram_hashes,
    apply_duplicates,
    content_similarity,
    find_duplicates,
)
from sync.models import Response, Status
from sync.text import fold

SETTINGS = DedupeSettings()
T0 = datetime(2021, 3, 15, 8, 0, 0)

TITLE = "Cải tiến quy trình tiếp nhận và trả kết quả hồ sơ tại bộ phận một cửa"
DESCRIPTION = (
    "Trước đây, việc tiếp nhận hồ sơ tại bộ phận một cửa của UBND xã Thanh Minh được thực hiện "
    "thủ công, mất nhiều thời gian và dễ sai sót. Tác giả đã xây dựng bảng tra cứu thủ tục và "
    "sổ theo dõi điện tử trên Excel, gắn mã QR cho từng hồ sơ. Sau 3 tháng áp dụng, thời gian "
    "trả kết quả giảm 40%, người dân không phải đi lại nhiều lần."
)
OTHER_TITLE = "Chế tạo bộ gá kẹp phôi cho máy phay tại phân xưởng cơ khí"
OTHER_DESCRIPTION = (
    "Máy phay của phân xưởng phải gá phôi bằng tay, mỗi lần mất khoảng 15 phút và phôi hay bị "
    "lệch. Nhóm tác giả đã thiết kế bộ gá kẹp nhanh bằng thép tận dụng, có chốt định vị. Năng "
    "suất gia công tăng 25%, tiết kiệm khoảng 80 triệu đồng mỗi năm."
)


def strip_marks(text: str) -> str:
    """Text as typed on a phone without a Vietnamese keyboard: no tone marks, đ as d."""
    decomposed = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Author:
    name: str
    phone: str | None = None
    email: str = ""
    unit: str = ""


AN = Author("Nguyễn Văn An", "0912820510", "an.nv@gmail.com", "Công đoàn UBND xã Thanh Minh")
AN_NAMESAKE = Author("Nguyễn Văn An", "0987111222", "", "Công đoàn Trường THCS Him Lam")
BINH = Author("Lò Thị Bình", "0203555666", "", "Công đoàn Bệnh viện Đa khoa tỉnh")


def response(
    rid: str,
    author: Author,
    title: str,
    description: str,
    hours: float = 0,
    *,
    row: int | None = None,
    source: str = "form",
) -> Response:
    return Response(
        source=source,
        row=row if row is not None else 2 + int(hours),
        id=rid,
        raw={},
        submitted_at=T0 + timedelta(hours=hours),
        full_name=author.name,
        phone=author.phone,
        email=author.email,
        grassroots_unit=author.unit,
        title=title,
        description=description,
    )


def similar_pairs(result: DedupeResult) -> set[frozenset[str]]:
    return {frozenset((a, b)) for a, others in result.similar.items() for b in others}


# --- Small cases --------------------------------------------------------------------------------

CASES: dict[str, tuple[list[Response], dict[str, str], set[frozenset[str]]]] = {
    "same author, exact resubmission": (
        [response("a1", AN, TITLE, DESCRIPTION, 0), response("a2", AN, TITLE, DESCRIPTION, 5)],
        {"a1": "a2"},
        set(),
    ),
    "same author, resubmitted without diacritics": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response(
                "a2",
                Author(strip_marks(AN.name), AN.phone),
                strip_marks(TITLE),
                strip_marks(DESCRIPTION).upper(),
                2,
            ),
        ],
        {"a1": "a2"},
        set(),
    ),
    "same author, typos": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response(
                "a2",
                AN,
                TITLE.replace("tiếp nhận", "tiêp nhạn"),
                DESCRIPTION.replace("thủ công", "thủ cong").replace("giảm", "giảmm"),
                1,
            ),
        ],
        {"a1": "a2"},
        set(),
    ),
    "same author, a sentence added": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response(
                "a2",
                AN,
                TITLE,
                DESCRIPTION + " Sáng kiến đã được Ban Chấp hành Công đoàn cơ sở thẩm định và đề "
                "nghị nhân rộng tại các xã lân cận.",
                30,
            ),
        ],
        {"a1": "a2"},
        set(),
    ),
    "same author, two different initiatives": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response("a2", AN, OTHER_TITLE, OTHER_DESCRIPTION, 3),
        ],
        {},
        set(),
    ),
    "same author, identified by email alone": (
        [
            response("a1", Author(AN.name, None, AN.email), TITLE, DESCRIPTION, 0),
            response("a2", Author(AN.name.upper(), None, AN.email.upper()), TITLE, DESCRIPTION, 1),
        ],
        {"a1": "a2"},
        set(),
    ),
    "same author, identified by the grassroots unit alone": (
        [
            response("a1", Author(AN.name, None, "", AN.unit), TITLE, DESCRIPTION, 0),
            response("a2", Author(AN.name, None, "", strip_marks(AN.unit)), TITLE, DESCRIPTION, 1),
        ],
        {"a1": "a2"},
        set(),
    ),
    "same author, phone written another way": (
        [
            response("a1", Author(AN.name, "0912820510"), TITLE, DESCRIPTION, 0),
            response("a2", Author(AN.name, "+84 912 820 510"), TITLE, DESCRIPTION, 1),
        ],
        {"a1": "a2"},
        set(),
    ),
    "different authors, same text": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response("b1", BINH, TITLE, DESCRIPTION, 1),
        ],
        {},
        {frozenset(("a1", "b1"))},
    ),
    "different authors, a copy with small edits": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response(
                "b1",
                BINH,
                strip_marks(TITLE),
                strip_marks(DESCRIPTION).replace("Thanh Minh", "Thanh Xương"),
                1,
            ),
        ],
        {},
        {frozenset(("a1", "b1"))},
    ),
    "namesakes are different authors": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response("n1", AN_NAMESAKE, TITLE, DESCRIPTION, 1),
        ],
        {},
        {frozenset(("a1", "n1"))},
    ),
    "a name with nothing to confirm it is not an author key": (
        [
            response("a1", Author(AN.name), TITLE, DESCRIPTION, 0),
            response("a2", Author(AN.name), TITLE, DESCRIPTION, 1),
        ],
        {},
        {frozenset(("a1", "a2"))},
    ),
    "different authors, unrelated": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response("b1", BINH, OTHER_TITLE, OTHER_DESCRIPTION, 1),
        ],
        {},
        set(),
    ),
    "latest kept even when rows arrive unsorted": (
        [
            response("a2", AN, TITLE, DESCRIPTION + " Bổ sung số liệu.", 10),
            response("a3", AN, TITLE.upper(), DESCRIPTION + " Bổ sung số liệu tháng 4.", 20),
            response("a1", AN, TITLE, DESCRIPTION, 0),
        ],
        {"a1": "a3", "a2": "a3"},
        set(),
    ),
    "equal timestamps: the later row of the sheet is kept": (
        [
            response("a9", AN, TITLE, DESCRIPTION, 0, row=9),
            response("a4", AN, TITLE, DESCRIPTION, 0, row=4),
        ],
        {"a4": "a9"},
        set(),
    ),
    "an older row without a title is superseded by the complete one": (
        [
            response("a1", AN, "", DESCRIPTION, 0),
            response("a2", AN, TITLE, DESCRIPTION, 1),
        ],
        {"a1": "a2"},
        set(),
    ),
    "a copy of a resubmitted initiative points at the kept row only": (
        [
            response("a1", AN, TITLE, DESCRIPTION, 0),
            response("a2", AN, TITLE, DESCRIPTION, 4),
            response("b1", BINH, TITLE, DESCRIPTION, 9),
        ],
        {"a1": "a2"},
        {frozenset(("a2", "b1"))},
    ),
    "rows without title and description are left alone": (
        [response("a1", AN, "", "", 0), response("a2", AN, " ", "", 1)],
        {},
        set(),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_small_cases(case: str) -> None:
    rows, superseded, similar = CASES[case]
    result = find_duplicates(rows, SETTINGS)
    assert result.superseded == superseded
    assert similar_pairs(result) == similar
    for rid, others in result.similar.items():
        assert others == sorted(others)
        assert all(rid in result.similar[other] for other in others)


def test_find_duplicates_changes_nothing_and_apply_writes_the_result() -> None:
    rows = [
        response("a1", AN, TITLE, DESCRIPTION, 0),
        response("a2", AN, TITLE, DESCRIPTION, 4),
        response("b1", BINH, TITLE, DESCRIPTION, 9),
    ]
    result = find_duplicates(rows, SETTINGS)
    assert all(r.status == Status.VALID and not r.duplicate_of and not r.similar_to for r in rows)
    apply_duplicates(rows, result)
    apply_duplicates(rows, result)  # a second run adds nothing
    a1, a2, b1 = rows
    assert (a1.status, a1.duplicate_of) == (Status.DUPLICATE, "a2")
    assert (a2.status, a2.duplicate_of, a2.similar_to) == (Status.VALID, None, ["b1"])
    assert (b1.status, b1.duplicate_of, b1.similar_to) == (Status.VALID, None, ["a2"])


def test_rows_already_marked_duplicate_are_not_compared() -> None:
    rows = [response("a1", AN, TITLE, DESCRIPTION, 0), response("b1", BINH, TITLE, DESCRIPTION, 1)]
    rows[0].status = Status.DUPLICATE
    assert find_duplicates(rows, SETTINGS) == DedupeResult()


def test_thresholds_come_from_the_settings() -> None:
    rows = [
        response("a1", AN, TITLE, DESCRIPTION, 0),
        response("b1", BINH, TITLE, DESCRIPTION + " Có bổ sung một câu ngắn.", 1),
    ]
    assert similar_pairs(find_duplicates(rows, SETTINGS))
    strict = DedupeSettings(cross_author_threshold=100)
    assert not similar_pairs(find_duplicates(rows, strict))


def test_similarity_ignores_marks_case_and_punctuation() -> None:
    assert content_similarity(TITLE, DESCRIPTION, strip_marks(TITLE).upper(), DESCRIPTION) == 100
    assert content_similarity(TITLE, DESCRIPTION, OTHER_TITLE, OTHER_DESCRIPTION) < 60


@given(st.lists(st.text(alphabet=st.characters(), max_size=30), max_size=6))
def test_texts_fold_word_by_word_exactly_as_whole(texts: list[str]) -> None:
    # Rows are folded a word at a time for speed; the result must be fold()'s, whatever the text.
    texts = [*texts, *texts[:2]]  # repeated texts and words take the remembered path
    assert _fold_all(texts) == [fold(text) for text in texts]


def test_a_large_group_of_one_author_is_still_searched() -> None:
    # An officer typing a whole unit's initiatives under their own name and phone.
    corpus = generate_corpus(ALL_PAIRS_MAX_GROUP * 2, seed=7)
    rows = [r for r in corpus.responses if r.id in corpus.first_versions]
    assert len(rows) > ALL_PAIRS_MAX_GROUP
    for r in rows:
        r.full_name, r.phone, r.email, r.grassroots_unit = AN.name, AN.phone, AN.email, AN.unit
    resubmitted = response("again", AN, rows[0].title, rows[0].description + " Bổ sung.", 900)
    result = find_duplicates([*rows, resubmitted], SETTINGS)
    assert result.superseded == {rows[0].id: "again"}


def test_two_large_groups_typing_the_same_initiatives_stay_apart() -> None:
    # Two officers each typing in the same unit's initiatives: every row is a copy of the other
    # officer's, never a resubmission of it, though both groups are blocked together.
    corpus = generate_corpus(ALL_PAIRS_MAX_GROUP * 2, seed=11)
    texts = [(r.title, r.description) for r in corpus.responses if r.id in corpus.first_versions]
    assert len(texts) > ALL_PAIRS_MAX_GROUP
    rows = [
        response(f"{who}{i}", author, title, description, i)
        for who, author in (("a", AN), ("b", BINH))
        for i, (title, description) in enumerate(texts)
    ]
    resubmitted = response("again", AN, texts[0][0], texts[0][1] + " Bổ sung.", 900)
    result = find_duplicates([*rows, resubmitted], SETTINGS)
    assert result.superseded == {"a0": "again"}
    assert {frozenset((f"a{i}", f"b{i}")) for i in range(1, len(texts))} <= similar_pairs(result)


def test_large_groups_find_what_comparing_all_their_pairs_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Three officers each typing in a unit's initiatives under their own name: their groups are
    # blocked, a batch of groups at a time, and on a small set that finds what scoring every
    # pair of a group finds, however the groups are batched.
    corpus = generate_corpus(ALL_PAIRS_MAX_GROUP * 3, seed=13)
    officers = (AN, AN_NAMESAKE, BINH)
    for i, row in enumerate(corpus.responses):
        officer = officers[i % len(officers)]
        row.full_name, row.phone, row.email = officer.name, officer.phone, officer.email
        row.grassroots_unit = officer.unit
    assert len(corpus.responses) > ALL_PAIRS_MAX_GROUP * len(officers)
    blocked = find_duplicates(corpus.responses, SETTINGS)
    assert blocked.superseded
    monkeypatch.setattr(dedupe, "_GROUP_BATCH_ROWS", 1)  # each group blocked on its own
    assert find_duplicates(corpus.responses, SETTINGS) == blocked
    monkeypatch.setattr(dedupe, "ALL_PAIRS_MAX_GROUP", len(corpus.responses))  # every pair
    assert find_duplicates(corpus.responses, SETTINGS) == blocked


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_the_characters_two_texts_share_bound_their_similarity(first: str, second: str) -> None:
    # Descriptions are skipped on this bound: it must never be below the real score.
    for a, b in ((first, second), (fold(first) or "x", fold(second) or "y")):
        texts = [a, b]
        bound = _common_letters_bound(texts, _lengths(texts), np.array([0]), np.array([1]))[0]
        assert fuzz.ratio(a, b) <= bound + 1e-9


@given(st.lists(st.text(max_size=40).map(fold).filter(bool), min_size=2, max_size=2))
def test_titles_with_their_words_sorted_score_as_token_sort_ratio(titles: list[str]) -> None:
    # Titles' words are sorted once a row, not once a pair: the score must not change.
    rows = _Rows(
        pos=[0, 1],
        title=titles,
        description=["", ""],
        author=[0, 1],
        trigrams=np.zeros(0, dtype=np.int64),
        offsets=np.zeros(3, dtype=np.int64),
    )
    words_sorted = rows.scored_texts().title_words_sorted
    assert fuzz.ratio(*words_sorted) == fuzz.token_sort_ratio(*titles)


@pytest.mark.parametrize("threshold", [50.0, SETTINGS.same_author_threshold, 95.0])
def test_scoring_up_to_a_threshold_keeps_every_score_that_reaches_it(threshold: float) -> None:
    rows = _content_rows(generate_corpus(40, seed=17).responses)
    a_idx, b_idx = np.triu_indices(len(rows), k=1)  # every pair
    full = _scores(rows, a_idx, b_idx)
    cut = _scores(rows, a_idx, b_idx, threshold)
    reached = full >= threshold
    assert reached.any()
    assert np.array_equal(cut >= threshold, reached)
    assert np.array_equal(cut[reached], full[reached])


def test_a_text_pasted_by_very_many_authors_is_flagged() -> None:
    count = CROSS_AUTHOR.max_posting * 10  # far more rows than an index list may hold
    rows = [
        response(f"r{i}", Author(f"Người {i}", f"09{i:08d}"), TITLE, DESCRIPTION, i)
        for i in range(count)
    ]
    rows.append(response("edited", BINH, TITLE, DESCRIPTION.replace("40%", "45%"), 1))
    result = find_duplicates(rows, SETTINGS)
    assert not result.superseded
    assert all(len(others) == count for others in result.similar.values())


def test_no_rows() -> None:
    assert find_duplicates([], SETTINGS) == DedupeResult()


def test_short_rows_and_unusual_text() -> None:
    title = "Cải tiến máy bơm nước"
    rows = [
        response("a1", AN, title, "", 0),
        response("b1", BINH, title.replace("nước", "nuocc"), "", 1),  # a title alone, copied
        response(
            "x1", AN_NAMESAKE, "Sổ tay điện tử 📘 工具", "https://example.vn/so-tay-dien-tu", 2
        ),
        response("x2", BINH, "Quy trình", "ISO-9001:2015/QĐ-LĐLĐ " * 3, 3),
    ]
    result = find_duplicates(rows, SETTINGS)
    assert similar_pairs(result) == {frozenset(("a1", "b1"))}


def test_the_result_does_not_depend_on_the_order_of_rows() -> None:
    corpus = generate_corpus(300, seed=3)
    forward = find_duplicates(corpus.responses, SETTINGS)
    backward = find_duplicates(corpus.responses[::-1], SETTINGS)
    assert forward.superseded == backward.superseded
    assert similar_pairs(forward) == similar_pairs(backward)
    assert find_duplicates(corpus.responses, SETTINGS) == forward


def test_rows_without_content_change_nothing_for_the_others() -> None:
    corpus = generate_corpus(300, seed=5)
    empty = [response(f"e{i}", BINH, "", " ", i) for i in range(len(corpus.responses))]
    mixed = [row for pair in zip(corpus.responses, empty, strict=True) for row in pair]
    assert find_duplicates(mixed, SETTINGS) == find_duplicates(corpus.responses, SETTINGS)


def test_the_result_does_not_depend_on_the_size_of_the_blocks_worked_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus = generate_corpus(300, seed=5)
    expected = find_duplicates(corpus.responses, SETTINGS)
    monkeypatch.setattr(dedupe, "_BLOCK", 7)  # large sets are worked a block at a time
    assert find_duplicates(corpus.responses, SETTINGS) == expected


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
def test_long_arrays_sorted_a_part_per_core_come_out_as_one_sort_gives(
    monkeypatch: pytest.MonkeyPatch, cores: int
) -> None:
    monkeypatch.setattr(dedupe, "_SORTED_IN_PARTS_MIN", 5)
    monkeypatch.setattr(dedupe.os, "cpu_count", lambda: cores)
    rng = np.random.default_rng(cores)
    # Repeated values, as trigrams shared by many rows are, and sizes that do not divide evenly.
    for size in (0, 1, 4, 9, 10, 97, 1_000):
        values = rng.integers(-50, 50, size, dtype=np.int64) << 40
        expected = np.sort(values)
        dedupe._sort(values)
        assert np.array_equal(values, expected)


def test_the_result_does_not_depend_on_sorting_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = generate_corpus(300, seed=5)
    expected = find_duplicates(corpus.responses, SETTINGS)
    monkeypatch.setattr(dedupe, "_SORTED_IN_PARTS_MIN", 2)
    monkeypatch.setattr(dedupe.os, "cpu_count", lambda: 3)
    assert find_duplicates(corpus.responses, SETTINGS) == expected


# --- Quality on a generated labelled set --------------------------------------------------------


def precision_recall(found: set, expected: set) -> tuple[float, float]:
    hits = len(found & expected)
    return hits / max(len(found), 1), hits / max(len(expected), 1)


def test_quality_on_a_generated_labelled_set() -> None:
    corpus = generate_corpus(2500, seed=2021)
    result = find_duplicates(corpus.responses, SETTINGS)
    superseded = set(result.superseded.items())
    similar = similar_pairs(result)
    assert len(corpus.superseded) > 300 and len(corpus.similar) > 300  # the set tests something
    sup_precision, sup_recall = precision_recall(superseded, corpus.superseded)
    sim_precision, sim_recall = precision_recall(similar, corpus.similar)
    report = (
        f"superseded P={sup_precision:.3f} R={sup_recall:.3f}; "
        f"similar P={sim_precision:.3f} R={sim_recall:.3f}"
    )
    print(report)
    assert min(sup_precision, sup_recall, sim_precision, sim_recall) >= 0.95, report


# --- The generator ------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Split a list written as one string: on "|" when its items have spaces, else on spaces."""
    return tuple(text.split("|") if "|" in text else text.split())


FAMILY = _words(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Lò Quàng Lường Cà "
    "Tòng Điêu Vàng Giàng Sùng Mùa"
)
MIDDLE = _words("Văn Thị Đức Minh Thanh Ngọc Quang Xuân Thu Hồng Hữu Kim Bảo Diệu Mạnh Thúy")
GIVEN = _words(
    "An Bình Cường Dũng Giang Hà Hải Hạnh Hiếu Hoa Hùng Hương Lan Linh Long Mai Minh Nam Nga "
    "Phong Phương Quân Sơn Tâm Thảo Thắng Trang Tuấn Vân Yến Chiến Dung Khánh Lợi Nhung Oanh "
    "Quyết Sinh Thơ Tú Uyên Vinh Xuyến"
)
PLACES = _words(
    "Mường Thanh|Thanh Minh|Nà Tấu|Mường Phăng|Tuần Giáo|Điện Biên Đông|Mường Chà|Tủa Chùa|"
    "Mường Nhé|Nậm Pồ|Mường Ảng|Him Lam|Noong Bua|Nam Thanh|Tân Thanh|Thanh Trường|Thanh Xương|"
    "Pá Khoang|Sam Mứn|Na Ư|Núa Ngam|Mường Lói|Pú Nhi|Chiềng Sinh|Quài Tở|Búng Lao|Xá Nhè|"
    "Sín Thầu|Chà Nưa|Huổi Lèng|Pa Ham|Nà Nhạn|Thanh Luông|Hẹ Muông|Phì Nhừ|Keo Lôm"
)
UNIT_KINDS = _words(
    "Trường Tiểu học|Trường THCS|Trường Mầm non|Trường PTDTBT THCS|Trạm Y tế xã|"
    "Trung tâm Y tế huyện|UBND xã|Chi cục Thuế|Kho bạc Nhà nước|Công ty Cổ phần Cấp nước|"
    "Hạt Kiểm lâm|Bưu điện huyện|Điện lực|Chi nhánh Ngân hàng Chính sách xã hội"
)

DOMAINS: dict[str, dict[str, tuple[str, ...]]] = {
    "production": {
        "actions": _words(
            "Cải tiến|Cải tạo|Chế tạo|Lắp đặt|Tự động hóa|Nâng cấp|Thiết kế lại|Sửa chữa, phục hồi"
        ),
        "objects": _words(
            "máy nghiền đá|dây chuyền đóng bao xi măng|băng tải than|lò sấy chè|máy bơm nước thô|"
            "hệ thống lọc nước sạch|trạm biến áp 35kV|máy ép gạch không nung|"
            "hệ thống chiếu sáng nhà xưởng|máy tiện ren|xe nâng hàng|bể lắng cát|"
            "đường ống cấp nước|tủ điều khiển bơm|quạt hút bụi|kho lạnh bảo quản nông sản|"
            "máy xay xát gạo|dây chuyền sơ chế cà phê|máy phát điện dự phòng|máy cắt tôn"
        ),
        "metrics": _words(
            "thời gian dừng máy|điện năng tiêu thụ|tỷ lệ sản phẩm hỏng|chi phí sửa chữa|"
            "năng suất lao động|lượng nhiên liệu tiêu hao"
        ),
    },
    "admin": {
        "actions": _words(
            "Ứng dụng công nghệ thông tin trong|Đổi mới|Số hóa|Chuẩn hóa|Rút ngắn thời gian|"
            "Nâng cao hiệu quả|Xây dựng phần mềm hỗ trợ|Cải cách"
        ),
        "objects": _words(
            "quy trình tiếp nhận hồ sơ|công tác lưu trữ văn bản|quản lý văn bản đi đến|"
            "quy trình thu thuế hộ kinh doanh|quản lý hồ sơ đoàn viên|"
            "cấp giấy chứng nhận quyền sử dụng đất|công tác kế toán|chấm công cán bộ|"
            "quản lý tài sản công|báo cáo thống kê định kỳ|đăng ký hộ tịch|"
            "chi trả trợ cấp xã hội|quản lý quỹ công đoàn|giải quyết đơn thư|họp không giấy tờ|"
            "theo dõi nhiệm vụ được giao|quản lý chứng từ kho bạc"
        ),
        "metrics": _words(
            "thời gian giải quyết hồ sơ|số lượt đi lại của người dân|chi phí văn phòng phẩm|"
            "tỷ lệ hồ sơ trễ hạn|khối lượng giấy tờ"
        ),
    },
    "education": {
        "actions": _words(
            "Đổi mới|Áp dụng|Nâng cao chất lượng|Thiết kế|Xây dựng mô hình|Tổ chức|Vận dụng"
        ),
        "objects": _words(
            "phương pháp dạy học môn Toán|dạy tiếng Việt cho học sinh dân tộc thiểu số|"
            "tổ chức bán trú|đồ dùng dạy học tự làm|ôn thi tốt nghiệp|dạy học trực tuyến|"
            "thư viện xanh|giáo dục kỹ năng sống|phụ đạo học sinh yếu|dạy tiếng Anh|"
            "hoạt động trải nghiệm|dạy học môn Khoa học tự nhiên|"
            "sinh hoạt chuyên môn theo nghiên cứu bài học|dạy đọc cho trẻ mẫu giáo|"
            "giáo dục thể chất"
        ),
        "metrics": _words(
            "tỷ lệ học sinh bỏ học|tỷ lệ học sinh khá giỏi|tỷ lệ chuyên cần|kết quả thi học kỳ|"
            "số học sinh đọc thông viết thạo"
        ),
    },
    "health": {
        "actions": _words(
            "Nâng cao chất lượng|Cải tiến|Ứng dụng|Triển khai|Đổi mới|Xây dựng quy trình"
        ),
        "objects": _words(
            "chăm sóc người bệnh sau phẫu thuật|tiêm chủng mở rộng|"
            "quản lý bệnh nhân tăng huyết áp|khám sàng lọc bệnh đái tháo đường|"
            "phòng chống sốt xuất huyết|bảo quản vắc xin|kê đơn điện tử|xử lý chất thải y tế|"
            "chăm sóc trẻ suy dinh dưỡng|sơ cứu tai nạn lao động|quản lý thai nghén|"
            "cấp phát thuốc ngoại trú|khám chữa bệnh từ xa"
        ),
        "metrics": _words(
            "thời gian chờ khám|tỷ lệ nhiễm khuẩn|tỷ lệ trẻ suy dinh dưỡng|số ca biến chứng|"
            "chi phí thuốc"
        ),
    },
    "safety": {
        "actions": _words("Cải tiến|Xây dựng|Triển khai|Lắp đặt|Đổi mới|Nâng cao hiệu quả"),
        "objects": _words(
            "phòng chống cháy nổ|thu gom rác thải|xử lý nước thải sinh hoạt|an toàn điện|"
            "trang bị bảo hộ lao động|trồng cây xanh|giảm khói bụi|hệ thống báo cháy tự động|"
            "phân loại rác tại nguồn|ủ phân hữu cơ|cảnh báo sạt lở đất|"
            "an toàn khi làm việc trên cao|che chắn máy móc"
        ),
        "metrics": _words(
            "số vụ tai nạn lao động|lượng rác thải|nồng độ bụi|chi phí xử lý môi trường|"
            "số sự cố về điện"
        ),
    },
}
TOOLS = _words(
    "cảm biến mực nước|bộ hẹn giờ|biến tần|phần mềm Excel|mã QR|nhóm Zalo|bảng điều khiển PLC|"
    "thép phế liệu|tre nứa sẵn có|ống nhựa PVC|máy tính bảng|phần mềm nguồn mở|camera giám sát|"
    "pin năng lượng mặt trời|bảng kiểm|sổ tay điện tử|tranh ảnh trực quan|trò chơi học tập|"
    "biểu mẫu Google|bộ đếm điện tử|van một chiều|đèn LED|rơ le bảo vệ|loa cảnh báo"
)
DETAIL_NOUNS = _words(
    "vật tư|sổ sách|công nhân|ca trực|cán bộ|người dân|học sinh|phụ huynh|giáo viên|bệnh nhân|"
    "điều dưỡng|kỹ thuật viên|thủ kho|kế toán|lãnh đạo|mùa mưa|mùa khô|vùng cao|bản xa|đường đèo|"
    "sóng điện thoại|nguồn điện|nước sạch|củi đốt|than đá|xi măng|phân bón|cà phê|chè shan|"
    "lúa nương|ngô giống|trâu bò|cá lồng|rừng phòng hộ|nhà văn hóa|điểm trường|khu tập thể|"
    "bếp ăn|phòng máy|kho lưu trữ|tủ thuốc|xe cứu thương|cầu treo|đập thủy lợi|kênh mương|"
    "trạm bơm|máy phát|đường dây|hồ sơ giấy|biên bản"
)
DETAIL_VERBS = _words(
    "bảo dưỡng|hướng dẫn|kiểm tra|giám sát|bàn giao|nghiệm thu|lắp ráp|vận hành|thử nghiệm|"
    "điều chỉnh|ghi chép|tập huấn|tuyên truyền|tổng hợp|phân loại|sắp xếp|đối chiếu|cập nhật"
)
REWORDINGS = (
    ("Cải tiến", "Cải tạo"),
    ("Đổi mới", "Cải tiến"),
    ("Nâng cao chất lượng", "Nâng cao hiệu quả"),
    ("Ứng dụng", "Áp dụng"),
    ("Xây dựng", "Thiết lập"),
    ("Giải pháp", "Biện pháp"),
    ("Lắp đặt", "Lắp mới"),
    ("Triển khai", "Thực hiện"),
    ("Tổ chức", "Triển khai"),
)
FREQUENCIES = ("thường xuyên", "hằng tuần", "mỗi quý", "theo ca", "kịp thời", "hằng ngày")
PROBLEMS = (
    "Trước đây, {obj} tại {place} được thực hiện thủ công, mất nhiều thời gian và dễ sai sót.",
    "Qua thực tế công tác, tác giả nhận thấy {obj} còn nhiều hạn chế, {metric} cao.",
    "Hằng năm đơn vị phải chi khoảng {money} triệu đồng cho {obj} nhưng hiệu quả chưa cao.",
    "Năm {year}, đơn vị ghi nhận {count} trường hợp chậm trễ liên quan đến {obj}.",
    "Do địa bàn rộng, giao thông khó khăn, {obj} ở {village} gặp nhiều trở ngại.",
    "Cơ sở vật chất còn thiếu, {obj} chủ yếu dựa vào kinh nghiệm của {noun}.",
    "Mỗi tháng có khoảng {count} lượt {noun} phản ánh về {obj}, nhất là vào {season}.",
    "Khi triển khai {obj}, đơn vị thường gặp khó khăn vì thiếu {noun} và {noun2}.",
)
DETAILS = (
    "Việc {noun} và {noun2} tại bản {village} được {verb} {freq} cùng {noun3}, với {count} lượt "
    "mỗi tháng.",
    "Vào {season}, {noun} ở bản {village} thường thiếu {noun2}, nên phải {verb} {freq}.",
    "{Noun} phối hợp với {noun2} để {verb} {noun3}, bình quân {count} lần mỗi quý.",
    "Tại {village}, {noun} và {noun2} được {verb} lại, tránh lãng phí {noun3}.",
)
SOLUTIONS = (
    "Tác giả đã nghiên cứu, sử dụng {tool} để theo dõi và điều khiển {obj}.",
    "Giải pháp kết hợp {tool} với {tool2}, giúp giảm {metric} rõ rệt.",
    "Nhóm xây dựng quy trình gồm {steps} bước, dùng {tool} để phân công rõ trách nhiệm từng bộ "
    "phận.",
    "Tác giả tự chế tạo thiết bị từ {tool} và {tool2}, chi phí khoảng {cost} triệu đồng.",
    "Tác giả lập danh sách theo dõi bằng {tool}, cập nhật {freq} và gửi cho {noun}.",
    "Đơn vị bố trí {steps} tổ phụ trách, mỗi tổ được trang bị {tool} và hướng dẫn sử dụng.",
    "Thay vì làm thủ công, nay {noun} chỉ cần thao tác trên {tool}, số liệu được lưu đầy đủ.",
)
RESULTS = (
    "Sau {months} tháng áp dụng, {metric} giảm {pct}%, tiết kiệm khoảng {saving} triệu đồng mỗi "
    "năm.",
    "Kết quả, {metric} cải thiện {pct}% so với cùng kỳ năm trước.",
    "Giải pháp áp dụng từ tháng {month}/2021 tại {village}, giá trị làm lợi ước tính {saving} "
    "triệu đồng.",
    "Từ khi áp dụng, {metric} giảm rõ, {noun} đồng tình ủng hộ, tiết kiệm {saving} triệu đồng.",
    "Sau {months} tháng, {count} {noun} đã được hưởng lợi, {metric} giảm {pct}%.",
)
EXTRA_SENTENCES = (
    "Sáng kiến đã được Ban Chấp hành Công đoàn cơ sở thẩm định và đề nghị công nhận.",
    "Giải pháp có thể nhân rộng tại các đơn vị cùng ngành trong tỉnh.",
    "Đơn vị đã tổ chức tập huấn cho {n} đoàn viên để cùng áp dụng.",
    "Tác giả cam kết sáng kiến không vi phạm quyền tác giả của người khác.",
    "Số liệu được tổng hợp đến ngày {d}/4/2021.",
    "Hồ sơ kèm theo gồm biên bản nghiệm thu và hình ảnh minh họa.",
)


@dataclass
class Corpus:
    responses: list[Response]
    superseded: set[tuple[str, str]] = field(default_factory=set)  # (older id, kept id)
    similar: set[frozenset[str]] = field(default_factory=set)
    first_versions: set[str] = field(default_factory=set)  # ids of every initiative's first row


class Generator:
    """Deterministic, realistic-looking responses with known duplicates."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.authors: list[Author] = []
        self.subjects: dict[Author, set[str]] = {}  # what each author already wrote about
        self.names: set[tuple[str, str]] = set()
        self.serial = 0

    # Authors and content -------------------------------------------------------------------------

    def author(self) -> Author:
        r = self.rng
        # Namesakes are common, but not in the same grassroots union.
        name, unit = "", ""
        while not name or (name, unit) in self.names:
            name = f"{r.choice(FAMILY)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"
            unit = f"Công đoàn {r.choice(UNIT_KINDS)} {r.choice(PLACES)}"
        phone = f"0{r.choice('389')}{r.randrange(10**8):08d}"
        email = f"{strip_marks(name).lower().replace(' ', '.')}{r.randrange(100)}@gmail.com"
        author = Author(name, phone, email if r.random() < 0.5 else "", unit)
        self.names.add((name, unit))
        self.subjects[author] = set()
        return author

    def number(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def zipf(self, words: tuple[str, ...]) -> str:
        """A word, common ones more often, as in real text."""
        if self.rng.random() < 0.5:
            return self.rng.choice(words)
        return words[min(int(self.rng.paretovariate(0.8)) - 1, len(words) - 1)]

    def initiative(self, author: Author) -> tuple[str, str, str]:
        """Title, description and subject of a new initiative of this author."""
        r = self.rng
        domain = DOMAINS[r.choice(list(DOMAINS))]
        # An author's initiatives are about different things.
        subjects = [o for o in domain["objects"] if o not in self.subjects[author]]
        if not subjects:
            return self.initiative(author)
        obj = r.choice(subjects)
        self.subjects[author].add(obj)
        place = author.unit.removeprefix("Công đoàn ")
        action = r.choice(domain["actions"])
        context = r.choice(
            (
                f"tại {place}",
                f"tại {r.choice(PLACES)}",
                "",
                "trong đơn vị",
                "ở vùng cao",
                f"giai đoạn {self.number(2019, 2021)}-{self.number(2022, 2025)}",
            )
        )
        title = r.choice((f"{action} {obj} {context}", f"Giải pháp {action.lower()} {obj}"))
        slots = self.slots(obj, place, domain["metrics"])
        sentences = [r.choice(PROBLEMS), r.choice(DETAILS), r.choice(SOLUTIONS), r.choice(RESULTS)]
        if r.random() < 0.5:
            sentences.insert(r.randint(1, 3), r.choice(DETAILS))
        # The details are the author's own wording: each gets fresh words.
        description = " ".join(
            s.format(**self.slots(obj, place, domain["metrics"]) if s in DETAILS else slots)
            for s in sentences
        )
        return title.strip(), description, obj

    def slots(self, obj: str, place: str, metrics: tuple[str, ...]) -> dict[str, str | int]:
        r = self.rng
        noun = self.zipf(DETAIL_NOUNS)
        return {
            "obj": obj,
            "place": place,
            "metric": r.choice(metrics),
            "village": r.choice(PLACES),
            "noun": noun,
            "noun2": self.zipf(DETAIL_NOUNS),
            "noun3": self.zipf(DETAIL_NOUNS),
            "Noun": noun[0].upper() + noun[1:],
            "verb": self.zipf(DETAIL_VERBS),
            "tool": r.choice(TOOLS),
            "tool2": r.choice(TOOLS),
            "freq": r.choice(FREQUENCIES),
            "season": r.choice(("mùa mưa", "mùa khô", "dịp Tết", "đầu năm học", "vụ thu hoạch")),
            "money": self.number(5, 900),
            "year": self.number(2018, 2020),
            "count": self.number(3, 200),
            "steps": self.number(3, 9),
            "cost": self.number(2, 80),
            "months": self.number(2, 12),
            "pct": self.number(8, 70),
            "month": self.number(2, 5),
            "saving": self.number(5, 990),
        }

    # Edits ---------------------------------------------------------------------------------------

    def typos(self, text: str, count: int) -> str:
        r = self.rng
        chars = list(text)
        for _ in range(count):
            letters = [i for i, c in enumerate(chars) if c.isalpha()]
            if len(letters) < 2:
                break
            i = r.choice(letters[:-1])
            kind = r.randrange(4)
            if kind == 0:
                del chars[i]
            elif kind == 1:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
            elif kind == 2:
                chars.insert(i, chars[i])
            else:
                chars[i] = r.choice("aeiouynmhtg")
        return "".join(chars)

    def surface(self, text: str) -> str:
        """Edits fold() removes: marks, case, punctuation, line breaks, decomposed Unicode."""
        r = self.rng
        if r.random() < 0.3:
            text = strip_marks(text)
        if r.random() < 0.2:
            text = text.replace(". ", ".\n").replace(",", " ,")
        if r.random() < 0.2:
            text = unicodedata.normalize("NFD", text)
        return text

    def resubmission(self, title: str, description: str) -> tuple[str, str]:
        """What an author changes when sending the same initiative again."""
        r = self.rng
        edits: list[Callable[[str, str], tuple[str, str]]] = [
            lambda t, d: (t, d),
            lambda t, d: (self.typos(t, r.randint(1, 2)), self.typos(d, r.randint(1, 5))),
            lambda t, d: (t, f"{d} {self.extra_sentence()}"),
            lambda t, d: (t.upper() if r.random() < 0.5 else f"Sáng kiến: {t}", d),
            lambda t, d: (t, d.rsplit(". ", 1)[0] + "."),
            lambda t, d: (t, d.replace("%", " phần trăm", 1)),
            lambda t, d: (t, self.renumber(d, r.randint(1, 3))),
            lambda t, d: (self.reword(t), d),
            lambda t, d: (t, self.rewrite_a_sentence(d)),
        ]
        for edit in r.sample(edits, r.randint(1, 3)):
            title, description = edit(title, description)
        return self.surface(title), self.surface(description)

    def copy(self, title: str, description: str, author: Author, copier: Author) -> tuple[str, str]:
        """What someone else changes when sending another author's initiative as their own."""
        r = self.rng
        # The copier puts their own unit where the original names the author's.
        mine = author.unit.removeprefix("Công đoàn ")
        theirs = copier.unit.removeprefix("Công đoàn ")
        title, description = title.replace(mine, theirs), description.replace(mine, theirs)
        if r.random() < 0.3:
            description = self.renumber(description, 1)
        if r.random() < 0.5:
            description = self.typos(description, r.randint(1, 3))
        if r.random() < 0.3:
            title = self.typos(title, 1)
        return self.surface(title), self.surface(description)

    def renumber(self, text: str, count: int) -> str:
        """Corrected figures."""
        numbers = list(re.finditer(r"\d+", text))
        for match in sorted(
            self.rng.sample(numbers, min(count, len(numbers))),
            key=lambda m: m.start(),
            reverse=True,
        ):
            text = f"{text[: match.start()]}{self.number(2, 500)}{text[match.end() :]}"
        return text

    def reword(self, title: str) -> str:
        for old, new in REWORDINGS:
            if old in title:
                return title.replace(old, new, 1)
        return title.split(" tại ")[0]

    def rewrite_a_sentence(self, description: str) -> str:
        sentences = description.split(". ")
        if len(sentences) > 2:
            slots = self.slots("việc này", "đơn vị", ("chi phí",))
            sentences[self.rng.randrange(1, len(sentences) - 1)] = (
                self.rng.choice(DETAILS).format(**slots).rstrip(".")
            )
        return ". ".join(sentences)

    def copier(self, author: Author, subject: str) -> Author:
        """Someone else, who has not written about this subject before."""
        while True:
            other = self.rng.choice(self.authors)
            if other.name != author.name and subject not in self.subjects[other]:
                self.subjects[other].add(subject)
                return other

    def extra_sentence(self) -> str:
        return self.rng.choice(EXTRA_SENTENCES).format(n=self.number(5, 120), d=self.number(1, 22))

    # Rows ----------------------------------------------------------------------------------------

    def row(self, author: Author, title: str, description: str, when: datetime) -> Response:
        r = self.rng
        self.serial += 1
        name = author.name
        if r.random() < 0.15:
            name = strip_marks(name) if r.random() < 0.5 else name.upper()
        # The unit is picked from the form's list (D1), so it is always there; a row may leave
        # out the phone or the email.
        shown = {k for k in ("phone", "email") if r.random() < 0.8}
        return Response(
            source=r.choice(("huyen", "nganh")),
            row=0,
            id=f"R{self.serial:07d}",
            raw={},
            submitted_at=when,
            full_name=name,
            phone=author.phone if "phone" in shown else None,
            email=author.email if "email" in shown else "",
            grassroots_unit=author.unit,
            title=title,
            description=description,
        )

    def corpus(self, initiatives: int) -> Corpus:
        r = self.rng
        self.authors = [self.author() for _ in range(max(2, initiatives * 2 // 3))]
        rows: list[Response] = []
        truth = Corpus(rows)
        for _ in range(initiatives):
            author = r.choice(self.authors)
            title, description, subject = self.initiative(author)
            when = T0 + timedelta(minutes=r.randrange(60 * 24 * 40))
            versions = [self.row(author, title, description, when)]
            truth.first_versions.add(versions[0].id)
            for _ in range(r.choice((0, 0, 0, 1, 1, 2))):
                title, description = self.resubmission(title, description)
                when += timedelta(minutes=r.randrange(1, 60 * 24 * 5))
                versions.append(self.row(author, title, description, when))
            kept = versions[-1]
            truth.superseded.update((older.id, kept.id) for older in versions[:-1])
            family = [kept]
            for _ in range(r.choice((0,) * 8 + (1, 1, 2))):
                copier = self.copier(author, subject)
                copied = self.copy(kept.title, kept.description, author, copier)
                family.append(self.row(copier, *copied, when + timedelta(days=r.randint(1, 9))))
            truth.similar.update(
                frozenset((a.id, b.id)) for i, a in enumerate(family) for b in family[i + 1 :]
            )
            rows.extend(versions)
            rows.extend(family[1:])
        _number_rows(rows)
        r.shuffle(rows)
        return truth


def _number_rows(rows: list[Response]) -> None:
    """Sheets keep rows in the order they were submitted; the header is row 1."""
    per_source: dict[str, int] = {}
    for response in sorted(rows, key=lambda x: (x.submitted_at, x.id)):
        per_source[response.source] = per_source.get(response.source, 1) + 1
        response.row = per_source[response.source]


def generate_corpus(initiatives: int, seed: int) -> Corpus:
    return Generator(seed).corpus(initiatives)


def _groups_one_edge_at_a_time(size: int, edges: list[tuple[int, int]]) -> list[int]:
    """Each item's group named by its smallest member: merged edge by edge, as on paper."""
    group = list(range(size))
    for a, b in edges:
        low, high = sorted((group[a], group[b]))
        group = [low if g == high else g for g in group]
    return group


sizes_and_edges = st.integers(1, 40).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=60),
    )
)


@given(sizes_and_edges)
def test_rows_linked_directly_or_through_others_share_their_earliest(case) -> None:
    # Authors and resubmission chains are groups of rows linked pair by pair: every row of a
    # group, however long its chain of links, is named by the group's earliest row.
    size, edges = case
    expected = _groups_one_edge_at_a_time(size, edges)
    assert dedupe._earliest_members(size, edges) == expected
    groups = [[i for i in range(size) if expected[i] == g] for g in sorted(set(expected))]
    assert dedupe._clusters(size, edges) == [g for g in groups if len(g) > 1]


def test_a_long_chain_of_links_is_one_group() -> None:
    links = [(i + 1, i) for i in range(0, 5_000, 2)] + [(i, i + 1) for i in range(1, 5_000, 2)]
    assert set(dedupe._earliest_members(5_001, links[::-1])) == {0}


def test_trigrams_hashed_a_few_rows_at_a_time_in_threads_are_those_of_every_row_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each chunk writes into its own place in one array, from whichever thread takes it.
    rows = _content_rows(generate_corpus(40, seed=5).responses)
    whole = _trigram_hashes(rows.title, rows.description)
    monkeypatch.setattr(dedupe, "_CHUNK_ROWS", 3)
    trigrams, offsets = _all_trigram_hashes(rows.title, rows.description)
    assert np.array_equal(trigrams, whole)
    assert offsets[-1] == len(whole) and np.all(np.diff(offsets) >= 0)
    for row in (0, 7, len(rows) - 1):
        alone = _trigram_hashes(rows.title[row : row + 1], rows.description[row : row + 1])
        assert np.array_equal(trigrams[offsets[row] : offsets[row + 1]], alone)


def test_the_bound_worked_out_a_few_texts_and_pairs_at_a_time_is_each_pairs_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Texts are counted and pairs bounded in chunks, each written into its place.
    rows = _content_rows(generate_corpus(30, seed=3).responses)
    texts, lengths = rows.description, rows.description_length
    a_idx, b_idx = np.triu_indices(len(texts), k=1)
    monkeypatch.setattr(dedupe, "_CHUNK_ROWS", 3)
    monkeypatch.setattr(dedupe, "_PAIRS_AT_ONCE", 4)
    chunked = _common_letters_bound(texts, lengths, a_idx, b_idx)
    alone = [
        _common_letters_bound(texts, lengths, np.array([a]), np.array([b]))[0]
        for a, b in zip(a_idx.tolist(), b_idx.tolist(), strict=True)
    ]
    assert np.allclose(chunked, alone)
    assert len(set(chunked.tolist())) > 1


@pytest.mark.parametrize("block", [1, 5, 1 << 20])
def test_every_pair_of_each_list_is_numbered_once_earlier_row_first(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Lists of one length are taken together a few at a time (`_BLOCK` bounds how many).
    monkeypatch.setattr(dedupe, "_BLOCK", block)
    rng = np.random.default_rng(block)
    lists = [np.sort(rng.choice(1_000, size, replace=False)) for size in rng.integers(2, 31, 200)]
    rows = np.concatenate(lists).astype(np.int64)
    count = np.array([len(members) for members in lists], dtype=np.int64)
    code = dedupe._pair_codes(rows, count, row_bits=10)
    expected = sorted(
        (a << 10) | b for members in lists for a, b in combinations(members.tolist(), 2)
    )
    assert sorted(code.tolist()) == expected
