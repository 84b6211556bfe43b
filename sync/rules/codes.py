"""The one registry of violation codes.

A code's id is a contract with officers, saved sheets and `sync-report.json`: never rename or
remove one, only add. Templates are Vietnamese because they land in officers' sheets; their
placeholders are filled from the keyword arguments given to `Code.violation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..models import Violation


class Severity(StrEnum):
    ERROR = "error"  # the row is invalid
    WARNING = "warning"  # the row stays valid; an officer should look


class Category(StrEnum):
    INTAKE = "intake"  # found in the submitted row itself
    REVIEW = "review"  # found in the officers' appraisal and nominations


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    category: Category
    severity: Severity
    field: str | None  # the field it usually concerns; a check may name a more precise one
    template: str  # Vietnamese message for officers
    summary: str  # English, for the README and the IT officer
    # The message for readers outside the unit (sync-report.json, the terminal) when `template`
    # quotes personal data such as a phone number; it names the field instead of the value.
    public_template: str | None = None
    name: str = ""  # short Vietnamese name, a column header or a reason in a cell

    def violation(self, field: str | None = None, raw_value: object = None, **details) -> Violation:
        raw = None if raw_value is None else str(raw_value)
        message = self.template.format(**details)
        return Violation(code=self.id, field=field or self.field, message=message, raw_value=raw)


_E, _W = Severity.ERROR, Severity.WARNING
_IN, _REV = Category.INTAKE, Category.REVIEW

REGISTRY: dict[str, Code] = {
    code.id: code
    for code in (
        Code(
            "MISSING_REQUIRED",
            _IN,
            _E,
            None,
            "Thiếu thông tin bắt buộc: cột «{column}» đang để trống.",
            "A required answer is blank.",
            name="Thiếu thông tin bắt buộc",
        ),
        Code(
            "TOO_LONG",
            _IN,
            _E,
            "description",
            "Mô tả sáng kiến «{start}» dài {length} ký tự, vượt giới hạn {limit} ký tự.",
            "The description is longer than the limit (counted after NFC normalisation).",
            name="Mô tả quá dài",
        ),
        Code(
            "LATE",
            _IN,
            _E,
            "timestamp",
            "Gửi lúc {submitted}, sau thời điểm đóng biểu mẫu {closes}.",
            "Submitted at or after the moment the form closes.",
            name="Gửi sau hạn",
        ),
        Code(
            "UNKNOWN_UNIT",
            _IN,
            _E,
            "grassroots_unit",
            "Không tìm thấy đơn vị «{value}» trong danh sách tổ chức công đoàn. {hint}",
            "The union named cannot be matched to exactly one unit of the organisation tree.",
            name="Không rõ đơn vị",
        ),
        Code(
            "INVALID_CHOICE",
            _IN,
            _E,
            None,
            "Giá trị «{value}» ở cột «{column}» không có trong danh sách cho phép: {allowed}.",
            "A field (lĩnh vực) or sector (khối) that is not in the configured lists.",
            name="Lựa chọn không hợp lệ",
        ),
        Code(
            "BAD_DATE",
            _IN,
            _E,
            None,
            "Không đọc được ngày «{value}» ở cột «{column}»; hãy ghi theo dạng {expected}.",
            "A required date or timestamp that cannot be read.",
            name="Ngày không đọc được",
        ),
        Code(
            "OUT_OF_WINDOW",
            _IN,
            _E,
            "start_date",
            "Thời gian bắt đầu áp dụng {start} nằm ngoài khoảng cho phép {window_start} – "
            "{window_end}.",
            "The implementation start is outside the configured window (D7).",
            name="Ngày áp dụng ngoài thời gian",
        ),
        Code(
            "BAD_PHONE",
            _IN,
            _W,
            "phone",
            "Số điện thoại «{value}» không hợp lệ; cần 10 chữ số, bắt đầu bằng 0.",
            "A phone number that is not a valid Vietnamese number.",
            "Số điện thoại (trường «{field}») không hợp lệ; cần 10 chữ số, bắt đầu bằng 0.",
            name="Số điện thoại sai",
        ),
        Code(
            "BAD_EMAIL",
            _IN,
            _W,
            "email",
            "Địa chỉ email «{value}» không hợp lệ.",
            "An e-mail address that is not well formed.",
            "Địa chỉ email (trường «{field}») không hợp lệ.",
            name="Email sai",
        ),
        Code(
            "FORMULA_NOT_CALCULATED",
            _IN,
            _E,
            None,
            "Ô ở cột «{column}» là công thức chưa có giá trị: mở tệp bằng Excel và lưu lại, rồi "
            "chạy đồng bộ lại.",
            "A formula cell saved without its computed value (the workbook was written by a "
            "program, not by Excel): its value is unknown, not blank.",
            name="Công thức chưa có giá trị",
        ),
        Code(
            "LEGACY_ENCODING",
            _IN,
            _W,
            None,
            "Cột «{column}» được gõ bằng bảng mã cũ ({encoding}), đã tự chuyển sang Unicode "
            "thành «{value}»; hãy kiểm tra lại và dùng bảng mã Unicode khi gõ.",
            "Text typed in a legacy Vietnamese encoding (TCVN3/ABC, VNI, or UTF-8 read as "
            "Windows-1252/1258) was converted to Unicode; the row stays valid.",
            name="Bảng mã cũ",
        ),
        Code(
            "POSSIBLE_DUPLICATE",
            _IN,
            _W,
            "title",
            "Nội dung rất giống sáng kiến {others} của tác giả khác; cần kiểm tra quyền tác giả.",
            "Very similar content from a different author (a possible authorship dispute, D14).",
            name="Có thể trùng tác giả khác",
        ),
        Code(
            "QUOTA_EXCEEDED",
            _REV,
            _E,
            "review.nominated",  # the column the nomination is typed in
            "{unit} đề xuất {count} sáng kiến, vượt số lượng được phân bổ ({quota}); sáng kiến "
            "này (xếp thứ {rank}) chưa được chuyển lên cấp trên.",
            "A unit nominated more initiatives than its quota; the surplus ones (lowest score, "
            "then latest nominated) do not pass up (D8, D11).",
            name="Vượt chỉ tiêu",
        ),
        Code(
            "NOT_ELIGIBLE",
            _REV,
            _E,
            "review.nominated",  # the column the nomination is typed in
            "{unit} đề xuất sáng kiến này nhưng không thể chuyển lên cấp trên: {reason}.",
            "A nominated initiative with a complaint or an authorship dispute ticked, or that is "
            "invalid or a duplicate, cannot pass up (D14).",
            name="Không đủ điều kiện",
        ),
        Code(
            "DOSSIER_LATE",
            _REV,
            _E,
            "review.nominated",  # the column the nomination is typed in
            "{unit} đề xuất sáng kiến này lúc {seen}, không kịp hạn nộp hồ sơ trước ngày {due}.",
            "A nomination first seen by the sync on or after the dossier due date (D13, D14); it "
            "does not pass up.",
            name="Đề xuất sau hạn hồ sơ",
        ),
        Code(
            "BAD_REVIEW_VALUE",
            _REV,
            _E,
            "review",
            "{unit}: cột «{column}» ghi «{value}», không đọc được; cần {expected}. Sáng kiến chỉ "
            "được chuyển lên cấp trên khi đã sửa.",
            "An appraisal, score or confirmed benefit that cannot be read as meant (a score "
            "outside 0–100, an unknown appraisal word, a benefit that is not money); the "
            "nomination does not pass up and takes no quota place until it is fixed.",
            name="Ô thẩm định ghi sai",
        ),
        Code(
            "UNPLACED_CELL",
            _REV,
            _W,
            "review",
            "Ô «{value}» ở trang «{sheet}», dòng {row}, cột «{column}» không gắn được với sáng "
            "kiến nào (dòng không có mã sáng kiến, hoặc là bản sao ghi khác bản đầu); chương trình "
            "không dùng giá trị này. Hãy ghi lại vào đúng dòng có mã sáng kiến.",
            "An officer's review cell the sync cannot attach to an initiative (its row has no id, "
            "or it is a second copy of a row that says otherwise): not used, never dropped "
            "silently; listed in the unit's problems tab and the audit log.",
            name="Ô không gắn được sáng kiến",
        ),
    )
}


def code(code_id: str) -> Code:
    return REGISTRY[code_id]


def public_message(violation: Violation) -> str:
    """The violation's message as shown outside the unit's own sheets: without the personal data
    (phone, e-mail) that the sheet's message quotes."""
    registered = REGISTRY.get(violation.code)
    if registered is None or registered.public_template is None:
        return violation.message
    return registered.public_template.format(field=violation.field)
