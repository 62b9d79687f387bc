"""Every string Asterisk sees (contexts, channel variables, AGI routes, queues, prompts) defined once."""

from __future__ import annotations

# Numbers a citizen dials: the landline short code and 0235.1022 in national and international forms.
DIALLED_NUMBERS = ("1022", "02351022", "842351022", "+842351022")

# Dialplan contexts.
CTX_INBOUND = "td-inbound"
CTX_IVR = "td-ivr"
CTX_QUEUE = "td-queue"
CTX_OPERATORS = "td-operators"

# PJSIP objects.
TRANSPORT_UDP = "td-udp"
TRUNK_ENDPOINT = "td-trunk"

# FastAGI routes (the path part of agi://host:port/<route>).
AGI_ROUTE_IVR = "ivr"
AGI_ROUTE_HEALTH = "health"
AGI_ROUTES = (AGI_ROUTE_IVR, AGI_ROUTE_HEALTH)

# Channel variables shared between the dialplan and Python.
VAR_DIALLED = "TD_DIALLED"
VAR_QUEUE = "TD_QUEUE"
VAR_ROUTE = "TD_ROUTE"
VAR_AGI_FAILED = "TD_AGI_FAILED"
VAR_SOUNDS = "TD_SOUNDS"
CHANNEL_VARIABLES = (VAR_DIALLED, VAR_QUEUE, VAR_ROUTE, VAR_AGI_FAILED, VAR_SOUNDS)

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

# AMI UserEvent raised by the dialplan when the IVR could not run.
USEREVENT_ALERT = "TdAlert"
ALERT_AGI_FAILED = "agi_failed"
