// Served as /-/archive.js on every page (metadata `extra_js_urls`): names the controls
// Datasette's table page leaves unnamed (the filter's column, operator and value, the
// sort order), so that a screen reader says what each is for; keeps the header links
// the phone layout draws off the page out of the Tab order; and makes a table wider
// than the window, which scrolls in its own box, reachable by keyboard (a named region
// in the Tab order) when it holds no link to Tab to. Datasette offers no template block
// for its filter form nor its table wrapper, and this is smaller than copying them.
"use strict";
function archiveNameControls() {
  var names = [
    ["select[name^='_filter_column']", "Filter column"],
    ["select[name^='_filter_op']", "Filter operator"],
    ["input[name^='_filter_value']", "Filter value"],
    ["select[name='_sort']", "Sort by"],
    ["input[name='_search']", "Search this table"],
    [".CodeMirror textarea, textarea#sql-editor", "SQL query"]
  ];
  names.forEach(function (pair) {
    document.querySelectorAll(pair[0]).forEach(function (el) {
      if (!el.labels || el.labels.length === 0) {
        if (!el.getAttribute("aria-label")) { el.setAttribute("aria-label", pair[1]); }
      }
    });
  });
}
function archiveScrollableTables() {
  document.querySelectorAll(".table-wrapper").forEach(function (box) {
    var scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Table (scrolls sideways)");
    } else if (!scrolls && box.getAttribute("role") === "region") {
      ["tabindex", "role", "aria-label"].forEach(function (a) { box.removeAttribute(a); });
    }
  });
}
// Datasette's phone layout draws a table's header row far above the page; its sort links
// would still take Tab there, out of sight. They leave the Tab order while drawn off the
// page (the "Sort by" control above the table sorts the same), and come back when shown.
function archiveHiddenHeaders() {
  document.querySelectorAll("table.rows-and-columns thead").forEach(function (head) {
    var row = head.querySelector("tr");
    var hidden = row !== null && row.getBoundingClientRect().bottom + window.scrollY < 0;
    head.querySelectorAll("a[href]").forEach(function (a) {
      if (hidden && !a.hasAttribute("tabindex")) {
        a.setAttribute("tabindex", "-1");
        a.setAttribute("data-archive-hidden", "");
      } else if (!hidden && a.hasAttribute("data-archive-hidden")) {
        a.removeAttribute("tabindex");
        a.removeAttribute("data-archive-hidden");
      }
    });
  });
}
window.addEventListener("resize", archiveScrollableTables);
window.addEventListener("resize", archiveHiddenHeaders);
// and again whenever a control appears later (the SQL editor makes its own textarea)
document.addEventListener("DOMContentLoaded", function () {
  archiveNameControls();
  archiveScrollableTables();
  archiveHiddenHeaders();
  new MutationObserver(archiveNameControls).observe(document.body,
                                                    {childList: true, subtree: true});
});
