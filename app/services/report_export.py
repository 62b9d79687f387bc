"""A report as CSV (UTF-8 with BOM, so Excel shows the diacritics) or as an XLSX workbook, headers in Vietnamese."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from app.services.labels import channel_vi, status_vi
from app.services.report_period import TZ
from app.services.reports import LATE, ON_TIME, PENDING, LevelCount, Report

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | None

SUMMARY_HEADER = ("Nhóm chỉ tiêu", "Chỉ tiêu", "Giá trị")
AGENCY_HEADER = ("Cơ quan", "Tiếp nhận", "Đã trả lời", "Đúng hạn", "Trễ hạn", "Quá hạn (chờ xử lý)",
                 "Hài lòng trung bình")
CASE_HEADER = ("Mã hồ sơ", "Ngày tiếp nhận", "Kênh", "Lĩnh vực", "Cơ quan", "Trạng thái", "Ngày trả lời",
               "Thời gian xử lý (giờ làm việc)", "Đầu mối", "Thủ trưởng", "Quá hạn", "Mức hài lòng")
RESULT_VI = {ON_TIME: "Đúng hạn", LATE: "Trễ hạn", PENDING: "Đang xử lý", None: ""}


def _local(t: datetime | None) -> str:
    return t.astimezone(TZ).strftime("%d/%m/%Y %H:%M") if t is not None else ""


def _safe(value: Cell) -> Cell:
    """Text starting like a formula is quoted, so a name typed by an admin cannot run in Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _level_lines(section: str, level: LevelCount) -> list[tuple[str, str, Cell]]:
    return [(section, "Tổng số", level.total), (section, "Đúng hạn", level.on_time),
            (section, "Trễ hạn", level.late), (section, "Đang trong hạn", level.pending)]


def summary_table(report: Report) -> list[tuple[str, str, Cell]]:
    basis = "giờ làm việc" if report.handling_basis == "working_hours" else "giờ thực tế"
    lines: list[tuple[str, str, Cell]] = [
        ("Kỳ báo cáo", report.period.kind, report.period.label),
        ("Tổng hợp", "Tổng số hồ sơ tiếp nhận", report.total),
        ("Tổng hợp", "Đã trả lời", report.answered),
        ("Tổng hợp", "Quá hạn (trễ hạn – đang chờ xử lý)", report.overdue),
        ("Tổng hợp", f"Thời gian xử lý trung bình ({basis})", report.mean_handling_hours),
    ]
    lines += [("Theo kênh", name, n) for name, n in report.by_channel.items()]
    lines += [("Theo lĩnh vực", name, n) for name, n in report.by_topic.items()]
    lines += [("Theo cơ quan", name, n) for name, n in report.by_agency.items()]
    lines += [("Theo trạng thái", name, n) for name, n in report.by_status.items()]
    lines += _level_lines("Cấp đầu mối (8 giờ)", report.focal_point)
    lines += _level_lines("Cấp thủ trưởng (48 giờ)", report.head)
    lines.append(("Mức độ hài lòng", "Trung bình (1–5)", report.satisfaction_mean))
    lines += [("Mức độ hài lòng", f"{score} sao", n) for score, n in report.satisfaction_distribution.items()]
    return lines


def agency_table(report: Report) -> list[tuple[Cell, ...]]:
    return [(name, a.received, a.answered, a.on_time, a.late, a.overdue,
             round(sum(a.ratings) / len(a.ratings), 2) if a.ratings else None)
            for name, a in report.agencies.items()]


def case_table(report: Report) -> list[tuple[Cell, ...]]:
    return [(r.code, _local(r.received_at), channel_vi(r.channel), r.topic, r.agency, status_vi(r.status),
             _local(r.answered_at), r.handling_hours, RESULT_VI[r.focal_point], RESULT_VI[r.head],
             "Có" if r.overdue else "", r.satisfaction) for r in report.rows]


def to_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SUMMARY_HEADER)
    writer.writerows([tuple(_safe(v) for v in line) for line in summary_table(report)])
    return out.getvalue().encode("utf-8-sig")


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(v) for v in row])
    for column, name in zip(sheet.columns, header, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = max(12, min(40, len(name) + 4))
    sheet.freeze_panes = "A2"


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.worksheets[0])  # start without the default empty sheet
    _sheet(book, "Tổng hợp", SUMMARY_HEADER, summary_table(report))
    _sheet(book, "Theo cơ quan", AGENCY_HEADER, agency_table(report))
    _sheet(book, "Danh sách hồ sơ", CASE_HEADER, case_table(report))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(report: Report, extension: str) -> str:
    return f"bao-cao-1022_{report.period.first_day:%Y%m%d}-{report.period.last_day:%Y%m%d}.{extension}"
