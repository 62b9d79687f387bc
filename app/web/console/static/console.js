/* Tổng đài 1022 operator console: plain JavaScript, no framework, no build step.
 *
 * Data: GET /api/console/me on load, then live events from the WebSocket /console/ws (catching up from the
 * last stream id and event id). When the WebSocket fails or says "degraded", the page polls
 * /api/console/events every 2 s and tries the WebSocket again every 5 s. Events are applied once, by id.
 * Every text comes from the server's translation table (#console-i18n); nothing here is written in one language.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = $("console");
  const LANG = root.dataset.lang || "vi";
  const EXT = root.dataset.extension || ""; // supervisors following an operator (?extension=)
  const TEXTS = JSON.parse($("console-i18n").textContent);
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const FIELDS = ["citizen_name", "citizen_phone", "citizen_address", "citizen_email", "topic", "content"];
  const LIVE_TRANSFER = new Set(["dialing", "consulting"]);
  const POLL_MS = 2000;
  const WS_RETRY_MS = 5000;
  const SEEN_MAX = 5000;

  const S = {
    me: null, skew: 0, lastEventId: 0, lastStreamId: "", seen: new Set(), seenOrder: [],
    call: null, callState: "idle", popAt: 0, topics: [], agencies: [],
    caseCode: null, caseStatus: null, touched: new Set(), submitted: false, checkSeq: 0, infoAsked: false,
    transfer: null, callbackId: null, notReady: new Set(),
  };

  /* ---------- texts, DOM and the API ---------- */

  function T(key, vars) {
    let text = Object.prototype.hasOwnProperty.call(TEXTS, key) ? TEXTS[key] : key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function withExt(path) {
    if (!EXT) return path;
    return path + (path.includes("?") ? "&" : "?") + "extension=" + encodeURIComponent(EXT);
  }

  class ApiError extends Error {
    constructor(status, body, path) {
      super("HTTP " + status + " " + path);
      this.status = status;
      this.body = body;
      this.path = path;
    }
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") options.headers["X-CSRF-Token"] = CSRF;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (err) {
      throw new ApiError(0, null, path);
    }
    const date = response.headers.get("date");
    // The server's clock drives wrap-up timers; its Date header is cut to the second, so take the middle.
    if (date) S.skew = Date.parse(date) + 500 - Date.now();
    let data = null;
    if ((response.headers.get("content-type") || "").includes("application/json")) {
      try { data = await response.json(); } catch (err) { data = null; }
    }
    if (!response.ok) throw new ApiError(response.status, data, path);
    return data;
  }

  function serverNow() { return Date.now() + S.skew; }

  function errorText(err) {
    if (!(err instanceof ApiError)) return T("con.failed", { msg: String(err && err.message || err) });
    if (err.status === 401) return T("con.session_over");
    if (err.status === 0) return T("con.link_down");
    const body = err.body || {};
    if (body.error_id) {
      const message = LANG === "en" ? (body.message_en || body.message) : (body.message || body.message_en);
      return T("con.failed", { msg: message + (body.detail ? " (" + body.detail + ")" : "") });
    }
    if (err.status === 404 || err.status === 405 || err.status === 501) {
      return T("con.not_ready", { what: err.path.split("?")[0] });
    }
    return T("con.failed", { msg: "HTTP " + err.status });
  }

  function say(text, kind) {
    const box = $("console-message");
    box.textContent = text || "";
    box.className = "console-message" + (kind === "info" ? " info" : "");
    box.hidden = !text;
  }

  function report(err) {
    say(errorText(err));
    if (err instanceof ApiError && err.status === 401) {
      const next = encodeURIComponent(location.pathname + location.search);
      setTimeout(() => location.assign("/login?next=" + next), 2000);
    }
  }

  /** A route another part of the system has not delivered yet: say so once, keep the rest of the page. */
  function reportOnce(err) {
    const key = err instanceof ApiError ? err.status + " " + err.path.split("?")[0] : String(err);
    if (S.notReady.has(key)) return;
    S.notReady.add(key);
    report(err);
  }

  function fmtDuration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function fmtTime(iso) {
    if (!iso) return "—";
    const when = new Date(iso);
    if (isNaN(when)) return iso;
    return when.toLocaleString(LANG === "en" ? "en-GB" : "vi-VN", { dateStyle: "short", timeStyle: "short" });
  }

  /* ---------- phone registration and state control ---------- */

  function renderMe(me) {
    S.me = me;
    $("me-ext").textContent = me.extension || "—";
    $("me-name").textContent = me.display_name || "";
    const warning = $("reg-warning");
    if (me.registered) {
      warning.hidden = true;
      $("reg-ok").hidden = false;
    } else {
      warning.textContent = T("con.reg_warning", { ext: me.extension || "" }) + " [" + T("con.reg_state") + ": " +
        (me.device_state || "UNAVAILABLE") + "]";
      warning.hidden = false;
      $("reg-ok").hidden = true;
    }
    renderState();
  }

  function renderState() {
    const me = S.me || {};
    const control = $("state-control");
    control.dataset.state = me.state || "";
    let label = me.state ? T("con.state." + me.state) : "…";
    if (me.state === "paused" && me.pause_reason) label += " – " + T("con.reason." + me.pause_reason);
    $("state-current").textContent = label;
    for (const button of control.querySelectorAll("[data-go]")) {
      button.setAttribute("aria-pressed", String(button.dataset.go === me.state));
    }
    if (me.state === "paused" && me.pause_reason && $("pause-reason").querySelector(`[value="${me.pause_reason}"]`)) {
      $("pause-reason").value = me.pause_reason;
    }
    $("wrapup").hidden = me.state !== "wrapup";
    tickWrapup();
  }

  function tickWrapup() {
    const me = S.me || {};
    if (me.state !== "wrapup") return;
    const until = me.wrapup_until ? Date.parse(me.wrapup_until) : NaN;
    $("wrapup-timer").textContent = isNaN(until) ? "" :
      T("con.wrapup_left", { s: Math.max(0, Math.ceil((until - serverNow()) / 1000)) });
  }

  async function setState(state) {
    const body = { state };
    if (state === "paused") body.reason = $("pause-reason").value;
    try {
      renderMe(await api("POST", withExt("/api/console/state"), body));
      say("");
    } catch (err) {
      report(err);
    }
  }

  function togglePause() {
    const state = (S.me || {}).state;
    if (state === "wrapup") setState("end_wrapup");
    else if (state === "available") setState("paused");
    else setState("available");
  }

  /* ---------- screen-pop ---------- */

  function renderPop() {
    const pop = $("pop");
    const call = S.call;
    pop.dataset.state = S.callState;
    const badge = $("pop-badge");
    const badges = { ringing: "con.ringing", answered: "con.answered", ended: "con.ended", missed: "con.missed" };
    badge.hidden = !badges[S.callState];
    badge.textContent = badges[S.callState] ? T(badges[S.callState]) : "";
    $("pop-empty").hidden = !!call;
    $("pop-body").hidden = !call;
    if (!call) return;
    $("pop-caller").textContent = call.caller || "—";
    $("pop-topic").textContent = call.topic_label || call.topic || "—";
    $("pop-queue").textContent = call.queue || "—";
    $("pop-urgent").hidden = !call.urgent;
    const path = $("pop-ivr-path");
    path.replaceChildren();
    for (const step of call.ivr_path || []) {
      path.append(el("li", { dataset: { node: step.node || "", key: step.key || "" } },
        step.label || step.node, " ", el("span", { class: "hint" }, "(" + T("con.key") + " " + step.key + ")")));
    }
    if (!path.children.length) path.append(el("li", { class: "hint" }, T("con.ivr_none")));
    tickWaited();
  }

  function tickWaited() {
    if (!S.call) return;
    let waited = S.call.waited_s || 0;
    if (S.callState === "ringing") waited += (Date.now() - S.popAt) / 1000;
    $("pop-waited").textContent = fmtDuration(waited);
  }

  function listOrNone(list, items, render) {
    list.replaceChildren();
    for (const item of items || []) list.append(render(item));
    if (!list.children.length) list.append(el("li", { class: "hint" }, T("con.none")));
  }

  function renderHistory(history) {
    listOrNone($("pop-cases"), history.cases, (c) => el("li", { dataset: { code: c.code } },
      el("b", {}, c.code), " · ", c.status_label || c.status, " · ", c.topic_label || c.topic || "",
      c.deadline_at ? el("span", { class: "deadline" }, " · " + T("con.deadline") + ": " + fmtTime(c.deadline_at)) : ""));
    listOrNone($("pop-calls"), history.calls, (c) => el("li", {},
      fmtTime(c.started_at), " · ", c.topic_label || c.topic || "—", c.outcome ? " · " + c.outcome : ""));
    listOrNone($("pop-callbacks"), history.callbacks, (b) => el("li", {},
      fmtTime(b.created_at), " · ", T("con.cb." + b.reason), b.has_audio ? " · " + T("con.voicemail") : ""));
  }

  async function loadPopDetails(uniqueid) {
    try {
      const found = await api("GET", "/api/console/calls/" + encodeURIComponent(uniqueid) + "/pop");
      if (!S.call || S.call.uniqueid !== uniqueid) return;
      const keep = S.call;
      S.call = Object.assign({}, found.call || {}, keep.ivr_path ? keep : {});
      renderPop();
      renderHistory(found.history || {});
      const topic = fieldInput("topic");
      if (!S.caseCode && !topic.value && S.call.topic && S.topics.some((t) => t.code === S.call.topic)) {
        topic.value = S.call.topic; // the form opened before the call's details arrived
      }
      adoptCase((found.history || {}).cases || []);
    } catch (err) {
      reportOnce(err);
    }
  }

  /** After a reload in the middle of a call: the case already filed for it is shown, not an empty form. */
  async function adoptCase(cases) {
    const filed = S.call && cases.find((c) => c.call_uniqueid === S.call.uniqueid);
    if (!filed || S.caseCode || $("case-form").hidden || formTouched()) return;
    try {
      const found = await api("GET", "/api/cases/" + encodeURIComponent(filed.code));
      for (const name of FIELDS) fieldInput(name).value = found[name] || "";
      $("f-confidential").checked = !!found.confidential;
      S.caseCode = found.code;
      showCase(found);
      setFormLocked(true);
    } catch (err) {
      reportOnce(err);
    }
  }

  function onPop(payload) {
    S.call = payload;
    S.callState = "ringing";
    S.popAt = Date.now();
    renderPop();
    renderHistory({});
    if (payload.open_callbacks) {  // until the details arrive, at least say how many
      $("pop-callbacks").replaceChildren(el("li", {}, T("con.open_callbacks", { n: payload.open_callbacks })));
    }
    loadPopDetails(payload.uniqueid);
  }

  function onConnect(payload) {
    const known = S.call && S.call.uniqueid === payload.uniqueid;
    if (!known) {
      S.call = { uniqueid: payload.uniqueid, caller: payload.caller, ivr_path: null, waited_s: 0 };
      loadPopDetails(payload.uniqueid);
    } else if (S.callState === "ringing") {
      S.call.waited_s = (S.call.waited_s || 0) + (Date.now() - S.popAt) / 1000; // the wait ends at the answer
    }
    S.callState = "answered";
    renderPop();
    openCaseFor(S.call);
    C.renderTransfer();
  }

  function onComplete(payload) {
    if (S.call && payload.uniqueid && S.call.uniqueid !== payload.uniqueid) return;
    S.callState = "ended";
    renderPop();
    if (payload.wrapup_until && S.me) {
      S.me.state = "wrapup";
      S.me.pause_reason = "wrapup";
      S.me.wrapup_until = payload.wrapup_until;
      renderState();
    }
    C.renderTransfer();
  }

  function onRingNoAnswer(payload, uniqueid) {
    const id = payload.uniqueid || uniqueid;
    if (S.call && id && S.call.uniqueid !== id) return;
    S.callState = "missed";
    renderPop();
  }

  /* ---------- live events: WebSocket first, polling as the fallback ---------- */

  const LINK = { sock: null, open: false, poller: null, retry: null, polling: false };

  function setLink(state) {
    const pill = $("link-state");
    pill.dataset.link = state;
    pill.textContent = T({ live: "con.link_live", polling: "con.link_polling", down: "con.link_down" }[state] ||
      "con.loading");
  }

  function remember(id) {
    S.seen.add(id);
    S.seenOrder.push(id);
    if (S.seenOrder.length > SEEN_MAX) S.seen.delete(S.seenOrder.shift());
  }

  function handleEvent(event) {
    if (!event || typeof event !== "object") return;
    if (event.kind === "degraded") { dropSocket(); return; }
    if (event.id !== undefined && event.id !== null) {
      if (S.seen.has(event.id)) return; // the same event from the stream and from the database
      remember(event.id);
      if (event.id > S.lastEventId) S.lastEventId = event.id;
    }
    if (event.stream_id) S.lastStreamId = event.stream_id;
    const payload = event.payload || {};
    switch (event.kind) {
      case "pop": onPop(payload); break;
      case "connect": onConnect(payload); break;
      case "complete": onComplete(payload); break;
      case "ringnoanswer": onRingNoAnswer(payload, event.uniqueid); break;
      case "transfer": C.onTransfer(payload); break;
      case "device": if (S.me) renderMe(Object.assign(S.me, payload)); break;
      case "state": renderMe(Object.assign(S.me || {}, payload)); break;
      default: break;
    }
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let url = scheme + location.host + "/console/ws?after=" + S.lastEventId;
    if (S.lastStreamId) url += "&last=" + encodeURIComponent(S.lastStreamId);
    return withExt(url);
  }

  function connectSocket() {
    clearTimeout(LINK.retry);
    if (LINK.sock) return;
    let sock;
    try {
      sock = new WebSocket(socketUrl());
    } catch (err) {
      socketDown();
      return;
    }
    LINK.sock = sock;
    sock.onopen = () => { LINK.open = true; stopPolling(); setLink("live"); };
    sock.onmessage = (message) => {
      let event = null;
      try { event = JSON.parse(message.data); } catch (err) { return; }
      handleEvent(event);
    };
    sock.onclose = () => { LINK.sock = null; LINK.open = false; socketDown(); };
  }

  function dropSocket() {
    if (LINK.sock) LINK.sock.close(); // onclose starts polling and schedules the next try
    else socketDown();
  }

  function socketDown() {
    startPolling();
    clearTimeout(LINK.retry);
    LINK.retry = setTimeout(connectSocket, WS_RETRY_MS);
  }

  function startPolling() {
    if (LINK.poller) return;
    setLink("polling");
    pollOnce();
    LINK.poller = setInterval(pollOnce, POLL_MS);
  }

  function stopPolling() {
    clearInterval(LINK.poller);
    LINK.poller = null;
  }

  async function pollOnce() {
    if (LINK.polling) return;
    LINK.polling = true;
    try {
      const data = await api("GET", withExt("/api/console/events?after=" + S.lastEventId));
      if (!LINK.open) setLink("polling");
      for (const event of data.events || []) handleEvent(event);
    } catch (err) {
      if (!LINK.open) setLink("down");
      if (err instanceof ApiError && err.status !== 0) reportOnce(err);
    } finally {
      LINK.polling = false;
    }
  }

  /* ---------- reference lists ---------- */

  async function loadTopics() {
    try {
      S.topics = await api("GET", "/api/topics");
    } catch (err) {
      reportOnce(err);
      return;
    }
    const select = $("f-topic");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "" }, T("con.no_topic")));
    for (const topic of S.topics) select.append(el("option", { value: topic.code }, topic.name_vi));
    select.value = chosen;
  }

  async function loadAgencies() {
    const topic = $("f-topic").value || (S.call && S.call.topic) || "";
    try {
      S.agencies = await api("GET", "/api/agencies" + (topic ? "?topic=" + encodeURIComponent(topic) : ""));
    } catch (err) {
      reportOnce(err);
      S.agencies = [];
    }
    const forward = $("forward-agency");
    const transfer = $("transfer-agency");
    forward.replaceChildren();
    transfer.replaceChildren();
    for (const agency of S.agencies) {
      const scope = agency.topics && agency.topics.length ? "" : " " + T("con.agency_any");
      forward.append(el("option", { value: agency.id }, agency.name + scope));
      transfer.append(el("option", { value: agency.id, disabled: !agency.phone },
        agency.name + " – " + (agency.phone || T("con.transfer_no_phone"))));
    }
    if (!S.agencies.length) {
      forward.append(el("option", { value: "" }, T("con.agency_none")));
      transfer.append(el("option", { value: "" }, T("con.agency_none")));
    }
    const firstWithPhone = S.agencies.find((a) => a.phone);
    if (firstWithPhone) transfer.value = String(firstWithPhone.id);
  }

  /* ---------- exports for the case, transfer and call-back part (console.js continues below) ---------- */

  const C = {
    $, el, T, api, ApiError, S, say, report, reportOnce, fmtTime, withExt, FIELDS, LIVE_TRANSFER, LANG,
    loadAgencies, setState, togglePause,
  };

  /* ---------- the case form ---------- */

  function fieldInput(name) { return $("f-" + name); }

  function formBody() {
    const value = (name) => fieldInput(name).value.trim();
    return {
      citizen_name: value("citizen_name"),
      citizen_phone: value("citizen_phone") || null,
      citizen_address: value("citizen_address") || null,
      citizen_email: value("citizen_email") || null,
      channel: "phone",
      topic: value("topic") || null,
      content: value("content"),
      confidential: $("f-confidential").checked,
      call_uniqueid: $("f-call_uniqueid").value || null,
    };
  }

  function formTouched() {
    return FIELDS.some((name) => name !== "topic" && name !== "citizen_phone" && fieldInput(name).value.trim());
  }

  function setFormLocked(locked) {
    for (const node of $("case-form").querySelectorAll("input, select, textarea")) node.disabled = locked;
    $("case-save").disabled = locked;
  }

  function resetForm(prefill) {
    const form = $("case-form");
    form.reset();
    setFormLocked(false);
    S.caseCode = null;
    S.caseStatus = null;
    S.touched = new Set();
    S.submitted = false;
    S.infoAsked = false;
    $("do-request-info").disabled = false;
    $("case-code").textContent = "";
    $("case-status").textContent = "";
    $("answer-text").value = "";
    $("answer-kb-id").value = "";
    $("answer-kb-title").textContent = "—";
    renderProblems({});
    const values = prefill || {};
    fieldInput("citizen_phone").value = values.citizen_phone || "";
    const topic = values.topic && S.topics.some((t) => t.code === values.topic) ? values.topic : "";
    fieldInput("topic").value = topic;
    $("f-call_uniqueid").value = values.call_uniqueid || "";
    $("case-call").textContent = values.call_uniqueid || "—";
    form.hidden = false;
    $("case-actions").hidden = false;
    loadAgencies();
  }

  function openForm() {
    if ($("case-form").hidden || S.caseCode) {
      resetForm(S.call && S.callState !== "idle" ? prefillOf(S.call) : {});
    }
    fieldInput("citizen_name").focus();
  }

  function prefillOf(call) {
    return { citizen_phone: call.caller || "", topic: call.topic || "", call_uniqueid: call.uniqueid || "" };
  }

  function openCaseFor(call) {
    const form = $("case-form");
    if (!form.hidden && !S.caseCode && formTouched() && $("f-call_uniqueid").value !== call.uniqueid) {
      say(T("con.unsaved"));
      return;
    }
    if (form.hidden || S.caseCode || $("f-call_uniqueid").value !== call.uniqueid) resetForm(prefillOf(call));
    fieldInput("citizen_name").focus();
  }

  function renderProblems(problems) {
    let first = null;
    for (const name of FIELDS) {
      const problem = problems[name];
      const shown = problem && (S.submitted || S.touched.has(name));
      const text = shown ? (problem[LANG] || problem.vi || problem.en) : "";
      $("err-" + name).textContent = text;
      fieldInput(name).setAttribute("aria-invalid", shown ? "true" : "false");
      if (shown && !first) first = fieldInput(name);
    }
    return first;
  }

  let checkTimer = null;

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkForm, 400);
  }

  async function checkForm() {
    const seq = ++S.checkSeq;
    try {
      const result = await api("POST", "/api/cases/check", formBody());
      if (seq !== S.checkSeq) return null; // an older answer arriving late
      renderProblems(result.problems || {});
      return result;
    } catch (err) {
      reportOnce(err);
      return null;
    }
  }

  async function saveCase() {
    if ($("case-form").hidden) openForm();
    if (S.caseCode) return S.caseCode;
    S.submitted = true;
    clearTimeout(checkTimer);
    const result = await checkForm();
    if (result && !result.ok) {
      const first = renderProblems(result.problems || {});
      say(T("con.fix_first"));
      if (first) first.focus();
      return null;
    }
    try {
      const created = await api("POST", "/api/cases", formBody());
      S.caseCode = created.code;
      showCase(created);
      setFormLocked(true);
      say(T("con.saved", { code: created.code }), "info");
      return created.code;
    } catch (err) {
      report(err);
      return null;
    }
  }

  function showCase(caseOut) {
    S.caseStatus = caseOut.status;
    $("case-code").textContent = T("con.case_code") + ": " + caseOut.code;
    $("case-status").textContent = T("con.case_status") + ": " +
      (LANG === "en" ? caseOut.status : (caseOut.status_label_vi || caseOut.status));
  }

  Object.assign(C, { saveCase, showCase, openForm, resetForm });

  function bindForm() {
    const form = $("case-form");
    form.addEventListener("input", (event) => {
      const name = (event.target.name || "").trim();
      if (FIELDS.includes(name)) S.touched.add(name);
      scheduleCheck();
    });
    form.addEventListener("change", (event) => {
      if (event.target.name === "topic") loadAgencies();
    });
    form.addEventListener("submit", (event) => { event.preventDefault(); saveCase(); });
    $("case-new").addEventListener("click", () => {
      resetForm(S.call && S.callState === "answered" ? prefillOf(S.call) : {});
      fieldInput("citizen_name").focus();
    });
  }

  /* ---------- start ---------- */

  async function loadMe() {
    try {
      const me = await api("GET", withExt("/api/console/me"));
      S.lastEventId = Math.max(S.lastEventId, me.last_event_id || 0);
      renderMe(me);
      const current = me.current_call;
      if (current && current.uniqueid) {
        S.call = { uniqueid: current.uniqueid, caller: current.caller, ivr_path: null, waited_s: 0 };
        S.callState = current.answered ? "answered" : "ringing";
        S.popAt = Date.now();
        renderPop();
        if (current.answered) openCaseFor(S.call);
        await loadPopDetails(current.uniqueid);
      }
    } catch (err) {
      report(err);
    }
  }

  function bindState() {
    for (const button of $("state-control").querySelectorAll("[data-go]")) {
      button.addEventListener("click", () => setState(button.dataset.go));
    }
    $("wrapup-end").addEventListener("click", () => setState("end_wrapup"));
  }

  function bindKeys() {
    document.addEventListener("keydown", (event) => {
      const ctrl = event.ctrlKey || event.metaKey;
      const key = (event.key || "").toLowerCase();
      if (event.key === "F2") { event.preventDefault(); openForm(); }
      else if (event.key === "F9") { event.preventDefault(); togglePause(); }
      else if (ctrl && key === "s") { event.preventDefault(); saveCase(); }
      else if (ctrl && key === "f") { event.preventDefault(); C.openAction("forward"); }
      else if (ctrl && key === "k") { event.preventDefault(); C.openAction("answer"); $("kb-q").focus(); }
    });
  }

  window.TdConsole = C; // the action, transfer and call-back handlers below use the same helpers

  document.addEventListener("DOMContentLoaded", async () => {
    bindState();
    bindForm();
    bindKeys();
    C.bindActions();
    C.bindTransfer();
    C.bindCallbacks();
    renderPop();
    setInterval(() => { tickWaited(); tickWrapup(); }, 500);
    await Promise.all([loadTopics(), loadMe()]);
    loadAgencies();
    C.loadCallbacks();
    setInterval(C.loadCallbacks, 30000);
    connectSocket();
  });
})();

/* ---------- the five actions on a case, the warm transfer, and call-backs ---------- */
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, el, T, api, S, say, report, reportOnce, fmtTime, LANG } = C;

  /* The five ways out of a case form (Art. 8, 9). Each saves the case first when it is not saved yet. */

  function openAction(name) {
    if ($("case-form").hidden) C.openForm();
    for (const tab of document.querySelectorAll("#case-actions [role=tab]")) {
      const chosen = tab.dataset.panel === name;
      tab.setAttribute("aria-selected", String(chosen));
      $("panel-" + tab.dataset.panel).hidden = !chosen;
    }
    const first = { answer: "kb-q", forward: "forward-agency", refuse: "refuse-reason",
      request_info: "info-reason", emergency: "do-emergency" }[name];
    if (name === "answer" && !$("kb-results").children.length) searchKb();
    if (first) $(first).focus();
  }

  async function transition(action, reason, data) {
    const code = await C.saveCase();
    if (!code) return null;
    try {
      const done = await api("POST", "/api/cases/" + encodeURIComponent(code) + "/transitions",
        { action, reason: reason || "", data: data || {} });
      C.showCase(done.case);
      const label = LANG === "en" ? done.case.status : (done.case.status_label_vi || done.case.status);
      say(T("con.done", { code, status: label }), "info");
      return done;
    } catch (err) {
      report(err);
      return null;
    }
  }

  function required(id) {
    const input = $(id);
    const empty = !input.value.trim();
    input.setAttribute("aria-invalid", String(empty));
    if (empty) input.focus();
    return !empty;
  }

  let kbTimer = null;

  async function searchKb() {
    const topic = $("f-topic").value || "";
    const query = "/api/kb?q=" + encodeURIComponent($("kb-q").value.trim()) +
      (topic ? "&topic=" + encodeURIComponent(topic) : "");
    let articles = [];
    try {
      articles = await api("GET", query);
    } catch (err) {
      reportOnce(err);
    }
    const list = $("kb-results");
    list.replaceChildren();
    for (const article of articles.slice(0, 20)) {
      const pick = el("button", { type: "button", class: "btn small", dataset: { id: article.id } }, T("con.kb_pick"));
      pick.addEventListener("click", () => useArticle(article));
      list.append(el("li", { dataset: { testid: "kb-inline-result" } },
        el("span", {}, article.title, article.sample ? el("span", { class: "sample-badge" }, " ★") : null), pick));
    }
    if (!list.children.length) list.append(el("li", { class: "hint" }, T("con.kb_none")));
  }

  function useArticle(article) {
    $("answer-kb-id").value = String(article.id);
    $("answer-kb-title").textContent = article.title;
    const parts = [article.title, article.procedure, article.documents, article.where_to_file];
    $("answer-text").value = parts.filter((p) => p && p.trim()).join("\n\n");
    $("answer-text").focus();
  }

  async function doAnswer() {
    if (!required("answer-text")) return;
    const data = { answer: $("answer-text").value.trim() };
    if ($("answer-kb-id").value) data.kb_article_id = $("answer-kb-id").value; // the article used is kept
    await transition("answer_directly", "", data);
  }

  async function doForward() {
    const agency = $("forward-agency").value;
    if (!agency) { say(T("con.agency_none")); return; }
    await transition("forward", $("forward-reason").value.trim(), { agency_id: agency });
  }

  async function doRefuse() {
    if (!required("refuse-reason") || !required("refuse-redirect")) return;
    await transition("refuse", $("refuse-reason").value.trim(), { redirect_to: $("refuse-redirect").value.trim() });
  }

  async function doRequestInfo() {
    if (S.infoAsked) { say(T("con.info_once")); return; }
    if (!required("info-reason")) return;
    if (await transition("request_info", $("info-reason").value.trim(), {})) {
      S.infoAsked = true;
      $("do-request-info").disabled = true;
    }
  }

  function emergencyNumber() {
    const chosen = document.querySelector('input[name="emergency-number"]:checked');
    return chosen ? chosen.value : "113";
  }

  async function doEmergency() {
    return transition("refer_emergency", "", { number: emergencyNumber() });
  }

  async function doBlind() {
    if (!S.call || S.callState !== "answered") { say(T("con.transfer_need_call")); return; }
    const number = emergencyNumber();
    if (S.caseStatus !== "referred_emergency" && !(await doEmergency())) return;
    try {
      const out = await api("POST", "/api/calls/" + encodeURIComponent(S.call.uniqueid) + "/blind-transfer",
        { number, case_code: S.caseCode });
      onTransfer(out);
      say(T("con.blind_done", { n: number }), "info");
    } catch (err) {
      report(err);
    }
  }

  function bindActions() {
    for (const tab of document.querySelectorAll("#case-actions [role=tab]")) {
      tab.addEventListener("click", () => openAction(tab.dataset.panel));
    }
    $("kb-q").addEventListener("input", () => { clearTimeout(kbTimer); kbTimer = setTimeout(searchKb, 300); });
    $("kb-q").addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); searchKb(); } });
    $("do-answer").addEventListener("click", doAnswer);
    $("do-forward").addEventListener("click", doForward);
    $("do-refuse").addEventListener("click", doRefuse);
    $("do-request-info").addEventListener("click", doRequestInfo);
    $("do-emergency").addEventListener("click", doEmergency);
    $("do-blind").addEventListener("click", doBlind);
  }

  /* Warm transfer to an agency's phone: dialing -> consulting -> completed | cancelled; or failed. */

  function transferText(tr) {
    const vars = { name: tr.target_name || tr.target_number || "", number: tr.target_number || "" };
    if (tr.state === "failed") {
      const outcome = ["no_answer", "busy"].includes(tr.outcome) ? tr.outcome : "failed";
      return T("con.tr." + outcome, vars);
    }
    if (tr.kind === "blind" && tr.state === "completed") return T("con.blind_done", { n: tr.target_number });
    return T("con.tr." + tr.state, vars);
  }

  function renderTransfer() {
    const tr = S.transfer;
    const box = $("transfer-state");
    box.dataset.state = tr ? tr.state : "";
    box.dataset.outcome = tr && tr.outcome ? tr.outcome : "";
    box.textContent = tr ? transferText(tr) : "";
    const live = !!tr && C.LIVE_TRANSFER.has(tr.state);
    $("transfer-start").disabled = live || !(S.call && S.callState === "answered");
    $("transfer-complete").disabled = !(tr && tr.state === "consulting");
    $("transfer-cancel").disabled = !live;
  }

  function onTransfer(payload) {
    if (S.transfer && payload.id && S.transfer.id && payload.id < S.transfer.id) return; // an older transfer
    S.transfer = payload;
    renderTransfer();
  }

  async function transferAction(path, body) {
    try {
      onTransfer(await api("POST", path, body));
    } catch (err) {
      report(err);
    }
  }

  function bindTransfer() {
    $("transfer-start").addEventListener("click", () => {
      if (!S.call || S.callState !== "answered") { say(T("con.transfer_need_call")); return; }
      const agency = Number($("transfer-agency").value);
      if (!agency) { say(T("con.agency_none")); return; }
      transferAction("/api/calls/" + encodeURIComponent(S.call.uniqueid) + "/transfer",
        { agency_id: agency, case_code: S.caseCode });
    });
    $("transfer-complete").addEventListener("click", () => {
      if (S.transfer) transferAction("/api/transfers/" + S.transfer.id + "/complete");
    });
    $("transfer-cancel").addEventListener("click", () => {
      if (S.transfer) transferAction("/api/transfers/" + S.transfer.id + "/cancel");
    });
    renderTransfer();
  }

  /* Call-backs: the waiting list, voice messages played in the browser, one click to call back, the result. */

  async function loadCallbacks() {
    let items;
    try {
      items = await api("GET", "/api/callbacks");
    } catch (err) {
      reportOnce(err);
      return;
    }
    const list = $("cb-list");
    list.replaceChildren();
    for (const cb of items) {
      const call = el("button", { type: "button", class: "btn primary small", dataset: { id: cb.id } }, T("con.cb_call"));
      call.addEventListener("click", () => callBack(cb));
      const audio = cb.voicemail_path ? el("audio", { controls: true, preload: "none",
        src: "/api/callbacks/" + cb.id + "/audio", "aria-label": T("con.voicemail") }) : null;
      list.append(el("li", { dataset: { id: cb.id, testid: "callback" } },
        el("b", { class: "cb-phone" }, cb.phone || "—"),
        el("span", { class: "hint" }, fmtTime(cb.created_at) + " · " + T("con.cb." + cb.reason) +
          (cb.attempts ? " · " + T("con.cb_attempts", { n: cb.attempts }) : "")),
        audio, el("span", {}, call)));
    }
    if (!list.children.length) list.append(el("li", { class: "hint" }, T("con.cb_none")));
  }

  async function callBack(cb) {
    try {
      await api("POST", "/api/callbacks/" + cb.id + "/call");
    } catch (err) {
      report(err);
      return;
    }
    S.callbackId = cb.id;
    $("cb-calling").textContent = T("con.cb_calling", { phone: cb.phone || "" });
    $("cb-result-form").hidden = false;
    $("cb-result").focus();
  }

  function bindCallbacks() {
    $("cb-refresh").addEventListener("click", loadCallbacks);
    $("cb-result-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!S.callbackId) return;
      try {
        await api("POST", "/api/callbacks/" + S.callbackId + "/result",
          { result: $("cb-result").value, close: $("cb-close").checked, case_code: S.caseCode });
      } catch (err) {
        report(err);
        return;
      }
      S.callbackId = null;
      $("cb-result-form").hidden = true;
      $("cb-close").checked = false;
      say(T("con.cb_saved"), "info");
      loadCallbacks();
    });
  }

  Object.assign(C, { openAction, bindActions, bindTransfer, bindCallbacks, loadCallbacks, onTransfer,
    renderTransfer });
})();
