"""Vietnamese texts for the sound files Asterisk itself plays (queue announcements, numbers by say.c)."""

from __future__ import annotations

# say.c has no Vietnamese rules; its English rules join digits/N files (21 = digits/20 + digits/1),
# which reads acceptably in Vietnamese ("hai mươi" + "một").
_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mười một", "mười hai",
          "mười ba", "mười bốn", "mười lăm", "mười sáu", "mười bảy", "mười tám", "mười chín"]

SAY_SOUNDS: dict[str, str] = {f"digits/{n}": text for n, text in enumerate(_UNITS)}
SAY_SOUNDS.update({f"digits/{t}": f"{_UNITS[t // 10]} mươi" for t in range(20, 100, 10)})
SAY_SOUNDS.update({
    "digits/hundred": "trăm",
    "digits/thousand": "nghìn",
    "digits/million": "triệu",
    # app_queue's default announcement files.
    "queue-thereare": "Hiện có",
    "queue-callswaiting": "cuộc gọi đang chờ trước quý vị.",
    "queue-youarenext": "Quý vị là người tiếp theo được phục vụ.",
    "queue-holdtime": "Thời gian chờ dự kiến khoảng",
    "queue-minutes": "phút.",
    "queue-minute": "phút.",
    "queue-seconds": "giây.",
    "queue-less-than": "dưới",
    "queue-thankyou": "Xin cảm ơn quý vị đã kiên nhẫn chờ máy.",
    "queue-reporthold": "Thời gian chờ",
})

# Prompts the dialplan plays by name, when Python is not there to choose (app/names.py PROMPT_*).
SYSTEM_PROMPTS: dict[str, str] = {
    "td-agi-down": (
        "Xin quý vị vui lòng giữ máy, cuộc gọi đang được chuyển tới tổng đài viên. Cuộc gọi được ghi âm."
    ),
    "td-emergency-failed": (
        "Số khẩn cấp chưa trả lời. Xin quý vị giữ máy, tổng đài viên sẽ hỗ trợ quý vị ngay."
    ),
}
