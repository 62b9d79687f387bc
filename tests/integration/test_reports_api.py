"""Art. 11/17 reports over a seeded week: counts, timeliness per level, working-hour handling time, exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from app.db.models_cases import AuditLog
from app.services import cases
from tests.support.api_app import add_user, bearer, build_app, client_for, login_token
from tests.support.case_seed import ADMIN, Seeded, at, seed

pytestmark = pytest.mark.integration
TOKENS = {"boot-sup": "supervisor", "boot-aud": "auditor", "boot-op": "operator"}
WEEK = {"period": "week", "start": "2026-11-18"}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> tuple[TestClient, Seeded, str]:
    app = build_app(database_url, tmp_path, TOKENS)
    with app.state.sessions() as session:
        s = seed(session)
        cases.transition(session, s.a, "close", who=ADMIN, now=at(19, 9), data={"rating": "4"})
        cases.transition(session, s.b, "close", who=ADMIN, now=at(19, 9), data={"rating": "2"})
    add_user(app, "thutruong", "agency_head", agency_id=s.agency_id)
    return client_for(app), s, login_token(app, "thutruong")


def test_given_week_when_reporting_then_counts_levels_handling_time_and_satisfaction(
        world: tuple[TestClient, Seeded, str]) -> None:
    client, _s, _head = world
    response = client.get("/api/reports", params=WEEK, headers=bearer("boot-sup"))
    assert response.status_code == 200, response.text
    r = response.json()
    assert (r["period"], r["start"], r["end"], r["total"]) == ("week", "2026-11-16", "2026-11-22", 5)
    assert r["by_channel"] == {"Điện thoại 1022": 4, "Cổng thông tin điện tử": 1}
    assert r["by_topic"] == {"Sự cố hạ tầng kỹ thuật, vi phạm": 5}
    assert r["by_agency"] == {"Sở Xây dựng": 3, "Điện lực Quảng Nam": 1, "(chưa chuyển cơ quan)": 1}
    assert r["by_status"] == {"Đã đóng": 2, "Đã trả lời": 1, "Trễ hạn – đang chờ xử lý": 1, "Đã tiếp nhận": 1}
    assert r["focal_point"] == {"total": 4, "on_time": 2, "late": 2, "pending": 0}
    assert r["head"] == {"total": 2, "on_time": 1, "late": 1, "pending": 0}
    assert (r["overdue"], r["answered"]) == (1, 3)
    # 2 h, 2 h 45 and 9 h 30 of working time (Mon 09:00 -> Tue 10:30 skips the lunch break and the night)
    assert r["mean_handling_hours"] == 4.75 and r["handling_basis"] == "working_hours"
    assert r["satisfaction"] == {"rated": 2, "mean": 3.0, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}}


def test_given_other_week_or_month_when_reporting_then_periods_follow_the_vietnamese_calendar(
        world: tuple[TestClient, Seeded, str]) -> None:
    client = world[0]
    empty = client.get("/api/reports", params={"period": "week", "start": "2026-11-23"}, headers=bearer("boot-sup"))
    assert empty.json()["total"] == 0 and empty.json()["mean_handling_hours"] is None
    quarter = client.get("/api/reports", params={"period": "quarter", "start": "2026-11-01"},
                         headers=bearer("boot-sup")).json()
    assert (quarter["start"], quarter["end"], quarter["total"]) == ("2026-10-01", "2026-12-31", 5)


def test_given_custom_range_backwards_when_reporting_then_422(world: tuple[TestClient, Seeded, str]) -> None:
    client = world[0]
    response = client.get("/api/reports", params={"period": "custom", "start": "2026-11-20", "end": "2026-11-01"},
                          headers=bearer("boot-sup"))
    assert response.status_code == 422 and response.json()["error_id"] == "invalid_input"


def test_given_agency_head_when_reporting_then_only_own_agency(world: tuple[TestClient, Seeded, str]) -> None:
    client, _s, head = world
    r = client.get("/api/reports", params=WEEK, headers=bearer(head)).json()
    assert r["total"] == 3 and r["by_agency"] == {"Sở Xây dựng": 3} and r["overdue"] == 0


def test_given_operator_when_reporting_then_403(world: tuple[TestClient, Seeded, str]) -> None:
    assert world[0].get("/api/reports", headers=bearer("boot-op")).status_code == 403


def test_given_auditor_when_reporting_then_access_is_logged(world: tuple[TestClient, Seeded, str]) -> None:
    client = world[0]
    assert client.get("/api/reports/export.csv", params=WEEK, headers=bearer("boot-aud")).status_code == 200
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(AuditLog)).all()
    assert [(r.role, r.route.split(" ")[1]) for r in rows] == [("auditor", "/api/reports/export.csv")]


def test_given_report_when_exported_as_csv_then_bom_and_vietnamese_headers(
        world: tuple[TestClient, Seeded, str]) -> None:
    response = world[0].get("/api/reports/export.csv", params=WEEK, headers=bearer("boot-sup"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="bao-cao-1022_20261116-20261122.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Nhóm chỉ tiêu,Chỉ tiêu,Giá trị"
    assert "Tổng hợp,Tổng số hồ sơ tiếp nhận,5" in lines
    assert "Cấp đầu mối (8 giờ),Trễ hạn,2" in lines


def test_given_report_when_exported_as_xlsx_then_three_sheets_with_cases(
        world: tuple[TestClient, Seeded, str]) -> None:
    client, s, _head = world
    response = client.get("/api/reports/export.xlsx", params=WEEK, headers=bearer("boot-sup"))
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Tổng hợp", "Theo cơ quan", "Danh sách hồ sơ"]
    rows = list(book["Danh sách hồ sơ"].iter_rows(values_only=True))
    assert rows[0][0] == "Mã hồ sơ" and len(rows) == 6
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code[s.a][8] == "Đúng hạn" and by_code[s.d][9] == "Trễ hạn" and by_code[s.a][11] == 4
    cells = {str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row}
    assert not any("Nguyễn Văn An" in c or "0912000000" in c for c in cells)
