"""Texts of the working calendar page (Vietnamese, English)."""

from __future__ import annotations

from app.web.common import i18n

_FORMAT_VI = "Viết giờ 24 tiếng HH:MM-HH:MM, nhiều khung cách nhau bằng dấu phẩy, ví dụ 07:00-11:30,13:30-17:00"
_FORMAT_EN = "Write 24-hour HH:MM-HH:MM, several windows separated by commas, e.g. 07:00-11:30,13:30-17:00"
_NOTHING_VI = " Không có gì bị thay đổi."
_NOTHING_EN = " Nothing was changed."

i18n.register({
    "nav.calendar": ("Lịch làm việc", "Working calendar"),
    "cal.title": ("Lịch làm việc của tổng đài", "The hotline's working calendar"),
    "cal.intro": ("Một lịch duy nhất: tổng đài tự động (IVR) dựa vào đây để nối người gọi với tổng đài viên hay "
                  "báo ngoài giờ, và thời hạn xử lý hồ sơ (SLA) cũng tính theo lịch này.",
                  "One calendar: the automated attendant (IVR) uses it to put callers through to operators or "
                  "announce that the line is closed, and case deadlines (SLA) are counted by it too."),
    # The "now" line.
    "cal.now": ("Bây giờ", "Now"),
    "cal.open": ("MỞ: người gọi được nối với tổng đài viên", "OPEN: callers are put through to operators"),
    "cal.closed": ("ĐÓNG: người gọi nghe thông báo ngoài giờ", "CLOSED: callers hear the out-of-hours message"),
    "cal.by": ("theo", "by"),
    "cal.rule.weekly": ("giờ làm việc hằng tuần", "the weekly hours"),
    "cal.rule.season": ("giờ làm việc theo mùa", "the seasonal hours"),
    "cal.rule.extra_day": ("ngày làm bù", "a make-up working day"),
    "cal.rule.holiday": ("ngày nghỉ lễ", "a public holiday"),
    "cal.rule.closure": ("nghỉ đột xuất", "a closure"),
    "cal.rule.day_off": ("ngày không có giờ làm việc trong tuần", "a day with no weekly hours"),
    "cal.rule.outside_hours": ("ngoài khung giờ làm việc của ngày", "outside the day's working hours"),
    "cal.next": ("Thay đổi tiếp theo", "Next change"),
    "cal.next_open": ("MỞ lúc", "OPENS at"),
    "cal.next_closed": ("ĐÓNG lúc", "CLOSES at"),
    "cal.next_none": ("không có giờ làm việc nào trong mười năm tới", "no working time within ten years"),
    "cal.in": ("còn", "in"),
    "cal.hours": ("giờ", "h"),
    "cal.minutes": ("phút", "min"),
    "cal.until": ("đến", "until"),
    "cal.cache": ("Thay đổi trên trang này đến tổng đài tự động trong vòng {s} giây (TD_CALENDAR_CACHE_S), không cần "
                  "khởi động lại Asterisk hay máy chủ AGI.",
                  "Changes made here reach the automated attendant within {s} seconds (TD_CALENDAR_CACHE_S), with "
                  "no restart of Asterisk or the AGI server."),
    "cal.zone": ("Giờ theo múi", "Times in zone"),
    # Weekly hours.
    "cal.weekly": ("Giờ làm việc hằng tuần", "Weekly working hours"),
    "cal.weekly_hint": (_FORMAT_VI + ". Để trống ngày nghỉ.", _FORMAT_EN + ". Leave a day off empty."),
    "cal.day.0": ("Thứ Hai", "Monday"),
    "cal.day.1": ("Thứ Ba", "Tuesday"),
    "cal.day.2": ("Thứ Tư", "Wednesday"),
    "cal.day.3": ("Thứ Năm", "Thursday"),
    "cal.day.4": ("Thứ Sáu", "Friday"),
    "cal.day.5": ("Thứ Bảy", "Saturday"),
    "cal.day.6": ("Chủ Nhật", "Sunday"),
    "cal.save_weekly": ("Lưu giờ hằng tuần", "Save the weekly hours"),
    "cal.seasons": ("Mùa đang khai báo (giờ riêng thay giờ hằng tuần trong khoảng ngày; sửa qua API):",
                    "Seasons declared (their own hours replace the weekly ones between the dates; edit via the API):"),
    # Holidays.
    "cal.holidays": ("Ngày nghỉ lễ năm {year}", "Public holidays {year}"),
    "cal.col.date": ("Ngày", "Date"),
    "cal.col.name": ("Lý do", "Reason"),
    "cal.col.state": ("Trạng thái", "State"),
    "cal.col.windows": ("Giờ làm", "Hours"),
    "cal.col.from": ("Từ", "From"),
    "cal.col.to": ("Đến", "To"),
    "cal.state.closed": ("Nghỉ", "Closed"),
    "cal.state.working": ("Vẫn làm việc (đã bỏ nghỉ)", "Working (holiday lifted)"),
    "cal.source.package": ("theo luật", "statutory"),
    "cal.source.manual": ("thêm tay", "added by hand"),
    "cal.remove": ("Bỏ", "Remove"),
    "cal.reclose": ("Nghỉ lại", "Close again"),
    "cal.none": ("Chưa có.", "None yet."),
    "cal.add_holiday": ("Thêm ngày nghỉ", "Add a holiday"),
    "cal.f.date": ("Ngày", "Date"),
    "cal.f.reason": ("Lý do", "Reason"),
    "cal.f.reason_hint": ("ví dụ: Nghỉ bù Quốc khánh", "e.g. National Day, moved"),
    "cal.f.windows": ("Giờ làm việc", "Working hours"),
    "cal.f.start": ("Bắt đầu", "Starts"),
    "cal.f.end": ("Kết thúc", "Ends"),
    "cal.add": ("Thêm", "Add"),
    # Make-up days and closures.
    "cal.extra": ("Ngày làm bù", "Make-up working days"),
    "cal.extra_hint": ("Một ngày nghỉ (thường là thứ Bảy) mà tổng đài vẫn làm việc, kể cả khi trùng ngày lễ.",
                       "A day off (often a Saturday) on which the hotline works, even on a holiday."),
    "cal.closures": ("Nghỉ đột xuất", "Closures"),
    "cal.closures_hint": ("Một khoảng thời gian tổng đài đóng (bão, mất điện…), theo giờ địa phương.",
                          "A period when the hotline is closed (storm, power cut…), in local time."),
    "cal.past": ("đã qua", "past"),
    # Outcomes.
    "cal.done.weekly": ("Đã lưu giờ làm việc hằng tuần.", "The weekly hours are saved."),
    "cal.done.holiday_added": ("Đã thêm ngày nghỉ {day}.", "Holiday {day} added."),
    "cal.done.holiday_removed": ("Đã bỏ ngày nghỉ {day}: tổng đài làm việc ngày đó.",
                                 "Holiday {day} removed: the hotline works that day."),
    "cal.done.extra_added": ("Đã thêm ngày làm bù {day}.", "Make-up day {day} added."),
    "cal.done.extra_removed": ("Đã bỏ ngày làm bù {day}.", "Make-up day {day} removed."),
    "cal.done.closure_added": ("Đã thêm khoảng nghỉ đột xuất.", "Closure added."),
    "cal.done.closure_removed": ("Đã bỏ khoảng nghỉ đột xuất.", "Closure removed."),
    "cal.done.reaches": (" Tổng đài tự động áp dụng trong vòng {s} giây.",
                         " The automated attendant applies it within {s} seconds."),
    # Errors: what is wrong, what to do, and that nothing changed.
    "cal.err.day_windows": ("{day}: không đọc được giờ «{text}». " + _FORMAT_VI + "; để trống nếu nghỉ cả ngày."
                            + _NOTHING_VI,
                            "{day}: cannot read the hours “{text}”. " + _FORMAT_EN + "; leave it empty for a day off."
                            + _NOTHING_EN),
    "cal.err.week_empty": ("Tuần không có ngày làm việc nào. Điền giờ cho ít nhất một ngày; muốn đóng cả tuần thì "
                           "thêm một khoảng nghỉ đột xuất." + _NOTHING_VI,
                           "The week has no working day. Fill in the hours of at least one day; to close for a "
                           "whole week, add a closure instead." + _NOTHING_EN),
    "cal.err.date": ("Chưa chọn ngày hoặc ngày không hợp lệ. Chọn ngày trong ô Ngày." + _NOTHING_VI,
                     "No date, or not a valid date. Pick a date in the Date box." + _NOTHING_EN),
    "cal.err.name": ("Chưa ghi lý do. Ghi lý do nghỉ (tối đa 256 ký tự), ví dụ «Nghỉ bù Quốc khánh»." + _NOTHING_VI,
                     "No reason given. Write why the hotline is closed (256 characters at most), e.g. “National Day, "
                     "moved”." + _NOTHING_EN),
    "cal.err.windows": ("Không đọc được giờ làm việc «{text}». " + _FORMAT_VI + "." + _NOTHING_VI,
                        "Cannot read the working hours “{text}”. " + _FORMAT_EN + "." + _NOTHING_EN),
    "cal.err.datetime": ("Thiếu hoặc sai thời điểm bắt đầu/kết thúc. Chọn cả ngày và giờ ở hai ô Bắt đầu và Kết "
                         "thúc." + _NOTHING_VI,
                         "A start or end time is missing or wrong. Pick both a date and a time in Starts and Ends."
                         + _NOTHING_EN),
    "cal.err.order": ("Thời điểm kết thúc phải sau thời điểm bắt đầu. Sửa ô Kết thúc rồi bấm Thêm." + _NOTHING_VI,
                      "The end must come after the start. Correct Ends and press Add." + _NOTHING_EN),
    "cal.err.too_long": ("Lý do quá dài (tối đa 256 ký tự). Viết ngắn lại." + _NOTHING_VI,
                         "The reason is too long (256 characters at most). Shorten it." + _NOTHING_EN),
    "cal.err.gone": ("Mục này không còn trong lịch (có thể người khác vừa bỏ). Xem lại danh sách bên dưới."
                     + _NOTHING_VI,
                     "This entry is no longer in the calendar (someone may have just removed it). Check the list "
                     "below." + _NOTHING_EN),
    "cal.err.invalid": ("Dữ liệu không hợp lệ ở ô «{field}». Sửa rồi gửi lại." + _NOTHING_VI,
                        "The “{field}” box is not valid. Correct it and send again." + _NOTHING_EN),
})
