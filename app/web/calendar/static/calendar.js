/* Working calendar page: a live "in 2 h 30 min" before the next open/closed change, and one submit per click. */
(function () {
  "use strict";
  var T = window.TdWeb.texts(JSON.parse((document.getElementById("cal-i18n") || {}).textContent || "{}"));
  var left = document.getElementById("cal-left");

  /* Counted from the server's answer (the IVR's clock), not the browser's clock, which may differ. */
  if (left) {
    var loaded = Date.now();
    var total = parseInt(left.dataset.leftS, 10);
    var show = function () {
      var s = Math.max(0, total - Math.floor((Date.now() - loaded) / 1000));
      if (s === 0) { window.location.href = "/admin/calendar"; return; }  // the state just changed: ask again
      var h = Math.floor(s / 3600), m = Math.ceil((s % 3600) / 60);
      if (m === 60) { h += 1; m = 0; }
      left.textContent = "(" + T("cal.in") + " " + (h ? h + " " + T("cal.hours") + " " : "") + m + " " +
        T("cal.minutes") + ")";
    };
    show();
    window.setInterval(show, 15000);
  }

  /* A second click while the first change is on its way would send it twice. */
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
})();
