// wallboard-actions.js — listen/whisper/barge, force pause/log out, full screen; starts the page.
(function () {
  "use strict";

  const W = window.TdWallboard;
  const { $, T, api, S, say, report } = W;

  async function startSpy(button) {
    const mode = button.dataset.spy, uniqueid = button.dataset.uniqueid, ext = button.dataset.ext;
    try {
      const res = await api("POST", "/api/calls/" + encodeURIComponent(uniqueid) + "/spy", { mode });
      S.spy = { id: res && (res.spy_id || res.id), ext, mode };
      showSpy();
      say(T("wb.spy_on", { mode: T("wb.mode." + mode), ext }), "info");
    } catch (err) {
      report(err);
    }
  }

  function showSpy() {
    $("spy-bar").hidden = !S.spy;
    if (S.spy) $("spy-text").textContent = T("wb.mode." + S.spy.mode) + " · " + S.spy.ext;
    $("spy-bar").dataset.mode = S.spy ? S.spy.mode : "";
  }

  async function switchSpy(mode) {
    if (!S.spy) return;
    try {
      await api("POST", "/api/spy/" + encodeURIComponent(S.spy.id) + "/mode", { mode });
      S.spy.mode = mode;
      showSpy();
    } catch (err) {
      report(err);
    }
  }

  async function stopSpy() {
    if (!S.spy) return;
    try {
      await api("POST", "/api/spy/" + encodeURIComponent(S.spy.id) + "/stop");
      S.spy = null;
      showSpy();
      say("");
    } catch (err) {
      report(err);
    }
  }

  async function force(button) {
    const what = button.dataset.force, ext = button.dataset.ext;
    const reason = window.prompt(T("wb.reason_prompt") + " " + T(what === "pause" ? "wb.force_pause" :
      "wb.force_logout") + " " + ext);
    if (reason === null || !reason.trim()) return;
    try {
      const res = await api("POST", "/api/operators/" + encodeURIComponent(ext) + "/force-" + what,
        { reason: reason.trim() });
      say(T(res && res.applied === false ? "wb.done_later" : "wb.done"), "info");
    } catch (err) {
      report(err);
    }
  }

  /** Topic names for the codes in calls and totals (admins name topics in Vietnamese only). */
  async function loadTopics() {
    try {
      const topics = await api("GET", "/api/topics");
      S.topics = new Map((topics || []).map((t) => [t.code, t.name_vi]));
      W.draw();
    } catch (err) {
      // codes stay readable enough; the live figures matter more than this list
    }
  }

  function toggleFull() {
    const wall = document.body.classList.toggle("wall");
    $("full-toggle").textContent = T(wall ? "wb.full_exit" : "wb.full");
    const lang = new URL($("wb-lang").href, location.href); // the other language keeps the layout
    if (wall) lang.searchParams.set("full", "1"); else lang.searchParams.delete("full");
    $("wb-lang").href = lang.pathname + lang.search;
    W.draw();
    if (wall && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(() => {}); // refused without a user gesture: layout only
    } else if (!wall && document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("ops-body").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.spy) startSpy(button);
      else if (button.dataset.force) force(button);
    });
    for (const button of document.querySelectorAll("[data-spy-switch]")) {
      button.addEventListener("click", () => switchSpy(button.dataset.spySwitch));
    }
    $("spy-stop").addEventListener("click", stopSpy);
    $("full-toggle").addEventListener("click", toggleFull);
    $("wb-reload").addEventListener("click", () => location.reload());
    if (document.body.classList.contains("wall")) $("full-toggle").textContent = T("wb.full_exit");
    setInterval(W.tick, 1000);
    W.draw();
    W.connect();
    loadTopics();
  });
})();
