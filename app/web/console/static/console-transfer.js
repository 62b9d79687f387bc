// console-transfer.js — the warm/blind transfer panel and the call-back list (voice messages, call, result).
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, el, T, api, S, say, report, reportOnce, fmtTime } = C;

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

  Object.assign(C, { bindTransfer, bindCallbacks, loadCallbacks, onTransfer, renderTransfer });
})();
