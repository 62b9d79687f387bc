"""Render Asterisk's configuration from asterisk-conf/ and dialplan/ templates and app/names.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import names
from app.settings import PROJECT_DIR, Settings

TEMPLATE_DIRS = (PROJECT_DIR / "asterisk-conf", PROJECT_DIR / "dialplan")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Z][A-Z0-9_]*)\s*\}\}")


class TemplateError(ValueError):
    """A template names a value we do not define, or a value was left unrendered."""


def render_text(template: str, values: dict[str, str], source: str = "<template>") -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"{source}: unknown placeholder {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(sub, template)


@dataclass(frozen=True)
class InstancePaths:
    """Folders of one Asterisk instance, as Asterisk sees them (inside the chroot, if any)."""

    instance_dir: str
    module_dir: str

    @property
    def sounds_dir(self) -> str:
        return f"{self.instance_dir}/sounds"

    @property
    def recordings_dir(self) -> str:
        return f"{self.instance_dir}/recordings"


def _name_values() -> dict[str, str]:
    return {k: v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}


def inbound_extensions() -> str:
    lines = []
    for number in names.DIALLED_NUMBERS:
        lines.append(f"exten => {number},1,Set({names.VAR_DIALLED}=${{EXTEN}})")
        lines.append(f" same => n,Goto({names.CTX_IVR},s,1)")
    return "\n".join(lines)


def bench_extensions(settings: Settings) -> str:
    if not settings.bench_baseline:
        return ""
    n = names.BENCH_BASELINE_NUMBER
    return (f"exten => {n},1,Set({names.VAR_DIALLED}=${{EXTEN}})\n same => n,Answer()\n"
            f" same => n,AGI(agi://{settings.agi_host}:{settings.agi_port}/{names.AGI_ROUTE_BASELINE})\n"
            f" same => n,Goto(${{{names.VAR_NEXT}}},s,1)")


WRAPUP_GUARD_S = 2


def queue_sections(settings: Settings) -> str:
    """One queue per skill. Announcements use the queue-* and digits/* files in sounds/vi."""
    blocks = []
    for skill in names.SKILLS:
        # The urgent queue weighs more, so an operator serving both takes the urgent call first.
        weight = 10 if skill == names.SKILL_URGENT else 0
        # Wrap-up is ours (the console pauses the member with reason "wrapup" and ends it on time). app_queue's
        # wrapuptime stays only as a short guard: it covers the moment between AgentComplete and our QueuePause
        # reaching app_queue, when the operator could otherwise be rung again.
        guard = min(settings.wrapup_s, WRAPUP_GUARD_S)
        blocks.append(
            f"[{names.queue_for(skill)}]\nstrategy = rrmemory\njoinempty = yes\nleavewhenempty = no\n"
            f"timeout = 15\nretry = 2\nwrapuptime = {guard}\nringinuse = no\nmusicclass = default\n"
            f"weight = {weight}\nannounce-frequency = {settings.queue_announce_s}\nmin-announce-frequency = 15\n"
            "announce-position = yes\nannounce-holdtime = once\nannounce-to-first-user = no\n"
            "setinterfacevar = yes\nsetqueueentryvar = yes\n"
        )
    return "\n".join(blocks)


# The SIP TLS certificate and key, copied into the instance's keys folder (Asterisk may run in a chroot).
SIP_TLS_CERT = "keys/sip-tls.crt"
SIP_TLS_KEY = "keys/sip-tls.key"
# Operators on TLS: their calls carry SRTP with SDES keys (RTP/SAVP), and an offer without them is refused.
TLS_MEDIA = "media_encryption = sdes\nmedia_encryption_optimistic = no\n"


def tls_transport(settings: Settings, paths: InstancePaths) -> str:
    if not settings.sip_tls:
        return "; SIP over TLS is off (TD_SIP_TLS_CERT_FILE, TD_SIP_TLS_KEY_FILE)"
    return (f"[{names.TRANSPORT_TLS}]\ntype = transport\nprotocol = tls\n"
            f"bind = {settings.sip_bind}:{settings.sip_tls_port}\n"
            f"cert_file = {paths.instance_dir}/{SIP_TLS_CERT}\npriv_key_file = {paths.instance_dir}/{SIP_TLS_KEY}\n"
            "method = tlsv1_2\n")


def operator_endpoints(operators: dict[str, str], tls: frozenset[str] = frozenset()) -> str:
    """The operators' phones; those in tls register and take calls over TLS with SRTP only."""
    blocks = []
    for ext, password in sorted(operators.items()):
        transport = names.TRANSPORT_TLS if ext in tls else names.TRANSPORT_UDP
        blocks.append(
            f"[{ext}]\ntype = endpoint\ntransport = {transport}\ncontext = {names.CTX_OPERATORS}\n"
            + (TLS_MEDIA if ext in tls else "")
            + f"disallow = all\nallow = alaw,ulaw\nauth = {ext}\naors = {ext}\ndirect_media = no\n"
            "rtp_symmetric = yes\nforce_rport = yes\nrewrite_contact = yes\ndtmf_mode = rfc4733\n"
            f'callerid = "Operator {ext}" <{ext}>\n\n'
            f"[{ext}]\ntype = auth\nauth_type = digest\nusername = {ext}\npassword = {password}\n\n"
            f"[{ext}]\ntype = aor\nmax_contacts = 1\nremove_existing = yes\nqualify_frequency = 0\n"
        )
    return "\n".join(blocks)


def config_values(settings: Settings, secrets: dict[str, Any], paths: InstancePaths) -> dict[str, str]:
    operators = {op: secrets["operators"][op] for op in settings.operators}
    values = _name_values()
    values.update(
        INSTANCE=settings.instance,
        INSTANCE_DIR=paths.instance_dir,
        MODULE_DIR=paths.module_dir,
        SOUNDS_DIR=paths.sounds_dir,
        RECORDINGS_DIR=paths.recordings_dir,
        AMI_PORT=str(settings.ami_port),
        AMI_USERNAME=settings.ami_username,
        AMI_SECRET=secrets["ami_secret"],
        AGI_HOST=settings.agi_host,
        AGI_PORT=str(settings.agi_port),
        SIP_BIND=settings.sip_bind,
        SIP_PORT=str(settings.sip_port),
        TRUNK_ADDRESS=settings.trunk_address,
        TRUNK_PORT=str(settings.trunk_port),
        RTP_START=str(settings.rtp_start),
        RTP_END=str(settings.rtp_end),
        INBOUND_EXTENSIONS=inbound_extensions(),
        BENCH_EXTENSIONS=bench_extensions(settings),
        QUEUE_SECTIONS=queue_sections(settings),
        OPERATOR_ENDPOINTS=operator_endpoints(operators, frozenset(filter(settings.operator_on_tls, operators))),
        TLS_TRANSPORT=tls_transport(settings, paths),
        TRANSFER_RING_S=str(settings.transfer_ring_s),
        # Asterisk's own no-answer timer on a warm transfer outlasts Dial()'s, so Dial reports NOANSWER first.
        ATXFER_NOANSWER_TIMEOUT=str(settings.transfer_ring_s + 10),
        # Transfers and call-backs show the citizen or the agency the hotline's landline number (0235.1022).
        HOTLINE_CALLERID=f'"1022" <{names.DIALLED_NUMBERS[1]}>',
    )
    return values


def templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.glob("*.tmpl"))


def render_all(out_dir: Path, values: dict[str, str]) -> list[Path]:
    """Write every template into out_dir (the instance's etc folder). Returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for tmpl in templates():
        target = out_dir / tmpl.name.removesuffix(".tmpl")
        target.write_text(render_text(tmpl.read_text(), values, source=tmpl.name))
        written.append(target)
    # The rendered files hold secrets (AMI, SIP passwords).
    for path in written:
        path.chmod(0o600)
    return written
