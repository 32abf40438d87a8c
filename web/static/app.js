// postdesk web inbox: progressive enhancement only. Every flow works without this file; it adds
// selection, keyboard shortcuts, live updates (Server-Sent Events), presence and tag completion.
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.dataset.csrf || "";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  function post(url, fields) {
    var fd = new URLSearchParams();
    fd.set("csrf", csrf);
    Object.keys(fields || {}).forEach(function (k) { fd.set(k, fields[k]); });
    return fetch(url, { method: "POST", body: fd, credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" } });
  }

  // The agent's time zone: taken from the browser once, so dates read in local time.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Only while the agent has chosen none: a zone chosen in the menu is kept.
    if (csrf && zone && zone !== body.dataset.zone && document.cookie.indexOf("pd_tz=") < 0 && !sessionStorage.getItem("pd-tz-set")) {
      sessionStorage.setItem("pd-tz-set", "1");
      post("/prefs", { tz: zone }).then(function (r) { if (r.ok) location.reload(); });
    }
  } catch (e) { /* no Intl: UTC */ }

  // --- the list: rows, cursor, selection ---
  function rows() { return $$("#rows tr.row"); }
  var cursor = -1;
  function setCursor(i) {
    var rs = rows();
    if (!rs.length) return;
    cursor = Math.max(0, Math.min(rs.length - 1, i));
    rs.forEach(function (r, j) { r.classList.toggle("cursor", j === cursor); });
    rs[cursor].scrollIntoView({ block: "nearest" });
    sessionStorage.setItem("pd-cursor:" + location.pathname + location.search, String(cursor));
  }
  function current() { return rows()[cursor]; }
  body.classList.add("js");
  function updateCount() {
    var n = $$("#rows input[name=n]:checked").length;
    var bulk = $("#bulk");
    if (bulk) bulk.classList.toggle("selecting", n > 0);
    var out = $("#selected-count");
    if (out) out.textContent = n ? String(n) : "";
    var all = $("#select-all");
    if (all) { var total = $$("#rows input[name=n]").length; all.checked = n > 0 && n === total; all.indeterminate = n > 0 && n < total; }
  }
  document.addEventListener("change", function (e) {
    if (e.target.id === "select-all") {
      $$("#rows input[name=n]").forEach(function (c) { c.checked = e.target.checked; });
    }
    if (e.target.id === "select-all" || e.target.name === "n") updateCount();
  });
  document.addEventListener("click", function (e) {
    var tr = e.target.closest && e.target.closest("tr.row[data-href]");
    if (!tr || e.target.closest("a,input,button,label,select")) return;
    location.href = tr.dataset.href;
  });
  if (rows().length) {
    var saved = parseInt(sessionStorage.getItem("pd-cursor:" + location.pathname + location.search) || "0", 10);
    setCursor(isNaN(saved) ? 0 : saved);
  }
  updateCount();

  // bulkAction runs an action of the bulk bar on the selection, or on the row under the cursor.
  function bulkAction(action) {
    var form = $("#bulk");
    var btn = form && $("button[name=action][value=" + action + "]", form);
    if (!btn) return false;
    if (!$$("#rows input[name=n]:checked").length) {
      var r = current();
      if (!r) return false;
      $("input[name=n]", r).checked = true;
    }
    btn.click();
    return true;
  }

  // --- keyboard ---
  var help = $("#help");
  var mode = "reply";
  function typing(e) {
    var t = e.target;
    return t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName);
  }
  // onControl: the focus is on a link, button or toggle, whose own Enter must work.
  function onControl(e) { return !!(e.target.closest && e.target.closest("a,button,summary,[tabindex]")); }
  function click(sel) { var b = $(sel); if (b) { b.click(); return true; } return false; }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "text") {
      e.preventDefault();
      click(mode === "note" ? "#add-note" : "#send-reply");
      return;
    }
    if (e.key === "Escape" && typing(e)) { e.target.blur(); return; }
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    var onTicket = !!$("#ticket");
    var done = true;
    switch (e.key) {
      case "j": setCursor(cursor + 1); break;
      case "k": setCursor(cursor - 1); break;
      case "o": case "Enter":
        if (e.key === "Enter" && onControl(e)) { done = false; break; }
        if (current()) location.href = current().dataset.href; else done = false;
        break;
      case "x": if (current()) { var c = $("input[name=n]", current()); c.checked = !c.checked; updateCount(); } break;
      case "e": done = onTicket ? click("#close") || click("#reopen") : bulkAction("close"); break;
      case "#": done = onTicket ? click("#trash") : bulkAction("trash"); break;
      case "s": if (onTicket) { var s = $("#snooze"); if (s) s.focus(); } else { done = bulkAction("snooze"); } break;
      case "r": case "n":
        var t = $("#text");
        if (t) { mode = e.key === "n" ? "note" : "reply"; t.classList.toggle("as-note", mode === "note"); t.focus(); } else done = false;
        break;
      case "/": var q = $("#q"); if (q) { q.focus(); q.select(); } break;
      case "u": done = click("#back"); break;
      case "?": if (help && help.showModal) { help.open ? help.close() : help.showModal(); } break;
      default: done = false;
    }
    if (done) e.preventDefault();
  });
  $$("[data-help]").forEach(function (a) { a.addEventListener("click", function (e) { e.preventDefault(); if (help) help.showModal(); }); });

  // --- tag completion: the property's tags, fetched when a tag field is first used ---
  var tagsLoaded = false;
  document.addEventListener("focusin", function (e) {
    var url = e.target.dataset && e.target.dataset.tags;
    if (!url || tagsLoaded) return;
    tagsLoaded = true;
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }).then(function (tags) {
      var dl = $("#tag-list");
      if (!dl) return;
      var have = {};
      $$("option", dl).forEach(function (o) { have[o.value] = true; });
      tags.forEach(function (t) { if (!have[t]) { var o = document.createElement("option"); o.value = t; dl.appendChild(o); } });
    });
  });

  // --- saved replies: the picker inserts the text the server filled in for this ticket, where
  // the cursor is (without the script, its button posts the form and the page comes back with
  // the text added) ---
  var insertSaved = $("#insert-saved-reply");
  if (insertSaved) insertSaved.addEventListener("click", function (e) {
    var sel = $("#saved-reply"), text = $("#text");
    if (!sel || !text || !sel.value) return;
    e.preventDefault();
    fetch(sel.dataset.url + encodeURIComponent(sel.value), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (d) {
      var v = text.value, start = text.selectionStart, end = text.selectionEnd;
      if (typeof start !== "number" || document.activeElement !== text && start === 0 && end === 0) { start = end = v.length; }
      var before = v.slice(0, start), after = v.slice(end), ins = d.text;
      if (before.trim()) ins = before.replace(/\s+$/, "") + "\n\n" + ins; else ins = before + ins;
      if (after.trim()) ins += "\n\n" + after.replace(/^\s+/, ""); else ins += after;
      text.value = ins;
      text.focus();
      text.dispatchEvent(new Event("input", { bubbles: true }));
      body.dataset.savedInserted = sel.value;
    }).catch(function () { insertSaved.form.requestSubmit(insertSaved); });
  });

  // --- live updates ---
  // The ticket's own URL: the page may be the answer to a POST (a held reply), at another URL.
  var ticketEl = $("#ticket");
  var ticketURL = ticketEl ? ticketEl.dataset.url : "";
  function fetchPage() {
    return fetch(ticketURL || location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.text();
    }).then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }
  function swap(doc, sel) {
    var old = $(sel), fresh = doc.querySelector(sel);
    if (old && fresh) old.replaceWith(document.importNode(fresh, true));
  }
  var banner = $("#live-banner");
  function announce(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.hidden = false;
  }
  if (banner) banner.addEventListener("click", function () { banner.hidden = true; });

  var timer = null;
  function refreshList() {
    fetchPage().then(function (doc) {
      // The selection and the cursor as they are now, not when the fetch began: a box ticked
      // while the fresh list was on its way stays ticked.
      var checked = $$("#rows input[name=n]:checked").map(function (c) { return c.value; });
      var at = current() && current().dataset.number;
      swap(doc, "#listing");
      swap(doc, "nav.views");
      checked.forEach(function (v) { var c = $("#rows input[name=n][value='" + v + "']"); if (c) c.checked = true; });
      var rs = rows(), i = 0;
      rs.forEach(function (r, j) { if (r.dataset.number === at) i = j; });
      if (rs.length) setCursor(i);
      updateCount();
      body.dataset.refreshed = String(Date.now());
    }).catch(function () { /* the next change tries again */ });
  }
  function refreshTicket(kind) {
    fetchPage().then(function (doc) {
      swap(doc, "#presence");
      if (kind !== "presence") {
        swap(doc, "#thread");
        swap(doc, ".side");
        swap(doc, ".state");
        var t = $("#ticket"), fresh = doc.querySelector("#ticket");
        if (t && fresh && Number(fresh.dataset.seen) > Number(t.dataset.seen)) {
          announce(body.dataset.tLiveTicket);
          // What arrived is on the screen now: a reply sent after it is not held for it.
          t.dataset.seen = fresh.dataset.seen;
          var seen = $("#composer input[name=seen]");
          if (seen) seen.value = fresh.dataset.seen;
        }
      }
      body.dataset.refreshed = String(Date.now());
    }).catch(function () {});
  }
  if (body.dataset.live && window.EventSource) {
    var es = new EventSource(body.dataset.live);
    var ticketNo = $("#ticket") && $("#ticket").dataset.number;
    var pendingKind = null;
    es.addEventListener("change", function (ev) {
      var c;
      try { c = JSON.parse(ev.data); } catch (e) { return; }
      if (ticketNo) {
        if (c.kind !== "resync" && String(c.ticket) !== ticketNo) return; // another ticket
        // Changes close together make one refresh, a full one unless all were presence.
        pendingKind = pendingKind && pendingKind !== "presence" ? pendingKind : c.kind;
        clearTimeout(timer);
        timer = setTimeout(function () { var k = pendingKind; pendingKind = null; refreshTicket(k); }, 150);
      } else if ($("#bulk")) {
        if (c.kind === "presence") return; // nothing in the list shows who has a ticket open
        clearTimeout(timer);
        timer = setTimeout(refreshList, 300);
      }
    });
    es.addEventListener("open", function () { body.dataset.live_ready = "1"; body.setAttribute("data-live-ready", "1"); });
  }

  // --- presence: this page is open (and whether a reply is being written) ---
  var ticket = $("#ticket");
  if (ticket && csrf) {
    var url = ticketURL + "/presence";
    var lastInput = 0, sentTyping = false;
    var beat = function () {
      var isTyping = Date.now() - lastInput < 8000;
      sentTyping = isTyping;
      post(url, { typing: isTyping ? "1" : "0" });
    };
    beat();
    setInterval(beat, Math.max(3, Number(body.dataset.heartbeat) || 10) * 1000);
    var text = $("#text");
    if (text) {
      text.addEventListener("input", function () {
        lastInput = Date.now();
        if (!sentTyping) beat();
      });
      setInterval(function () { if (sentTyping && Date.now() - lastInput >= 8000) beat(); }, 2000);
    }
    window.addEventListener("pagehide", function () {
      var fd = new FormData();
      fd.set("csrf", csrf);
      fd.set("leave", "1");
      if (navigator.sendBeacon) navigator.sendBeacon(url, fd);
    });
  }
})();
