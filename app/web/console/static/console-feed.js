// console-feed.js — live events: WebSocket first, polling as the fallback, dedupe by event id, dispatch.
(function () {
  "use strict";

  const C = window.TdConsole;
  const { $, T, api, ApiError, S, reportOnce, withExt } = C;
  const POLL_MS = 2000;
  const WS_RETRY_MS = 5000;
  const SEEN_MAX = 5000;

  /* ---------- live events: WebSocket first, polling as the fallback ---------- */

  const LINK = { sock: null, open: false, poller: null, retry: null, polling: false };

  function setLink(state) {
    const pill = $("link-state");
    pill.dataset.link = state;
    pill.textContent = T({ live: "con.link_live", polling: "con.link_polling", down: "con.link_down" }[state] ||
      "con.loading");
  }

  function remember(id) {
    S.seen.add(id);
    S.seenOrder.push(id);
    if (S.seenOrder.length > SEEN_MAX) S.seen.delete(S.seenOrder.shift());
  }

  function handleEvent(event) {
    if (!event || typeof event !== "object") return;
    if (event.kind === "degraded") { dropSocket(); return; }
    if (event.id !== undefined && event.id !== null) {
      if (S.seen.has(event.id)) return; // the same event from the stream and from the database
      remember(event.id);
      if (event.id > S.lastEventId) S.lastEventId = event.id;
    }
    if (event.stream_id) S.lastStreamId = event.stream_id;
    const payload = event.payload || {};
    switch (event.kind) {
      case "pop": C.onPop(payload); break;
      case "connect": C.onConnect(payload); break;
      case "complete": C.onComplete(payload); break;
      case "ringnoanswer": C.onRingNoAnswer(payload, event.uniqueid); break;
      case "transfer": C.onTransfer(payload); break;
      case "device": if (S.me) C.renderMe(Object.assign(S.me, payload)); break;
      case "state":
        C.renderMe(Object.assign(S.me || {}, payload));
        if (payload.forced) C.showForced(payload.forced);
        break;
      default: break;
    }
  }

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let url = scheme + location.host + "/console/ws?after=" + S.lastEventId;
    if (S.lastStreamId) url += "&last=" + encodeURIComponent(S.lastStreamId);
    return withExt(url);
  }

  function connectSocket() {
    clearTimeout(LINK.retry);
    if (LINK.sock) return;
    let sock;
    try {
      sock = new WebSocket(socketUrl());
    } catch (err) {
      socketDown();
      return;
    }
    LINK.sock = sock;
    sock.onopen = () => { LINK.open = true; stopPolling(); setLink("live"); };
    sock.onmessage = (message) => {
      let event = null;
      try { event = JSON.parse(message.data); } catch (err) { return; }
      handleEvent(event);
    };
    sock.onclose = () => { LINK.sock = null; LINK.open = false; socketDown(); };
  }

  function dropSocket() {
    if (LINK.sock) LINK.sock.close(); // onclose starts polling and schedules the next try
    else socketDown();
  }

  function socketDown() {
    startPolling();
    clearTimeout(LINK.retry);
    LINK.retry = setTimeout(connectSocket, WS_RETRY_MS);
  }

  function startPolling() {
    if (LINK.poller) return;
    setLink("polling");
    pollOnce();
    LINK.poller = setInterval(pollOnce, POLL_MS);
  }

  function stopPolling() {
    clearInterval(LINK.poller);
    LINK.poller = null;
  }

  async function pollOnce() {
    if (LINK.polling) return;
    LINK.polling = true;
    try {
      const data = await api("GET", withExt("/api/console/events?after=" + S.lastEventId));
      if (!LINK.open) setLink("polling");
      for (const event of data.events || []) handleEvent(event);
    } catch (err) {
      if (!LINK.open) setLink("down");
      if (err instanceof ApiError && err.status !== 0) reportOnce(err);
    } finally {
      LINK.polling = false;
    }
  }

  Object.assign(C, { connectSocket });
})();
