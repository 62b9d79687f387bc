// console-form.js — the case form (topics, agencies, live checks, save) and the keyboard shortcuts.
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, el, T, api, S, say, report, reportOnce, FIELDS, LANG } = C;

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

  function bindKeys() {
    document.addEventListener("keydown", (event) => {
      const ctrl = event.ctrlKey || event.metaKey;
      const key = (event.key || "").toLowerCase();
      if (event.key === "F2") { event.preventDefault(); openForm(); }
      else if (event.key === "F9") { event.preventDefault(); C.togglePause(); }
      else if (ctrl && key === "s") { event.preventDefault(); saveCase(); }
      else if (ctrl && key === "f") { event.preventDefault(); C.openAction("forward"); }
      else if (ctrl && key === "k") { event.preventDefault(); C.openAction("answer"); $("kb-q").focus(); }
    });
  }

  Object.assign(C, { loadTopics, loadAgencies, fieldInput, formTouched, setFormLocked, resetForm, openForm,
    openCaseFor, saveCase, showCase, bindForm, bindKeys });
})();
