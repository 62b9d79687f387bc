"""Page texts in Vietnamese and English: ?lang=en or the td_lang cookie switches; Vietnamese is the default."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import Request

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
LANG_COOKIE = "td_lang"

# key -> (Vietnamese, English); each page folder adds its own texts with register()
TEXTS: dict[str, tuple[str, str]] = {
    "app.name": ("Tổng đài 1022", "1022 Hotline"),
    "lang.switch": ("English", "Tiếng Việt"),
    "lang.switch_title": ("Switch to English", "Chuyển sang tiếng Việt"),
    "nav.console": ("Bàn tổng đài viên", "Operator console"),
    "nav.kb": ("Cơ sở tri thức", "Knowledge base"),
    "nav.kb_admin": ("Sửa cơ sở tri thức", "Edit knowledge base"),
    "nav.logout": ("Đăng xuất", "Sign out"),
    "nav.signed_in_as": ("Đăng nhập:", "Signed in:"),
    "login.title": ("Đăng nhập", "Sign in"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.password": ("Mật khẩu", "Password"),
    "login.submit": ("Đăng nhập", "Sign in"),
    "login.help": ("Dùng tài khoản do quản trị viên cấp. Phiên làm việc kéo dài 12 giờ.",
                   "Use the account your administrator gave you. A session lasts 12 hours."),
    "login.expired": ("Biểu mẫu đã hết hạn. Nhập lại tên đăng nhập và mật khẩu rồi bấm Đăng nhập.",
                      "The form expired. Enter your username and password again and press Sign in."),
    "login.too_many": ("Quá nhiều lần đăng nhập. Chờ một phút rồi thử lại.",
                       "Too many sign-in attempts. Wait a minute and try again."),
    "login.signed_out": ("Bạn đã đăng xuất.", "You are signed out."),
    "error.401.title": ("Cần đăng nhập", "Sign-in needed"),
    "error.401.body": ("Trang này cần đăng nhập. Bấm vào liên kết dưới đây để đăng nhập.",
                       "This page needs you to sign in. Follow the link below to sign in."),
    "error.403.title": ("Không được phép", "Not allowed"),
    "error.403.body": ("Vai trò của bạn không được mở trang này. Đăng nhập bằng tài khoản khác hoặc nhờ quản trị "
                       "viên.",
                       "Your role may not open this page. Sign in with another account or ask an administrator."),
    "error.csrf.title": ("Biểu mẫu không hợp lệ", "Form not valid"),
    "error.csrf.body": ("Biểu mẫu đã cũ hoặc không đến từ trang này. Tải lại trang rồi làm lại; không có gì bị "
                        "thay đổi.",
                        "The form is old or did not come from this site. Reload the page and do it again; "
                        "nothing was changed."),
    "error.404.title": ("Không tìm thấy", "Not found"),
    "error.404.body": ("Không có trang hoặc mục này. Quay lại danh sách và chọn lại.",
                       "There is no such page or item. Go back to the list and choose again."),
    "error.back": ("Về trang chính", "Back to the start page"),
}


def register(texts: Mapping[str, tuple[str, str]]) -> None:
    """Add a page folder's texts; a key defined twice is a programming error."""
    clash = set(texts) & set(TEXTS)
    if clash:
        raise ValueError(f"text keys defined twice: {sorted(clash)}")
    TEXTS.update(texts)


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT_LANG
    return asked if asked in LANGS else DEFAULT_LANG


def text(lang: str, key: str) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key  # shows the key on the page rather than failing the whole page
    return pair[1] if lang == "en" else pair[0]


def translator(lang: str) -> Callable[[str], str]:
    return lambda key: text(lang, key)


def texts_with_prefix(lang: str, *prefixes: str) -> dict[str, str]:
    """The texts a page's JavaScript needs, given to it as JSON."""
    return {k: text(lang, k) for k in TEXTS if k.startswith(prefixes)}
