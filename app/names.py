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

# Queues (app_queue). "general" is a reserved section name in queues.conf, hence the prefix.
QUEUE_GENERAL = "q-general"
QUEUES = (QUEUE_GENERAL,)

# Prompts (file names without extension, under the instance's sounds folder).
PROMPT_AGI_DOWN = "td-agi-down"

# AMI UserEvent raised by the dialplan when the IVR could not run.
USEREVENT_ALERT = "TdAlert"
ALERT_AGI_FAILED = "agi_failed"
