// On a small screen a stacked table (.table--stack) shows each cell with the
// name of its column: the names come from the table's header; a cell that
// already has a label keeps it, and one spanning several columns (a message
// such as "nothing yet", a total's caption) gets none.
(function () {
  "use strict";
  document.querySelectorAll("table.table--stack").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) { return; }
    var names = Array.prototype.map.call(heads, function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var index = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        var name = names[index] || "";
        if (name && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", name);
        }
        index += cell.colSpan || 1;
      });
    });
  });
})();
