// console-actions.js — the five case actions (answer, forward, refuse, request info, emergency), KB inline search.
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, el, T, api, S, say, report, reportOnce, LANG } = C;

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
      C.onTransfer(out);
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

  Object.assign(C, { openAction, bindActions });
})();
