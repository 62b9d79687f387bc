// console-main.js — start: binds every part of the console and loads its first data (loaded last).
(function () {
  "use strict";

  const C = window.TdConsole;

  document.addEventListener("DOMContentLoaded", async () => {
    C.bindState();
    C.bindForm();
    C.bindKeys();
    C.bindActions();
    C.bindTransfer();
    C.bindCallbacks();
    C.renderPop();
    setInterval(() => { C.tickWaited(); C.tickWrapup(); }, 500);
    await Promise.all([C.loadTopics(), C.loadMe()]);
    C.loadAgencies();
    C.loadCallbacks();
    setInterval(C.loadCallbacks, 30000);
    C.connectSocket();
  });
})();
