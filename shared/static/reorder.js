// The microsite builder's block list: drag a block to reorder it. An enhancement only: the ↑/↓
// buttons (plain forms) move blocks without JavaScript and from the keyboard, and stay the way
// to do it without a pointer. An external file because the CSP forbids inline scripts.
//
// A drop posts the block's new place to the same move endpoint the buttons use
// (`position=<0-based index>` instead of `direction`), then swaps #builder from the answer as
// htmx does for the buttons. After any move (drop or button) focus returns to the moved block's
// control and the #ms-live region says where it went.
(function () {
  "use strict";

  var dragged = null;
  var from = -1;
  // What to focus and say once the answer has been swapped in.
  var pending = null;

  function list() {
    return document.querySelector("#builder .ms-blocks");
  }

  function items(ol) {
    return Array.prototype.filter.call(ol.children, function (li) {
      return li.classList && li.classList.contains("ms-block");
    });
  }

  function label(li) {
    var summary = li.querySelector("summary");
    return summary ? summary.textContent.replace(/\s+/g, " ").trim() : "Block";
  }

  function announce(text) {
    var live = document.getElementById("ms-live");
    if (!live) return;
    // Cleared first so the same words twice are still read out.
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  function blockId(li) {
    return li.id.replace(/^block-/, "");
  }

  // Marks the blocks as movable (done here, not in the markup: without this script a draggable
  // row would promise something that does not happen).
  function enhance() {
    var ol = list();
    if (!ol || ol.dataset.reorder === "on") return;
    ol.dataset.reorder = "on";
    items(ol).forEach(function (li) {
      li.classList.add("ms-draggable");
    });
    var hint = document.getElementById("ms-drag-hint");
    if (hint) hint.hidden = false;
  }

  function settle() {
    enhance();
    if (!pending) return;
    var li = document.getElementById("block-" + pending.id);
    if (li) {
      var ol = list();
      var all = items(ol);
      var at = all.indexOf(li) + 1;
      // The button that was pressed if it can still be pressed, else the other one, else the row.
      var target = null;
      if (pending.direction) {
        target = li.querySelector('button[name="direction"][value="' + pending.direction + '"]:not([disabled])');
      }
      if (!target) target = li.querySelector('button[name="direction"]:not([disabled])');
      if (!target) {
        li.setAttribute("tabindex", "-1");
        target = li;
      }
      target.focus();
      announce("Moved " + label(li) + " to position " + at + " of " + all.length + ".");
    }
    pending = null;
  }

  // Posts the new place and swaps #builder from the answer; without htmx, the page reloads.
  function send(li, position) {
    var form = li.querySelector('form[action$="/move"]');
    if (!form) return;
    var csrf = form.querySelector('input[name="csrf_token"]');
    var values = { csrf_token: csrf ? csrf.value : "", position: String(position) };
    pending = { id: blockId(li), direction: null };
    if (window.htmx) {
      window.htmx.ajax("POST", form.getAttribute("action"), {
        values: values,
        target: "#builder",
        select: "#builder",
        swap: "outerHTML"
      });
      return;
    }
    var body = new URLSearchParams(values);
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function () { window.location.reload(); });
  }

  // A row is draggable only while pressed outside its fields and buttons: a draggable parent
  // would stop the mouse from selecting text in the block's inputs.
  document.addEventListener("pointerdown", function (event) {
    var li = event.target.closest ? event.target.closest("#builder .ms-blocks > .ms-block") : null;
    if (!li) return;
    var control = event.target.closest("input, textarea, select, option, button, a, label");
    if (control) {
      li.removeAttribute("draggable");
    } else {
      li.setAttribute("draggable", "true");
    }
  });

  document.addEventListener("dragstart", function (event) {
    var li = event.target.closest ? event.target.closest("#builder .ms-blocks > .ms-block") : null;
    if (!li || li.getAttribute("draggable") !== "true") return;
    dragged = li;
    from = items(li.parentNode).indexOf(li);
    li.classList.add("ms-dragging");
    event.dataTransfer.effectAllowed = "move";
    // Firefox starts a drag only with some data set.
    event.dataTransfer.setData("text/plain", blockId(li));
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var ol = list();
    var over = event.target.closest ? event.target.closest(".ms-block") : null;
    if (!ol || !over || over.parentNode !== ol || over === dragged) {
      if (ol && ol.contains(event.target)) event.preventDefault();
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    // Before the row under the pointer when in its top half, after it otherwise.
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    ol.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var li = dragged;
    dragged = null;
    li.classList.remove("ms-dragging");
    li.removeAttribute("draggable");
    var ol = list();
    if (!ol) return;
    var to = items(ol).indexOf(li);
    if (to < 0 || to === from) return;
    send(li, to);
  });

  // The ↑/↓ buttons through htmx: remember which block moved, to focus it after the swap.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches('form[action$="/move"]')) return;
    var li = form.closest(".ms-block");
    var submitter = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent
      ? event.detail.requestConfig.triggeringEvent.submitter
      : null;
    if (li) pending = { id: blockId(li), direction: submitter ? submitter.value : null };
  });

  document.addEventListener("htmx:afterSettle", settle);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
