// td-web.js — what every page script shares: texts (T), elements (el), and api() with CSRF and typed errors.
/* Plain JavaScript, no framework, no build step (the server may be offline). Loaded first (`defer`) by the console
 * and the wallboard; each page's core script builds its own helpers from window.TdWeb. */
(function () {
  "use strict";

  /** T(key, {name: value}) from the page's JSON texts; a missing key shows itself rather than failing. */
  function texts(table) {
    return function T(key, vars) {
      let text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
      for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
      return text;
    };
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, body, path) {
      super("HTTP " + status + " " + path);
      this.status = status;
      this.body = body;
      this.path = path;
    }
  }

  /** api(method, path, body): JSON in and out, the page's CSRF token on writes; status 0 when the network failed.
   * onClock(skewMs) hears the server's clock from each Date header (cut to the second, so the middle is taken). */
  function client(onClock) {
    const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    return async function api(method, path, body) {
      const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
      if (method !== "GET") options.headers["X-CSRF-Token"] = csrf;
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      let response;
      try {
        response = await fetch(path, options);
      } catch (err) {
        throw new ApiError(0, null, path);
      }
      const date = response.headers.get("date");
      if (date && onClock) onClock(Date.parse(date) + 500 - Date.now());
      let data = null;
      if ((response.headers.get("content-type") || "").includes("application/json")) {
        try { data = await response.json(); } catch (err) { data = null; }
      }
      if (!response.ok) throw new ApiError(response.status, data, path);
      return data;
    };
  }

  window.TdWeb = { texts, el, ApiError, client };
})();
