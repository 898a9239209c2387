// Dot vote: live total, euro preview at the current pool, client-side search.
(function () {
  "use strict";
  var form = document.getElementById("dot-vote");
  if (!form) { return; }
  var inputs = Array.prototype.slice.call(form.querySelectorAll(".points-input"));
  var totalOut = document.getElementById("points-total");
  var euroOut = document.getElementById("euro-total");
  var over = document.getElementById("points-over");
  var search = document.getElementById("project-search");
  var onlyPlaced = document.getElementById("only-placed");
  var poolText = form.dataset.poolCents;
  var pool = poolText === "" ? null : Number(poolText);
  var weight = Number(form.dataset.weight || 0);
  var members = Math.max(1, Number(form.dataset.members || 1));
  var budget = Number(form.dataset.budget || 1000);
  var lang = document.documentElement.lang || "fr";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });

  function euros(points) {
    // pool x weight/10000 x 1/members x points/budget, in cents, floored.
    return Math.floor((pool * weight * points) / (10000 * members * budget)) / 100;
  }
  function pointsOf(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function update() {
    var total = 0;
    inputs.forEach(function (input) {
      var points = pointsOf(input);
      total += points;
      var cell = input.closest("tr").querySelector(".euro-cell");
      cell.textContent = pool === null || !points ? "" : money.format(euros(points));
    });
    totalOut.textContent = String(total);
    over.hidden = total <= budget;
    if (pool !== null) { euroOut.textContent = money.format(euros(total)); }
  }
  function filter() {
    var needle = search.value.trim().toLowerCase();
    inputs.forEach(function (input) {
      var row = input.closest("tr");
      var match = !needle || row.dataset.name.indexOf(needle) !== -1;
      if (onlyPlaced.checked && !pointsOf(input)) { match = false; }
      row.hidden = !match;
    });
  }
  form.addEventListener("input", function (event) {
    if (event.target === search) { filter(); } else { update(); }
  });
  onlyPlaced.addEventListener("change", filter);
  update();
})();
