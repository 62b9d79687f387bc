// console-core.js — helpers, i18n (T), api(), error reporting and the shared state S; opens window.TdConsole.
/* Tổng đài 1022 operator console: plain JavaScript, no framework, no build step.
 *
 * Data: GET /api/console/me on load, then live events from the WebSocket /console/ws (catching up from the
 * last stream id and event id). When the WebSocket fails or says "degraded", the page polls
 * /api/console/events every 2 s and tries the WebSocket again every 5 s. Events are applied once, by id.
 * Every text comes from the server's translation table (#console-i18n); nothing here is written in one language.
 *
 * The console is split into plain scripts loaded in this order (all `defer`), sharing window.TdConsole:
 * console-core.js, console-feed.js, console-state.js, console-form.js, console-actions.js,
 * console-transfer.js, console-main.js (binds everything on DOMContentLoaded).
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = $("console");
  const LANG = root.dataset.lang || "vi";
  const EXT = root.dataset.extension || ""; // supervisors following an operator (?extension=)
  const TEXTS = JSON.parse($("console-i18n").textContent);
  const FIELDS = ["citizen_name", "citizen_phone", "citizen_address", "citizen_email", "topic", "content"];
  const LIVE_TRANSFER = new Set(["dialing", "consulting"]);

  const S = {
    me: null, skew: 0, lastEventId: 0, lastStreamId: "", seen: new Set(), seenOrder: [],
    call: null, callState: "idle", popAt: 0, topics: [], agencies: [],
    caseCode: null, caseStatus: null, touched: new Set(), submitted: false, checkSeq: 0, infoAsked: false,
    transfer: null, callbackId: null, notReady: new Set(),
  };

  /* ---------- texts, DOM and the API ---------- */

  const { el, ApiError } = window.TdWeb;
  const T = window.TdWeb.texts(TEXTS);

  function withExt(path) {
    if (!EXT) return path;
    return path + (path.includes("?") ? "&" : "?") + "extension=" + encodeURIComponent(EXT);
  }

  // The server's clock drives timers (time in state, wrap-up): every answer's Date header sets the skew.
  const api = window.TdWeb.client((skew) => { S.skew = skew; });

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

  const C = {
    $, el, T, api, ApiError, S, say, report, reportOnce, fmtTime, fmtDuration, serverNow, withExt, FIELDS,
    LIVE_TRANSFER, LANG,
  };

  window.TdConsole = C; // every other console script adds its part here and calls the others through it
})();
