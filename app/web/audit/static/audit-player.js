/* Player page: transcript follows the audio, a click on a word seeks there, Verify, evidence download. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var texts = JSON.parse(($("aud-i18n") || {}).textContent || "{}");
  var lang = (document.querySelector('meta[name="lang"]') || {}).content || "vi";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var t = function (key) { return texts[key] || key; };
  var audio = $("aud-audio");
  var words = Array.prototype.slice.call(document.querySelectorAll(".aud-transcript .w"));
  var current = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function errorText(body, status) {
    if (body && body.message) { return lang === "en" ? (body.message_en || body.message) : body.message; }
    return "HTTP " + status;
  }

  /* Transcript in step with the audio. */
  function wordAt(time) {
    for (var i = 0; i < words.length; i++) {
      var start = parseFloat(words[i].dataset.start), end = parseFloat(words[i].dataset.end);
      if (time >= start && time < end) { return words[i]; }
      if (start > time) { return null; }
    }
    return null;
  }

  function follow() {
    var time = audio.currentTime || 0;
    var clock = $("aud-time");
    clock.textContent = time.toFixed(1);
    clock.dataset.seconds = time.toFixed(2);
    var word = wordAt(time);
    if (word === current) { return; }
    if (current) { current.classList.remove("now"); current.removeAttribute("aria-current"); }
    current = word;
    if (word) {
      word.classList.add("now");
      word.setAttribute("aria-current", "true");
      var box = word.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) { word.scrollIntoView({block: "center"}); }
    }
  }

  function seek(word) {
    if (!audio) { return; }
    audio.currentTime = parseFloat(word.dataset.start);
    follow();
  }

  /* Large play button and position slider (the native controls are small on a wall screen). */
  var play = $("aud-play"), slider = $("aud-seek"), controls = $("aud-controls");
  function playState() {
    var playing = !audio.paused && !audio.ended;
    controls.dataset.state = playing ? "playing" : "paused";
    play.textContent = playing ? play.dataset.pause : play.dataset.play;
  }
  function sliderFollows() {
    if (isFinite(audio.duration) && audio.duration > 0) { slider.max = audio.duration.toFixed(1); }
    if (document.activeElement !== slider) { slider.value = (audio.currentTime || 0).toFixed(1); }
  }

  if (audio) {
    ["timeupdate", "seeked", "seeking", "loadedmetadata", "pause", "play"].forEach(function (name) {
      audio.addEventListener(name, follow);
    });
    ["play", "pause", "ended", "playing"].forEach(function (name) { audio.addEventListener(name, playState); });
    ["timeupdate", "seeked", "loadedmetadata", "durationchange"].forEach(function (name) {
      audio.addEventListener(name, sliderFollows);
    });
    play.addEventListener("click", function () {
      if (audio.paused || audio.ended) {
        audio.play().catch(function (err) { play.title = err.message; });
      } else {
        audio.pause();
      }
    });
    slider.addEventListener("input", function () { audio.currentTime = parseFloat(slider.value); follow(); });
    slider.addEventListener("change", function () { audio.currentTime = parseFloat(slider.value); follow(); });
    words.forEach(function (word) {
      word.addEventListener("click", function () { seek(word); });
      word.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); seek(word); }
      });
    });
  }

  /* Verify: recompute the hashes on the server, show match / mismatch for each file. */
  function hashRow(table, label, check) {
    var row = el("tr");
    row.appendChild(el("th", null, label));
    var verdict = !check ? "—" : (check.ok ? t("aud.match") : (check.actual ? t("aud.mismatch") : t("aud.missing")));
    var cell = el("td", check && check.ok ? "ok" : "bad", verdict);
    row.appendChild(cell);
    var hashes = el("td", "hash");
    hashes.appendChild(el("div", null, t("aud.v.expected") + ": " + ((check && check.expected) || "—")));
    hashes.appendChild(el("div", null, t("aud.v.actual") + ": " + ((check && check.actual) || "—")));
    row.appendChild(hashes);
    table.appendChild(row);
  }

  function showVerify(result) {
    var box = $("aud-verify-result");
    box.textContent = "";
    box.dataset.ok = result.ok ? "true" : "false";
    box.appendChild(el("p", result.ok ? "notice" : "alert", result.ok ? t("aud.v.all_ok") : t("aud.v.bad")));
    var table = el("table", "list aud-verify");
    hashRow(table, t("aud.v.original"), result.original);
    if (result.compact) { hashRow(table, t("aud.v.compact"), result.compact); }
    box.appendChild(table);
    box.appendChild(el("p", "hint", t("aud.v.checked_at") + ": " + new Date(result.checked_at).toLocaleString(
      lang === "en" ? "en-GB" : "vi-VN", {timeZone: "Asia/Ho_Chi_Minh"})));
  }

  var verifyButton = $("aud-verify");
  if (verifyButton) {
    verifyButton.addEventListener("click", function () {
      var box = $("aud-verify-result");
      verifyButton.disabled = true;
      box.textContent = t("aud.verifying");
      box.removeAttribute("data-ok");
      fetch(verifyButton.dataset.url, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}})
        .then(function (res) {
          return res.json().then(function (body) {
            if (!res.ok) { throw new Error(errorText(body, res.status)); }
            return body;
          });
        })
        .then(showVerify)
        .catch(function (err) { box.textContent = ""; box.appendChild(el("p", "alert", t("aud.failed") + " " + err.message)); })
        .then(function () { verifyButton.disabled = false; });
    });
  }

  /* Evidence package: built on request, which may take a while; show that it is being prepared, then save it. */
  function readWithProgress(res, status) {
    if (!res.body || !res.body.getReader) { return res.blob(); }
    var reader = res.body.getReader(), chunks = [], got = 0;
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) { return new Blob(chunks, {type: res.headers.get("content-type") || "application/zip"}); }
        chunks.push(step.value);
        got += step.value.length;
        status.textContent = t("aud.received") + " " + Math.round(got / 1024) + " KB";
        return pump();
      });
    }
    return pump();
  }

  function fileName(res, fallback) {
    var header = res.headers.get("content-disposition") || "";
    var found = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(header);
    return found ? decodeURIComponent(found[1]) : fallback;
  }

  var evidence = $("aud-evidence");
  if (evidence) {
    evidence.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (evidence.getAttribute("aria-busy") === "true") { return; }
      var status = $("aud-evidence-status");
      evidence.setAttribute("aria-busy", "true");
      status.textContent = "";
      status.className = "busy";
      status.dataset.state = "preparing";
      var line = el("p", "preparing", t("aud.preparing"));
      var progress = el("span", "hint");
      status.appendChild(line);
      status.appendChild(progress);
      fetch(evidence.href, {credentials: "same-origin"})
        .then(function (res) {
          if (!res.ok) {
            return res.json().catch(function () { return null; }).then(function (body) {
              throw new Error(errorText(body, res.status));
            });
          }
          var name = fileName(res, evidence.dataset.filename);
          return readWithProgress(res, progress).then(function (blob) {
            var url = URL.createObjectURL(blob);
            var link = el("a");
            link.href = url;
            link.download = name;
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
            status.className = "";
            status.dataset.state = "done";
            status.textContent = "";
            status.appendChild(el("p", "notice", t("aud.evidence_done") + " (" + name + ", "
              + Math.round(blob.size / 1024) + " KB)"));
          });
        })
        .catch(function (err) {
          status.className = "";
          status.dataset.state = "failed";
          status.textContent = "";
          status.appendChild(el("p", "alert", t("aud.failed") + " " + err.message));
        })
        .then(function () { evidence.removeAttribute("aria-busy"); });
    });
  }
}());
