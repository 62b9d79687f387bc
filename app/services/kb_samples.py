"""Sample knowledge-base articles, drawn only from the seed documents, for the province to replace.

Nothing here is invented: a fee or time limit the sources do not state is left empty, and the page then says
"see the official procedure". Sources: Decision 1519/QĐ-UBND of Quảng Nam (04/6/2021) and two news items
about the Quảng Nam 1022 hotline (the project's seed documents 000, 001 and 003).
"""

from __future__ import annotations

from typing import Any

QD1519 = "QĐ 1519/QĐ-UBND tỉnh Quảng Nam ngày 04/6/2021"
HOTLINE = "Tổng đài 1022 Quảng Nam: gọi số cố định bấm 1022, gọi số di động bấm 0235.1022 (Điều 5 khoản 1)."
ART10 = ("Khi chuyển cho cơ quan xử lý: nhân sự đầu mối trả lời không quá 08 giờ làm việc kể từ khi nhận nội dung "
         "từ Tổng đài viên; thủ trưởng cơ quan không quá 48 giờ làm việc (Điều 10).")

SAMPLES: list[dict[str, Any]] = [
    {
        "title": "Tra cứu tình trạng xử lý hồ sơ thủ tục hành chính",
        "topic": "admin.dossier_status",
        "procedure": (
            "Tổng đài 1022 hỗ trợ người dân, doanh nghiệp tra cứu tình trạng xử lý hồ sơ thủ tục hành chính "
            "(Điều 4 khoản 1 điểm a).\n"
            "1. Ghi lưu họ tên, số điện thoại, địa chỉ của người gọi (Điều 8 khoản 1).\n"
            "2. Tra cứu trên cơ sở dữ liệu thông tin dịch vụ công và tài liệu chính thức của tỉnh (Điều 9 khoản 1).\n"
            "3. Nếu không trả lời trực tiếp được: ghi lưu và chuyển cho nhân sự đầu mối của cơ quan đang giải quyết "
            "hồ sơ (Điều 9 khoản 2)."),
        "time_limit": "Thời hạn giải quyết hồ sơ: xem quy trình chính thức của thủ tục. " + ART10,
        "where_to_file": HOTLINE,
        "source": f"{QD1519}, Điều 4, 8, 9, 10 (tài liệu nguồn 003)",
    },
    {
        "title": "Đăng ký tiếp nhận hồ sơ và trả kết quả tại nhà qua dịch vụ bưu chính công ích",
        "topic": "admin.howto",
        "procedure": (
            "Tổng đài 1022 tiếp nhận đăng ký thực hiện tiếp nhận hồ sơ và trả kết quả tại nhà qua dịch vụ bưu chính "
            "công ích (Điều 4 khoản 1 điểm a).\n"
            "1. Ghi lưu thông tin người đăng ký theo Điều 6 (họ và tên, địa chỉ liên hệ, số điện thoại, thư điện tử "
            "nếu có).\n"
            "2. Ghi rõ thủ tục hành chính cần nộp hồ sơ hoặc nhận kết quả.\n"
            "3. Chuyển phiếu đến cơ quan giải quyết thủ tục (Điều 9 khoản 2, 3)."),
        "documents": ("Thông tin người đăng ký theo Điều 6. Thành phần hồ sơ của từng thủ tục: xem quy trình chính "
                      "thức của thủ tục."),
        "where_to_file": HOTLINE,
        "source": f"{QD1519}, Điều 4, 6, 9 (tài liệu nguồn 003); tin về Đề án Tổng đài 1022 (tài liệu nguồn 001)",
    },
    {
        "title": "Hỗ trợ thực hiện dịch vụ công trực tuyến",
        "topic": "admin.howto",
        "procedure": (
            "Tổng đài 1022 hỗ trợ người dân, doanh nghiệp thực hiện dịch vụ công trực tuyến trên Cổng dịch vụ công "
            "tỉnh và Cổng dịch vụ công quốc gia (Điều 4 khoản 1 điểm a; Đề án Tổng đài 1022).\n"
            "Nếu không hướng dẫn trực tiếp được: ghi lưu và chuyển cho nhân sự đầu mối của cơ quan giải quyết thủ "
            "tục (Điều 9 khoản 2)."),
        "where_to_file": ("Cổng dịch vụ công quốc gia: http://dichvucong.gov.vn (Điều 5 khoản 3). Cổng dịch vụ công "
                          "tỉnh: xem địa chỉ chính thức của tỉnh. " + HOTLINE),
        "source": f"{QD1519}, Điều 4, 5, 9 (tài liệu nguồn 003); tin về Đề án Tổng đài 1022 (tài liệu nguồn 001)",
    },
    {
        "title": "Cách gửi yêu cầu, phản ánh, kiến nghị đến Tổng đài 1022 Quảng Nam",
        "topic": None,
        "procedure": (
            "Người dân, doanh nghiệp gọi điện hoặc gửi nội dung qua các kênh của Tổng đài 1022 (Điều 2, Điều 5). "
            "Tổng đài viên ghi lưu thông tin và nội dung vào hệ thống phần mềm (Điều 8 khoản 1), trả lời trực tiếp "
            "hoặc chuyển cho cơ quan có thẩm quyền (Điều 9)."),
        "documents": (
            "Yêu cầu theo Điều 6: dùng tiếng Việt; họ và tên, địa chỉ liên hệ, số điện thoại, địa chỉ thư điện tử "
            "(nếu có); nội dung yêu cầu, phản ánh, kiến nghị rõ ràng, trung thực, khách quan; thái độ lịch sự, tôn "
            "trọng Tổng đài viên."),
        "time_limit": (ART10 + " Cần xác minh, kiểm tra: không quá 24 giờ làm việc. Cơ quan hẹn lại người dân không "
                       "quá 01 lần."),
        "where_to_file": (
            HOTLINE + "\nCổng thông tin điện tử tỉnh quangnam.gov.vn (mục tiếp nhận, trả lời phản ánh kiến nghị); "
            "email 1022@quangnam.gov.vn; Zalo Official Account và Fanpage Facebook “1022 Quảng Nam”; ứng dụng "
            "“Quảng Nam trực tuyến”.\nCổng dịch vụ công quốc gia http://dichvucong.gov.vn.\nThư, đơn giấy: Tổng đài "
            "1022 Quảng Nam, 02A Phan Bội Châu, TP. Tam Kỳ, tỉnh Quảng Nam (Điều 5 khoản 3)."),
        "source": f"{QD1519}, Điều 2, 5, 6, 8, 9, 10 (tài liệu nguồn 003); tin ngày 15/11/2022 (tài liệu nguồn 000)",
    },
    {
        "title": "An ninh trật tự 113, cứu hỏa cứu nạn 114, cấp cứu 115; khiếu nại, tố cáo",
        "topic": None,
        "procedure": (
            "Các phản ánh thuộc lĩnh vực an ninh, trật tự (113), cứu hỏa, cứu nạn, cứu hộ (114), cứu thương (115); "
            "các phản ánh hiện trường; đơn, thư khiếu nại, tố cáo và giải quyết khiếu nại, tố cáo: Tổng đài 1022 "
            "hướng dẫn người dân gọi, gửi đến đúng đầu số, địa chỉ cần liên hệ (Điều 4 khoản 6).\n"
            "Trên bàn tổng đài viên: chọn «Chuyển 113/114/115» để ghi nhận và chuyển thẳng cuộc gọi."),
        "where_to_file": "113: an ninh, trật tự. 114: cứu hỏa, cứu nạn, cứu hộ. 115: cứu thương.",
        "source": f"{QD1519}, Điều 4 khoản 6 (tài liệu nguồn 003)",
    },
]
