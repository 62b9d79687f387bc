// console-state.js — phone registration and state control, wrap-up timer, the screen-pop panel and history.
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, el, T, api, S, say, report, reportOnce, withExt, serverNow, fmtDuration, fmtTime, FIELDS } = C;

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
    if (me.state === "paused" && me.pause_reason) label += " – " + reasonText(me.pause_reason);
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

  /** A listed reason's label; a supervisor's forced pause carries free text, shown as written. */
  function reasonText(reason) {
    const key = "con.reason." + reason, text = T(key);
    return text === key ? reason : text;
  }

  /** The "state" event's "forced": who forced the pause or the log-out, when and why; stays until acknowledged. */
  function showForced(forced) {
    const key = "con.forced." + forced.action;
    if (T(key) === key) return;
    const at = forced.at ? fmtTime(forced.at) : "";
    $("forced-text").textContent = T(key, { by: forced.by || "?", at, reason: forced.reason || "" });
    $("forced-notice").dataset.action = forced.action;
    $("forced-notice").hidden = false;
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
      const topic = C.fieldInput("topic");
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
    if (!filed || S.caseCode || $("case-form").hidden || C.formTouched()) return;
    try {
      const found = await api("GET", "/api/cases/" + encodeURIComponent(filed.code));
      for (const name of FIELDS) C.fieldInput(name).value = found[name] || "";
      $("f-confidential").checked = !!found.confidential;
      S.caseCode = found.code;
      C.showCase(found);
      C.setFormLocked(true);
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
    C.openCaseFor(S.call);
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

  /* ---------- start: who is signed in, and a call already under way ---------- */

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
        if (current.answered) C.openCaseFor(S.call);
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
    $("forced-ok").addEventListener("click", () => { $("forced-notice").hidden = true; });
  }

  Object.assign(C, { renderMe, tickWrapup, setState, togglePause, renderPop, tickWaited, onPop, onConnect,
    onComplete, onRingNoAnswer, loadMe, bindState, showForced });
})();
