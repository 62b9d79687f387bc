"""Every string Asterisk sees (contexts, channel variables, AGI routes, queues, prompts) defined once."""

from __future__ import annotations

from recordings import naming as _naming

# Numbers a citizen dials: the landline short code and 0235.1022 in national and international forms.
DIALLED_NUMBERS = ("1022", "02351022", "842351022", "+842351022")

# Dialplan contexts.
CTX_INBOUND = "td-inbound"
CTX_IVR = "td-ivr"
CTX_QUEUE = "td-queue"
CTX_EMERGENCY = "td-emergency"
CTX_VOICEMAIL = "td-voicemail"
CTX_BYE = "td-bye"
CTX_RECORD = "td-record"
CTX_OPERATORS = "td-operators"
CTX_TRANSFER = "td-transfer"  # Atxfer target: Local/<agency number>@td-transfer dials the agency through the trunk
CTX_TRANSFER_ANSWERED = "td-transfer-answered"  # Dial U() subroutine on the agency's leg when it answers
CTX_CALLBACK = "td-callback"  # Originate from the operator's phone: dials the citizen through the trunk
CTX_SPY = "td-spy"  # Originate to the supervisor's phone: records that leg, then ChanSpy on the operator's leg
# Where the AGI may send a call next (the value of VAR_NEXT); the dialplan does Goto(${TD_NEXT},s,1).
NEXT_CONTEXTS = (CTX_QUEUE, CTX_EMERGENCY, CTX_VOICEMAIL, CTX_BYE)

# PJSIP objects.
TRANSPORT_UDP = "td-udp"
TRUNK_ENDPOINT = "td-trunk"
TRANSPORT_TLS = "td-tls"  # operators' phones over TLS (optional, TD_SIP_TLS_*)
# Bans (app.services.bans): the pjsip `type=acl` section and the acl.conf named ACL (the AMI user's) both include
# the one generated file of deny rules.
ACL_BANS = "td-bans"
BANS_FILE = "td_bans.conf"

# FastAGI routes (the path part of agi://host:port/<route>).
AGI_ROUTE_IVR = "ivr"
AGI_ROUTE_QUEUE_EXIT = "queue-exit"
AGI_ROUTE_HEALTH = "health"
AGI_ROUTE_BASELINE = "baseline"  # bench only: straight to the general queue, no menu
AGI_ROUTES = (AGI_ROUTE_IVR, AGI_ROUTE_QUEUE_EXIT, AGI_ROUTE_HEALTH, AGI_ROUTE_BASELINE)
# Rendered into the inbound context only when TD_BENCH_BASELINE is set (bench/calls).
BENCH_BASELINE_NUMBER = "1022999"

# Channel variables shared between the dialplan and Python.
VAR_DIALLED = "TD_DIALLED"
VAR_NEXT = "TD_NEXT"  # the context the call goes to after an AGI route
VAR_QUEUE = "TD_QUEUE"
VAR_QUEUE_TIMEOUT = "TD_QUEUE_TIMEOUT"  # seconds in this queue before queue-exit decides (overflow, callback)
VAR_PRIORITY = "TD_PRIORITY"  # copied into app_queue's QUEUE_PRIO
VAR_EMERGENCY = "TD_EMERGENCY"  # 113 / 114 / 115
VAR_RECORDING = "TD_RECORDING"  # MixMonitor file, from recordings.naming
VAR_RECORDING_ON = "TD_RECORDING_ON"
VAR_VOICEMAIL = "TD_VOICEMAIL"  # Record() file (without extension) for a voice message
VAR_ROUTE = "TD_ROUTE"
VAR_AGI_FAILED = "TD_AGI_FAILED"
VAR_KEYS = "TD_KEYS"  # the keys a caller pressed at one IVR step, read by Read() for the AGI (agi/driver.py)
VAR_SOUNDS = "TD_SOUNDS"
VAR_RECORDINGS_DIR = "TD_RECORDINGS_DIR"
# What the IVR route needs from the channel, passed as AGI arguments (agi_arg_1..4, in this order) so the server
# does not ask for each with a GET VARIABLE round trip while the caller waits for the first prompt.
AGI_IVR_ARG_VARIABLES = (VAR_DIALLED, "CHANNEL(linkedid)", VAR_SOUNDS, VAR_RECORDINGS_DIR)
AGI_IVR_ARGS = ",".join(f"${{{v}}}" for v in AGI_IVR_ARG_VARIABLES)
VAR_TRANSFER = "TD_TRANSFER"  # the transfer's id; set as "__TD_TRANSFER" so the Atxfer's Local channel inherits it
VAR_TRANSFER_RING = "TD_TRANSFER_RING"  # seconds the agency's phone rings before the transfer fails
VAR_CALLBACK = "TD_CALLBACK"  # the callback request's id, on a call-back originated from the console
# ChanSpy's arguments, from app.services.spy: two variables, since AMI splits an Originate Variable at commas.
VAR_SPY_CHANNEL = "TD_SPY_CHANNEL"  # the operator's exact channel
VAR_SPY_OPTIONS = "TD_SPY_OPTIONS"  # q, w or B, then dES
CHANNEL_VARIABLES = (VAR_DIALLED, VAR_NEXT, VAR_QUEUE, VAR_QUEUE_TIMEOUT, VAR_PRIORITY, VAR_EMERGENCY, VAR_RECORDING,
                     VAR_RECORDING_ON, VAR_VOICEMAIL, VAR_ROUTE, VAR_AGI_FAILED, VAR_SOUNDS, VAR_RECORDINGS_DIR,
                     VAR_TRANSFER, VAR_TRANSFER_RING, VAR_CALLBACK,
                     VAR_SPY_CHANNEL, VAR_SPY_OPTIONS)

# Queues (app_queue), one per skill. "general" is a reserved section name in queues.conf, hence the prefix.
SKILL_ADMIN = "admin"  # 1: administrative procedures
SKILL_SOCIAL = "social"  # 2: socio-economic issues and public services
SKILL_INFRA = "infra"  # 3: technical infrastructure incidents
SKILL_INVEST = "invest"  # 4: investment, industrial parks, tourism, events
SKILL_GENERAL = "general"  # 0, fallbacks and overflow
SKILL_URGENT = "urgent"  # urgent infrastructure incidents
SKILLS = (SKILL_ADMIN, SKILL_SOCIAL, SKILL_INFRA, SKILL_INVEST, SKILL_GENERAL, SKILL_URGENT)


def queue_for(skill: str) -> str:
    if skill not in SKILLS:
        raise ValueError(f"unknown skill {skill!r}")
    return f"q-{skill}"


QUEUE_GENERAL = queue_for(SKILL_GENERAL)
QUEUE_URGENT = queue_for(SKILL_URGENT)
QUEUES = tuple(queue_for(s) for s in SKILLS)

# Prompts (file names without extension, under the instance's sounds folder).
PROMPT_AGI_DOWN = "td-agi-down"
PROMPT_EMERGENCY_FAILED = "td-emergency-failed"
PROMPT_VOICEMAIL_BEEP = "td-beep"

# Recordings, relative to ${TD_RECORDINGS_DIR}, from the one template in recordings/naming.py, as dialplan
# expressions: the caller's file when the IVR could not run (the AGI names all the others), and the agency's leg
# of a warm transfer (no Python runs on that channel before it answers).
RECORDING_FALLBACK_NAME = _naming.dialplan_name("inbound")
RECORDING_AGENCY_LEG_NAME = _naming.dialplan_name("agency_leg")
RECORDING_SUPERVISION_NAME = _naming.dialplan_name(_naming.KIND_SUPERVISION)  # the supervisor's leg while spying
MIXMONITOR_OPTIONS = "D"  # interleaved stereo: left = audio from the channel, right = audio sent to it
MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME"  # set by MixMonitor; manager.conf channelvars puts it in AMI events

# AMI UserEvent raised by the dialplan when the IVR could not run.
USEREVENT_ALERT = "TdAlert"
ALERT_AGI_FAILED = "agi_failed"
# AMI UserEvents of the transfer and call-back contexts: Status is ANSWER or Dial's DIALSTATUS.
USEREVENT_TRANSFER = "TdTransfer"
USEREVENT_CALLBACK = "TdCallback"

# features.conf: the attended-transfer code that AMI Atxfer needs on the operator's leg (Queue option t).
FEATURE_ATXFER = "*2"
