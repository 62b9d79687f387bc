"""Adapters against httpx's mock transport: payloads, idempotency headers, and error classification."""

from __future__ import annotations

import json

import httpx
import pytest

from app.notify.adapters.base import Message
from app.notify.adapters.email import SmtpAdapter, message_id
from app.notify.adapters.sms import SmsGatewayAdapter
from app.notify.adapters.zalo import ZaloZnsAdapter, zalo_phone
from app.notify.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

MSG = Message(channel="sms", kind="answer_to_citizen", recipient="0905123456", subject="s", body="1022: xong",
              idempotency_key="case:9:answer", data={"case_code": "9"})


def _client(status: int, body: object, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_given_sms_when_sent_then_post_carries_key_and_api_key() -> None:
    seen: list[httpx.Request] = []
    SmsGatewayAdapter(url="http://sms.test/send", api_key="k1", client=_client(200, {}, seen)).send(MSG)
    [req] = seen
    assert req.headers["Idempotency-Key"] == "case:9:answer" and req.headers["Authorization"] == "Bearer k1"
    assert json.loads(req.content) == {"to": "0905123456", "text": "1022: xong", "reference": "case:9:answer"}


@pytest.mark.parametrize(("status", "error"), [(400, PermanentDeliveryError), (404, PermanentDeliveryError),
                                               (429, TransientDeliveryError), (500, TransientDeliveryError),
                                               (503, TransientDeliveryError)])
def test_given_http_error_when_sms_sent_then_classified(status: int, error: type[DeliveryError]) -> None:
    adapter = SmsGatewayAdapter(url="http://sms.test/send", api_key="k", client=_client(status, {}, []))
    with pytest.raises(error):
        adapter.send(MSG)


def test_given_connection_refused_when_sms_sent_then_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)
    adapter = SmsGatewayAdapter(url="http://sms.test/send", api_key="k",
                                client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(TransientDeliveryError):
        adapter.send(MSG)


def test_given_zalo_when_sent_then_zns_payload_with_tracking_id() -> None:
    seen: list[httpx.Request] = []
    ok = {"error": 0, "message": "Success"}
    adapter = ZaloZnsAdapter(url="http://zalo.test/message/template", access_token="tok",
                             templates={"default": "123"}, client=_client(200, ok, seen))
    adapter.send(MSG)
    [req] = seen
    assert req.headers["access_token"] == "tok"
    assert json.loads(req.content) == {"phone": "84905123456", "template_id": "123",
                                       "template_data": {"case_code": "9"}, "tracking_id": "case:9:answer"}


@pytest.mark.parametrize(("code", "error"), [(-124, TransientDeliveryError), (-108, PermanentDeliveryError)])
def test_given_zns_error_code_when_sent_then_classified(code: int, error: type[DeliveryError]) -> None:
    adapter = ZaloZnsAdapter(url="http://zalo.test", access_token="tok", templates={"answer_to_citizen": "5"},
                             client=_client(200, {"error": code, "message": "x"}, []))
    with pytest.raises(error):
        adapter.send(MSG)


def test_given_phone_forms_when_normalised_for_zalo_then_84_prefix() -> None:
    assert [zalo_phone(p) for p in ("0905123456", "+84905123456", "84905123456")] == ["84905123456"] * 3


def test_given_email_when_built_then_message_id_is_the_idempotency_key() -> None:
    mail = SmtpAdapter(host="h", port=25, sender="1022@qnam.gov.vn").build(
        Message(channel="email", kind="escalation", recipient="a@b.vn", subject="Hồ sơ quá hạn", body="Nội dung",
                idempotency_key="case:1:esc"))
    assert mail["Message-ID"] == message_id("case:1:esc") != message_id("case/1/esc")
    assert mail["Message-ID"].startswith("<case-1-esc.") and mail["X-Idempotency-Key"] == "case:1:esc"
    assert mail["Subject"] == "Hồ sơ quá hạn"


def test_given_nothing_listening_when_email_sent_then_transient() -> None:
    with pytest.raises(TransientDeliveryError):
        SmtpAdapter(host="127.0.0.1", port=1, sender="x@y.vn", timeout=5).send(
            Message(channel="email", kind="other", recipient="a@b.vn", subject="s", body="b", idempotency_key="k"))
