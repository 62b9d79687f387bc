// wallboard-render.js — applies a snapshot or one delta frame to S, and draws queues, operators, calls, totals, alerts.
(function () {
  "use strict";

  const W = window.TdWallboard;
  const { $, T, el, S, since, clock, LANG } = W;

  function loadSnapshot(snap) {
    S.queues = new Map((snap.queues || []).map((q) => [q.queue, q]));
    S.operators = new Map((snap.operators || []).map((o) => [o.extension, o]));
    S.calls = new Map((snap.calls || []).map((c) => [c.uniqueid, c]));
    S.totals = snap.totals || {};
    S.alerts = (snap.alerts || []).slice();
    if (snap.service_level_s !== undefined) S.serviceLevelS = snap.service_level_s;
    S.asOf = snap.as_of || S.asOf;
  }

  /** One frame of td:wallboard (or the GET snapshot as kind "snapshot"). */
  function apply(frame) {
    if (!frame || typeof frame !== "object") return;
    switch (frame.kind) {
      case "snapshot": loadSnapshot(frame.snapshot || {}); break;
      case "queue": if (frame.queue) S.queues.set(frame.queue.queue, frame.queue); break;
      case "operator": if (frame.operator) S.operators.set(frame.operator.extension, frame.operator); break;
      case "call":
        if (!frame.call) break;
        if (frame.gone) S.calls.delete(frame.call.uniqueid);
        else S.calls.set(frame.call.uniqueid, frame.call);
        break;
      case "alert":
        if (frame.alert && !S.alerts.some((a) => a.id === frame.alert.id)) S.alerts.unshift(frame.alert);
        break;
      case "totals": if (frame.totals) S.totals = frame.totals; break;
      default: return;
    }
    if (frame.as_of) S.asOf = frame.as_of;
  }

  function figure(label, value, testid) {
    return el("div", { class: "fig" }, el("span", { class: "fig-label" }, label),
      el("b", { class: "fig-value", "data-testid": testid }, value));
  }

  function pct(value) { return value === null || value === undefined ? "–" : Math.round(value) + "%"; }

  function drawQueues() {
    const box = $("queues");
    box.replaceChildren(...[...S.queues.values()].map((q) => el("div", { class: "queue", dataset: { queue: q.queue },
      "data-testid": "queue-" + q.queue },
      el("h3", {}, q.queue),
      figure(T("wb.waiting"), q.waiting, "waiting"),
      figure(T("wb.longest"), clock(q.longest_wait_s), "longest"),
      figure(T("wb.answered"), q.answered_today, "answered"),
      figure(T("wb.abandoned"), q.abandoned_today, "abandoned"),
      figure(T("wb.service_level", { s: S.serviceLevelS === null ? "?" : S.serviceLevelS }), pct(q.service_level_pct),
        "service-level"),
      figure(T("wb.asa"), q.asa_s === null || q.asa_s === undefined ? "–" : clock(q.asa_s), "asa"),
      figure(T("wb.logged_in"), (q.logged_in ?? "–") + " / " + (q.available ?? "–"), "logged-in"))));
  }

  function callText(call) {
    if (!call) return "";
    const topic = call.topic ? " · " + call.topic : "";
    return call.caller + topic + " · " + since(call.since);
  }

  function operatorCall(op) {
    if (op.call) return op.call;
    for (const call of S.calls.values()) if (call.extension === op.extension && call.state !== "waiting") return call;
    return null;
  }

  function actionCell(op, call) {
    const cell = el("td", { class: "acts wall-hide" });
    if (call && call.state === "talking") {
      for (const mode of ["listen", "whisper", "barge"]) {
        cell.append(el("button", { type: "button", class: "btn small", "data-spy": mode, "data-uniqueid": call.uniqueid,
          "data-ext": op.extension, "data-testid": "spy-" + mode + "-" + op.extension }, T("wb.mode." + mode)));
      }
    }
    if (op.state !== "logged_out") {
      cell.append(el("button", { type: "button", class: "btn small", "data-force": "pause", "data-ext": op.extension,
        "data-testid": "force-pause-" + op.extension }, T("wb.force_pause")));
      cell.append(el("button", { type: "button", class: "btn small danger", "data-force": "logout",
        "data-ext": op.extension, "data-testid": "force-logout-" + op.extension }, T("wb.force_logout")));
    }
    return cell;
  }

  function drawOperators() {
    const ops = [...S.operators.values()].sort((a, b) => a.extension.localeCompare(b.extension));
    $("ops-body").replaceChildren(...ops.map((op) => {
      const call = operatorCall(op);
      let state = T("wb.state." + op.state);
      if (op.pause_reason) state += " (" + T("con.reason." + op.pause_reason).replace(/^con\.reason\./, "") + ")";
      return el("tr", { dataset: { ext: op.extension, state: op.state }, "data-testid": "op-" + op.extension },
        el("td", { class: "ext" }, op.extension), el("td", {}, op.name || ""),
        el("td", { class: "state" }, el("span", { class: "st st-" + op.state }, state)),
        el("td", { class: "tick", dataset: { since: op.since || "" } }, since(op.since)),
        el("td", { class: "op-call", "data-testid": "op-call-" + op.extension }, callText(call)),
        el("td", { class: "num", title: T("wb.handled") }, op.handled_today ?? 0), actionCell(op, call));
    }));
  }

  function drawCalls() {
    const calls = [...S.calls.values()].sort((a, b) => String(a.since).localeCompare(String(b.since)));
    $("calls-count").textContent = String(calls.length);
    $("calls").replaceChildren(...calls.map((c) => el("li", { dataset: { uniqueid: c.uniqueid, state: c.state },
      "data-testid": "call" }, el("b", {}, c.caller), " ", T("wb.call_state." + c.state),
      c.extension ? " → " + c.extension : "", c.topic ? " · " + c.topic : "",
      " · ", el("span", { class: "tick", dataset: { since: c.since || "" } }, since(c.since)))));
  }

  function drawTotals() {
    const pairs = (obj, label) => Object.entries(obj || {}).flatMap(([key, n]) =>
      [el("dt", {}, label(key)), el("dd", { "data-key": key }, n)]);
    $("by-topic").replaceChildren(...pairs((S.totals || {}).by_topic, (k) => k || T("wb.no_topic")));
    $("by-outcome").replaceChildren(...pairs((S.totals || {}).by_outcome, (k) => T("wb.outcome." + k)));
  }

  function drawAlerts() {
    const list = S.alerts.slice(0, 50);
    if (!list.length) { $("alerts").replaceChildren(el("li", { class: "hint" }, T("wb.no_alerts"))); return; }
    $("alerts").replaceChildren(...list.map((a) => el("li", { class: "wb-alert " + (a.severity || "warning"),
      dataset: { kind: a.kind } }, el("time", {}, (a.at || "").slice(11, 16)), " ",
      LANG === "en" ? (a.message_en || a.message_vi) : (a.message_vi || a.message_en))));
  }

  let pending = false;
  /** Draw at most once per animation frame: a burst of 100 deltas costs one redraw. */
  function draw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawQueues(); drawOperators(); drawCalls(); drawTotals(); drawAlerts();
      $("as-of").textContent = S.asOf ? new Date(S.asOf).toLocaleTimeString(LANG === "en" ? "en-GB" : "vi-VN") : "…";
    });
  }

  /** Time-in-state and call durations tick every second without a redraw. */
  function tick() {
    for (const node of document.querySelectorAll(".tick[data-since]")) {
      if (node.dataset.since) node.textContent = since(node.dataset.since);
    }
  }

  Object.assign(W, { apply, draw, tick });
})();
