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

  function toggleFull() {
    const wall = document.body.classList.toggle("wall");
    $("full-toggle").textContent = T(wall ? "wb.full_exit" : "wb.full");
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
    if (document.body.classList.contains("wall")) $("full-toggle").textContent = T("wb.full_exit");
    setInterval(W.tick, 1000);
    W.draw();
    W.connect();
  });
})();
