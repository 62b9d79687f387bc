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
    if (snap.ami !== undefined) S.ami = snap.ami;
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

  /* Labels: a known code gets its text, anything else (a forced pause's free text, a new topic) is shown as is. */
  function label(key, fallback) {
    const text = T(key);
    return text === key ? fallback : text;
  }
  const queueName = (code) => label("wb.q." + code, code);
  const reasonName = (reason) => label("con.reason." + reason, reason);
  const topicName = (code) => (code && S.topics && S.topics.get(code)) || code;

  /** A queue figure under its short label (vars fill it); the long label is its tooltip. */
  function figure(key, vars, value, testid, big) {
    const long = T(key, vars);
    return el("div", { class: "fig" + (big ? " big" : ""), title: long },
      el("span", { class: "fig-label" }, label(key + ".short", long).replace("{s}", vars.s)),
      el("b", { class: "fig-value", "data-testid": testid }, value));
  }

  function pct(value) { return value === null || value === undefined ? "–" : Math.round(value) + "%"; }

  function drawQueues() {
    const box = $("queues");
    const sl = S.serviceLevelS === null ? "?" : S.serviceLevelS;
    box.replaceChildren(...[...S.queues.values()].map((q) => el("div", { class: "queue", dataset: { queue: q.queue,
      waiting: q.waiting ? "yes" : "no" }, "data-testid": "queue-" + q.queue },
      el("h3", { title: q.queue }, queueName(q.queue)),
      figure("wb.waiting", {}, q.waiting, "waiting", true),
      figure("wb.longest", {}, clock(q.longest_wait_s), "longest", true),
      figure("wb.answered", {}, q.answered_today, "answered"),
      figure("wb.abandoned", {}, q.abandoned_today, "abandoned"),
      figure("wb.service_level", { s: sl }, pct(q.service_level_pct), "service-level"),
      figure("wb.asa", {}, q.asa_s === null || q.asa_s === undefined ? "–" : clock(q.asa_s), "asa"),
      figure("wb.logged_in", {}, (q.logged_in ?? "–") + " / " + (q.available ?? "–"), "logged-in"))));
  }

  /** The caller first (all the wall tile has room for), then the topic and the call's duration. */
  function callText(call) {
    if (!call) return [];
    const topic = call.topic ? " · " + topicName(call.topic) : "";
    return [el("b", { class: "caller" }, call.caller), el("span", { class: "call-more" }, topic + " · " +
      since(call.since))];
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
    const wall = document.body.classList.contains("wall");
    $("ops-body").replaceChildren(...ops.map((op) => {
      const call = operatorCall(op);
      const state = T("wb.state." + op.state + (wall ? ".short" : ""));
      const reason = op.pause_reason ? reasonName(op.pause_reason) : "";
      return el("tr", { dataset: { ext: op.extension, state: op.state }, "data-testid": "op-" + op.extension },
        el("td", { class: "ext", title: op.name || "" }, op.extension), el("td", { class: "name" }, op.name || ""),
        el("td", { class: "state" }, el("span", { class: "st st-" + op.state }, state),
          reason ? el("span", { class: "why-inline" }, " (" + reason + ")") : null),
        el("td", { class: "tick compact", dataset: { since: op.since || "" } }, since(op.since, wall)),
        el("td", { class: "op-call", "data-testid": "op-call-" + op.extension }, ...callText(call),
          !call && reason ? el("span", { class: "why" }, reason) : null), // the wall tile's last line
        el("td", { class: "num", title: T("wb.handled") }, op.handled_today ?? 0), actionCell(op, call));
    }));
  }

  const CALL_ORDER = { waiting: 0, ringing: 1, talking: 2 };

  function drawCalls() {
    // the callers still waiting first (longest wait on top): on the wall they are the ones that must stay visible
    const calls = [...S.calls.values()].sort((a, b) => (CALL_ORDER[a.state] ?? 3) - (CALL_ORDER[b.state] ?? 3) ||
      String(a.since).localeCompare(String(b.since)));
    $("calls-count").textContent = String(calls.length);
    $("calls").replaceChildren(...calls.map((c) => el("li", { dataset: { uniqueid: c.uniqueid, state: c.state },
      "data-testid": "call" }, el("b", {}, c.caller), " ", T("wb.call_state." + c.state),
      c.extension ? " → " + c.extension : "", c.queue && !c.extension ? " · " + queueName(c.queue) : "",
      c.topic ? " · " + topicName(c.topic) : "",
      " · ", el("span", { class: "tick", dataset: { since: c.since || "" } }, since(c.since)))));
  }

  function drawTotals() {
    const pairs = (obj, name) => {
      const found = Object.entries(obj || {}).flatMap(([key, n]) => [el("dt", {}, name(key)),
        el("dd", { "data-key": key }, n)]);
      return found.length ? found : [el("dt", { class: "hint" }, T("wb.none"))];
    };
    $("by-topic").replaceChildren(...pairs((S.totals || {}).by_topic, (k) => (k ? topicName(k) : T("wb.no_topic"))));
    const wall = document.body.classList.contains("wall") ? ".short" : "";
    $("by-outcome").replaceChildren(...pairs((S.totals || {}).by_outcome,
      (k) => label("wb.outcome." + k + wall, label("wb.outcome." + k, k))));
  }

  function alertTime(iso) {
    const when = new Date(iso || "");
    if (isNaN(when)) return "";
    return when.toLocaleTimeString(LANG === "en" ? "en-GB" : "vi-VN", { hour: "2-digit", minute: "2-digit" });
  }

  function drawAlerts() {
    const list = S.alerts.slice(0, 50);
    if (!list.length) { $("alerts").replaceChildren(el("li", { class: "hint" }, T("wb.no_alerts"))); return; }
    $("alerts").replaceChildren(...list.map((a) => el("li", { class: "wb-alert " + (a.severity || "warning"),
      dataset: { kind: a.kind, id: a.id }, "data-testid": "alert-" + a.id },
      el("time", { datetime: a.at || "" }, alertTime(a.at)), " ",
      el("b", { class: "alert-kind" }, label("wb.alert." + a.kind, a.kind)), " ",
      alertText(a))));
  }

  /** The alert's message in the page's language, with a queue's code replaced by its name. */
  function alertText(a) {
    const text = LANG === "en" ? (a.message_en || a.message_vi) : (a.message_vi || a.message_en);
    const queue = a.detail && a.detail.queue;
    return queue ? String(text || "").split(queue).join(queueName(queue)) : text;
  }

  /** On the wall a list that does not fit its panel is cut, and its last line says how many are not shown. */
  function fitList(list) {
    if (!document.body.classList.contains("wall")) return;
    const items = [...list.children];
    const limit = list.clientHeight;
    const cut = items.findIndex((li) => li.offsetTop + li.offsetHeight > limit);
    if (cut < 0) return;
    const keep = Math.max(0, cut - 1);
    for (const li of items.slice(keep)) li.remove();
    list.append(el("li", { class: "more", "data-testid": "more" }, T("wb.more", { n: items.length - keep })));
  }

  /** On the wall, more operators than the tiles hold (over ~110 at 1080p): denser tiles without the call line. */
  function fitTiles() {
    const table = $("ops-body").closest("table");
    table.classList.remove("dense");
    const panel = table.parentElement;
    if (document.body.classList.contains("wall") && panel.scrollHeight > panel.clientHeight) {
      table.classList.add("dense");
    }
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
      W.showFeed();
      fitTiles(); fitList($("alerts")); fitList($("calls")); // last: they measure the final layout
    });
  }

  /** Time-in-state and call durations tick every second without a redraw. */
  function tick() {
    const wall = document.body.classList.contains("wall");
    for (const node of document.querySelectorAll(".tick[data-since]")) {
      if (node.dataset.since) node.textContent = since(node.dataset.since, wall && node.classList.contains("compact"));
    }
  }

  Object.assign(W, { apply, draw, tick });
})();
