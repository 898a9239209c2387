// Live preview of the pledge form and the pledge change form (the form with
// data-cap-bp, contributors/_pledge_preview.html): euros of each payment to
// each earmarked project and to the common pool. The server checks everything again.
(function () {
  "use strict";
  var form = document.querySelector("form[data-cap-bp]");
  if (!form) { return; }
  var capBp = parseInt(form.dataset.capBp, 10);
  var rowsBody = document.getElementById("pledge-preview-rows");
  var poolCell = document.getElementById("pledge-preview-pool");
  var status = document.getElementById("pledge-preview-status");
  var texts = document.getElementById("pledge-preview-messages").dataset;
  var locale = document.documentElement.lang || "fr";

  function parseCents(text) {
    var cleaned = (text || "").replace(/[\s\u00a0\u202f€]/g, "");
    if (!/^\d{1,15}([.,]\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.replace(",", ".").split(".");
    var cents = parseInt(parts[0], 10) * 100;
    if (parts[1]) { cents += parseInt((parts[1] + "0").slice(0, 2), 10); }
    return cents;
  }

  function parseBp(text) {
    var cleaned = (text || "").replace(/[\s%]/g, "");
    if (!/^\d{1,3}([.,]\d{1,2})?$/.test(cleaned)) { return null; }
    var parts = cleaned.replace(",", ".").split(".");
    var bp = parseInt(parts[0], 10) * 100;
    if (parts[1]) { bp += parseInt((parts[1] + "0").slice(0, 2), 10); }
    return bp;
  }

  function euros(cents) {
    return new Intl.NumberFormat(locale, { style: "currency", currency: "EUR" }).format(cents / 100);
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    return td;
  }

  function update() {
    var amount = parseCents(form.elements.amount.value);
    rowsBody.replaceChildren();
    var totalBp = 0;
    var earmarked = 0;
    form.querySelectorAll(".earmark-row").forEach(function (row) {
      var select = row.querySelector("select");
      var share = row.querySelector("input");
      var bp = parseBp(share.value);
      if (!select.value || bp === null || bp < 1) { return; }
      totalBp += bp;
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = select.options[select.selectedIndex].text;
      tr.appendChild(th);
      if (amount !== null) {
        var cents = Math.floor(amount * bp / 10000);
        earmarked += cents;
        tr.appendChild(cell(euros(cents), "align-right"));
      } else {
        tr.appendChild(cell("—", "align-right"));
      }
      rowsBody.appendChild(tr);
    });
    var overCap = totalBp > capBp;
    // Over the cap no split is possible: show the error, not a split.
    status.className = overCap ? "notice notice--error" : "muted";
    status.setAttribute("role", overCap ? "alert" : "status");
    if (overCap) {
      rowsBody.replaceChildren();
      poolCell.textContent = "—";
      status.textContent = texts.overCap;
    } else if (amount === null) {
      poolCell.textContent = "—";
      status.textContent = texts.badAmount;
    } else {
      poolCell.textContent = euros(amount - earmarked);
      status.textContent = "";
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
