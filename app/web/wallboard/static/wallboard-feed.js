// wallboard-feed.js — the live link: WebSocket /wallboard/ws, snapshot after "ready", polling when it fails.
(function () {
  "use strict";

  const W = window.TdWallboard;
  const { $, T, api, S } = W;
  const POLL_MS = 2000;
  const WS_RETRY_MS = 3000;
  const SILENCE_MS = 40000; // the server pings every 15 s: a socket quiet for longer is dead, drop it
  const LINK = { sock: null, buffer: null, poller: null, retry: null, heard: 0 };

  function setLink(state) {
    const pill = $("link-state");
    pill.dataset.link = state;
    pill.textContent = T({ live: "wb.link_live", polling: "wb.link_polling", down: "wb.link_down" }[state] ||
      "wb.loading");
    S.link = state;
    showFeed();
  }

  /** The banner under the title: what is wrong with the feed and what the supervisor should do about it. */
  function showFeed() {
    const state = S.link === "down" ? "down" : S.link === "polling" ? "polling" : S.ami === false ? "no_ami" : "";
    const banner = $("wb-feed");
    const at = S.lastOk ? new Date(S.lastOk).toLocaleTimeString(W.LANG === "en" ? "en-GB" : "vi-VN") : "…";
    banner.hidden = !state;
    banner.dataset.state = state;
    $("wb-feed-text").textContent = state ? T("wb.feed_" + state, { at }) : "";
    $("wb-reload").hidden = state !== "down";
    $("wallboard").dataset.stale = state === "down" ? "yes" : "no"; // greys the figures: they may be old
  }

  async function loadSnapshot() {
    const snap = await api("GET", "/api/wallboard");
    S.lastOk = Date.now();
    W.apply({ kind: "snapshot", snapshot: snap, as_of: snap.as_of });
    W.draw();
  }

  /** After "ready": the snapshot, then the frames that came in while it loaded, in their order. */
  async function catchUp(sock) {
    try {
      await loadSnapshot();
      W.say("");
    } catch (err) {
      W.report(err);
    }
    if (LINK.sock !== sock) return;
    const waiting = LINK.buffer || [];
    LINK.buffer = null;
    for (const frame of waiting) W.apply(frame);
    W.draw();
  }

  function onFrame(sock, frame) {
    LINK.heard = Date.now();
    if (frame.kind === "ping") { S.lastOk = Date.now(); return; }
    if (frame.kind === "ready") { LINK.buffer = []; setLink("live"); catchUp(sock); return; }
    if (frame.kind === "degraded") { sock.close(); return; }
    S.lastOk = Date.now();
    if (LINK.buffer) { LINK.buffer.push(frame); return; }
    W.apply(frame);
    W.draw();
    $("wallboard").dataset.lastStream = frame.stream_id || "";
  }

  function connect() {
    clearTimeout(LINK.retry);
    if (LINK.sock) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let sock;
    try {
      sock = new WebSocket(scheme + location.host + "/wallboard/ws");
    } catch (err) {
      down();
      return;
    }
    LINK.sock = sock;
    sock.onopen = () => { LINK.heard = Date.now(); stopPolling(); };
    sock.onmessage = (message) => {
      let frame = null;
      try { frame = JSON.parse(message.data); } catch (err) { return; }
      if (frame && typeof frame === "object") onFrame(sock, frame);
    };
    sock.onclose = () => { if (LINK.sock === sock) { LINK.sock = null; LINK.buffer = null; } down(); };
  }

  function down() {
    startPolling();
    clearTimeout(LINK.retry);
    LINK.retry = setTimeout(connect, WS_RETRY_MS);
  }

  function startPolling() {
    if (LINK.poller) return;
    setLink("polling");
    const poll = async () => {
      try { await loadSnapshot(); } catch (err) { setLink("down"); }
    };
    poll();
    LINK.poller = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    clearInterval(LINK.poller);
    LINK.poller = null;
  }

  /** A link that went silent (no frame, no ping) is dropped at once (a dead peer may never finish the close):
   *  polling starts and a new socket is tried. */
  function watch() {
    const sock = LINK.sock;
    if (!sock || sock.readyState !== WebSocket.OPEN || Date.now() - LINK.heard <= SILENCE_MS) return;
    sock.onmessage = null;
    sock.onclose = null;
    LINK.sock = null;
    LINK.buffer = null;
    sock.close();
    down();
  }
  setInterval(watch, 5000);

  W.connect = connect;
  W.showFeed = showFeed;
  W.S = S;
})();
