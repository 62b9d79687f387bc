"""Runtime settings, read from TD_* environment variables through one cached get_settings()."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.domain.working_hours import DEFAULT_TZ

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TD_", env_file=None, extra="ignore")

    # Where run-time state lives (database, secrets, Asterisk instance files). Never in git.
    var_dir: Path = PROJECT_DIR / "var"
    # Where the Debian sid root with Asterisk 22 is cached when asterisk is not on PATH.
    cache_dir: Path = Path.home() / ".cache" / "tongdai1022"
    instance: str = "dev"

    database_url: str = ""  # empty: SQLite file under var_dir
    redis_url: str = ""  # empty: the local redis-server started by the run command

    http_host: str = "127.0.0.1"
    http_port: int = 8022

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = "tongdai"
    ami_secret: str = ""
    ami_backoff_max: float = 10.0

    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # FastAGI worker processes sharing the port (0: one per core); one process was the IVR's limit under load.
    agi_workers: int = 0

    redis_port: int = 6380

    sip_bind: str = "127.0.0.1"
    sip_port: int = 5060
    # The public network peer (the carrier's SBC). Calls from this address enter the inbound context.
    trunk_address: str = "127.0.0.2"
    trunk_port: int = 5060
    rtp_start: int = 10000
    rtp_end: int = 20000
    operators: list[str] = Field(default_factory=lambda: ["1001", "1002", "1003", "1004"])
    # The chroot Asterisk runs in ("" when asterisk is on PATH); set by the run command for its children.
    asterisk_root: str = ""
    # Where Asterisk's folders are, as Asterisk sees them; set by the run command for its children.
    asterisk_instance_dir: str = ""

    # ACD: seconds in a skill queue before overflowing to the general queue; total wait before the
    # caller is offered a callback or a voice message; operator wrap-up after each call.
    queue_overflow_s: int = 60
    queue_max_wait_s: int = 180
    wrapup_s: int = 10
    queue_announce_s: int = 30
    # Seeds the working calendar's weekly hours once, when the database has none yet, e.g.
    # "mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:00" (empty: Mon-Fri 07:00-11:30, 13:30-17:00). After that
    # the calendar in the database (admin API /api/admin/calendar/weekly, holidays, make-up days, closures) is
    # the only source: the IVR's open/closed decision and the SLA both read it; changing this does nothing.
    working_hours: str = ""
    # The AGI server rereads the calendar at most this often, so an admin's edit reaches callers within it.
    calendar_cache_s: float = 5.0
    # TEST ONLY, never set in production: an ISO instant with offset (e.g. 2027-09-02T09:00:00+07:00) that the
    # AGI server's open/closed decision takes as "now" when it starts; its clock then runs on from there.
    test_clock_at: str = ""
    # Priorities in app_queue (higher is answered first).
    priority_urgent: int = 10
    priority_repeat_caller: int = 5
    # bench/calls only: add the baseline number (trivial AGI route, same queues) to the inbound context.
    bench_baseline: bool = False

    # Console: seconds an agency's phone rings on a warm transfer; the AMI consumer's lease (one process
    # consumes AMI events); how many console events a Redis Stream keeps per operator.
    transfer_ring_s: int = 25
    console_lease_s: float = 6.0
    console_stream_maxlen: int = 2000

    # Wallboard (issue 9): service level = share of calls answered within service_level_s; an alert when a
    # caller waits longer than alert_queue_wait_s; the worker rereads Asterisk at most every
    # wallboard_coalesce_ms after an event, and every wallboard_refresh_s regardless.
    service_level_s: int = 20
    # The local time zone (the working calendar's): "today" for the wallboard's counters starts at its midnight.
    timezone: str = DEFAULT_TZ
    alert_queue_wait_s: int = 120
    wallboard_refresh_s: float = 5.0
    wallboard_coalesce_ms: int = 150
    wallboard_stream_maxlen: int = 5000

    # Notifications (app.notify): SMTP for email, an HTTP JSON gateway for SMS, Zalo ZNS for Zalo.
    notify_smtp_host: str = "127.0.0.1"
    notify_smtp_port: int = 25
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""
    notify_smtp_from: str = "tongdai1022@localhost"
    notify_smtp_starttls: bool = False
    notify_sms_url: str = ""  # empty: SMS rows wait (pending) until a gateway is configured
    notify_sms_api_key: str = ""
    notify_zalo_url: str = "https://business.openapi.zalo.me/message/template"
    notify_zalo_access_token: str = ""  # empty: Zalo rows wait (pending) until a token is configured
    # ZNS template id per notification kind; "default" is used for kinds not listed.
    notify_zalo_templates: dict[str, str] = Field(default_factory=dict)
    # Network timeout per send; keep it well under the lease so a slow send is not taken over by another process.
    notify_timeout_s: float = 20.0
    notify_lease_s: float = 120.0
    notify_poll_s: float = 5.0
    notify_max_attempts: int = 10
    notify_backoff_base_s: float = 30.0
    notify_backoff_max_s: float = 3600.0

    # Recordings (issue 8). The store holds originals (the evidence) and compact Opus copies.
    # Empty: var/<instance>/store.
    recordings_store_dir: str = ""
    recordings_compact_kbps: int = 32  # Opus folds stereo to mono at about 19 kb/s and below: keep it above
    recordings_settle_s: float = 2.0  # after hang-up, the file must be this long unchanged before ingest
    recordings_poll_s: float = 2.0
    recordings_stale_s: float = 900.0  # a "recording" row whose file has not changed for this long has ended
    recordings_sweep_s: float = 300.0
    recordings_disk_min_free_mb: int = 500  # below this on the store's disk: a clear alarm; ingest waits
    recordings_lease_s: float = 60.0
    # A focal point may play its own agency's cases' recordings only when this is on (issue 8, access).
    recordings_agency_access: bool = False
    # Transcription (Vosk): the model folder (empty: var/models/vosk, installed by `./tongdai setup --vosk-model`).
    vosk_model_path: str = ""
    transcribe_max_attempts: int = 3
    transcribe_claim_idle_s: float = 300.0  # a job held this long by a dead worker is taken over
    transcribe_workers: int = 1  # worker processes `./tongdai run` starts (others may run on other machines)
    # Where the audit chain's head is published outside the database (append-only file); empty: var/<instance>/.
    audit_anchor_file: str = ""

    # Bans (issue 10): this many failed SIP registrations or AMI logins from one address within ban_window_s ban it,
    # in Asterisk itself, for ban_duration_s (0 failures: no bans). 127.0.0.1, ::1 and the trunk's address are never
    # banned; ban_exempt adds more (e.g. the supervisors' office NAT). The bans are in var/<instance>/bans.json.
    ban_failures: int = 5
    ban_window_s: float = 60.0
    ban_duration_s: float = 900.0
    ban_exempt: list[str] = Field(default_factory=list)
    # HTTPS for the web app: with both files set, the web app serves TLS (only) on http_port.
    web_tls_cert_file: str = ""
    web_tls_key_file: str = ""
    # SIP over TLS for operators' phones: with both files set (as the host sees them), Asterisk listens for TLS on
    # sip_bind:sip_tls_port. The operators listed in sip_tls_operators ("*": all) then take calls only over TLS
    # with SRTP (SDES keys, RTP/SAVP; an unencrypted offer is refused).
    sip_tls_cert_file: str = ""
    sip_tls_key_file: str = ""
    sip_tls_port: int = 5061
    sip_tls_operators: list[str] = Field(default_factory=list)

    @property
    def store_dir(self) -> Path:
        return Path(self.recordings_store_dir) if self.recordings_store_dir else self.var_dir / self.instance / "store"

    def asterisk_path(self, inside: str) -> Path | None:
        """A path under Asterisk's instance folder (e.g. "log/queue_log") as this host sees it, chroot or not;
        None when the app does not know where Asterisk is."""
        if not self.asterisk_instance_dir:
            return None
        path = f"{self.asterisk_instance_dir.rstrip('/')}/{inside}"
        return Path(self.asterisk_root) / path.lstrip("/") if self.asterisk_root else Path(path)

    @property
    def vosk_model_dir(self) -> Path:
        return Path(self.vosk_model_path) if self.vosk_model_path else self.var_dir / "models" / "vosk"

    @property
    def audit_anchor_path(self) -> Path:
        default = self.var_dir / self.instance / "audit-anchor.log"
        return Path(self.audit_anchor_file) if self.audit_anchor_file else default

    @property
    def web_tls(self) -> bool:
        return bool(self.web_tls_cert_file and self.web_tls_key_file)

    @property
    def sip_tls(self) -> bool:
        return bool(self.sip_tls_cert_file and self.sip_tls_key_file)

    def operator_on_tls(self, extension: str) -> bool:
        return self.sip_tls and ("*" in self.sip_tls_operators or extension in self.sip_tls_operators)

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / self.instance / "tongdai.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def local_zone() -> ZoneInfo:
    """The deployment's time zone (TD_TIMEZONE), the working calendar's; for modules that keep it as a constant.

    Read from a fresh Settings rather than get_settings(), so importing a module never fixes the cached settings.
    """
    return ZoneInfo(Settings().timezone)
