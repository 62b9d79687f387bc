"""Email through SMTP (smtplib); the idempotency key is the Message-ID, so mail systems can drop duplicates."""

from __future__ import annotations

import hashlib
import re
import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from app.notify.adapters.base import Message
from app.notify.errors import PermanentDeliveryError, TransientDeliveryError
from app.settings import Settings

MESSAGE_ID_DOMAIN = "tongdai1022"
# Python's header folder drops the space between two encoded words (a Vietnamese subject is split in several);
# long lines keep each header in one encoded word. 998 is SMTP's hard limit.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def message_id(key: str) -> str:
    """The same key always gives the same Message-ID; ':' and '/' are not allowed there, so they are replaced
    and a hash of the exact key keeps different keys apart."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")
    return f"<{safe}.{hashlib.sha256(key.encode()).hexdigest()[:12]}@{MESSAGE_ID_DOMAIN}>"


class SmtpAdapter:
    def __init__(self, *, host: str, port: int, sender: str, user: str = "", password: str = "",
                 starttls: bool = False, timeout: float = 20.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    @classmethod
    def from_settings(cls, s: Settings) -> SmtpAdapter:
        return cls(host=s.notify_smtp_host, port=s.notify_smtp_port, sender=s.notify_smtp_from,
                   user=s.notify_smtp_user, password=s.notify_smtp_password, starttls=s.notify_smtp_starttls,
                   timeout=s.notify_timeout_s)

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message.idempotency_key)
        mail["X-Idempotency-Key"] = message.idempotency_key
        mail.set_content(message.body)
        return mail

    def send(self, message: Message) -> None:
        mail = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = TransientDeliveryError if any(400 <= c < 500 for c in codes) else PermanentDeliveryError
            raise error(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are fixed in the settings, not in the message: keep the row and retry.
            raise TransientDeliveryError(f"SMTP login failed: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentDeliveryError if exc.smtp_code >= 500 else TransientDeliveryError
            raise error(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused connections, timeouts
            raise TransientDeliveryError(f"{type(exc).__name__}: {exc}") from exc
