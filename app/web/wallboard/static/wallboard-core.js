// wallboard-core.js — helpers, i18n (T), api(), messages and the shared state S; opens window.TdWallboard.
/* Tổng đài 1022 supervisors' wallboard: plain JavaScript, no framework, no build step.
 *
 * Data: the WebSocket /wallboard/ws says "ready" once it has noted the stream's tail, then the page loads
 * GET /api/wallboard; frames that arrive meanwhile wait and are applied after the snapshot, in order. After a
 * reconnect the snapshot is loaded again, so nothing is missed and nothing gone stays on screen. Without the
 * WebSocket (Redis down) the page reloads the snapshot every 2 s. Texts come from #wallboard-i18n.
 * Scripts (all `defer`, in this order): wallboard-core.js, wallboard-render.js, wallboard-feed.js,
 * wallboard-actions.js.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = $("wallboard");
  const LANG = root.dataset.lang || "vi";
  const TEXTS = JSON.parse($("wallboard-i18n").textContent);

  // queues by name, operators by extension, calls by uniqueid; alerts newest first
  const S = { queues: new Map(), operators: new Map(), calls: new Map(), totals: {}, alerts: [],
    serviceLevelS: null, asOf: "", skew: 0, spy: null, ami: true, topics: new Map(), link: "connecting", lastOk: 0 };

  const { el, ApiError } = window.TdWeb;
  const T = window.TdWeb.texts(TEXTS);

  // The server's clock drives timers (time in state, wrap-up): every answer's Date header sets the skew.
  const api = window.TdWeb.client((skew) => { S.skew = skew; });

  function errorText(err) {
    if (!(err instanceof ApiError)) return T("wb.failed", { msg: String(err && err.message || err) });
    if (err.status === 401) return T("wb.session_over");
    if (err.status === 0) return T("wb.link_down");
    const body = err.body || {};
    if (body.error_id) {
      const message = LANG === "en" ? (body.message_en || body.message) : (body.message || body.message_en);
      return T("wb.failed", { msg: message });
    }
    if (err.status === 404 || err.status === 405 || err.status === 501) {
      return T("wb.not_ready", { what: err.path.split("?")[0] });
    }
    return T("wb.failed", { msg: "HTTP " + err.status });
  }

  function say(text, kind) {
    const box = $("wb-message");
    box.textContent = text || "";
    box.className = "wb-message" + (kind === "info" ? " info" : "");
    box.hidden = !text;
  }

  function report(err) {
    say(errorText(err));
    if (err instanceof ApiError && err.status === 401) {
      setTimeout(() => location.assign("/login?next=" + encodeURIComponent(location.pathname)), 2000);
    }
  }

  function serverNow() { return Date.now() + S.skew; }

  /** "m:ss" (or "h:mm:ss") since an ISO time, on the server's clock; compact: "1h05" from an hour on (wall tiles). */
  function since(iso, compact) {
    if (!iso) return "";
    const seconds = Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 1000));
    if (compact && seconds >= 3600) {
      return Math.floor(seconds / 3600) + "h" + String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
    }
    return clock(seconds);
  }

  function clock(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  window.TdWallboard = { $, T, el, api, ApiError, say, report, errorText, since, clock, S, LANG };
})();
