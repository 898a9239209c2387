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

  // The voter's euros at the current pool, as the monthly allocation rounds:
  // exact amounts pool x weight/10000 x 1/members x points/budget (integers,
  // BigInt), the total floored to the cent, then shared between the projects
  // by largest remainder (ties: the lower project id), so the cents add up.
  function pointsOf(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function projectId(input) {
    return Number(input.name.replace("p_", ""));
  }
  function cents() {
    var base = BigInt(pool) * BigInt(weight);
    var divisor = BigInt(10000 * members * budget);
    var totalPoints = 0;
    var rows = inputs.map(function (input) {
      var points = pointsOf(input);
      totalPoints += points;
      var exact = base * BigInt(points);
      return { input: input, points: points, cents: exact / divisor, rest: exact % divisor };
    });
    var total = (base * BigInt(totalPoints)) / divisor;
    var leftover = total - rows.reduce(function (sum, row) { return sum + row.cents; }, 0n);
    rows.filter(function (row) { return row.points > 0; })
      .sort(function (a, b) {
        if (a.rest !== b.rest) { return a.rest > b.rest ? -1 : 1; }
        return projectId(a.input) - projectId(b.input);
      })
      .forEach(function (row) {
        if (leftover > 0n) { row.cents += 1n; leftover -= 1n; }
      });
    return { rows: rows, total: total };
  }
  function format(value) {
    return money.format(Number(value) / 100);
  }
  function update() {
    var total = 0;
    var preview = pool === null ? null : cents();
    inputs.forEach(function (input, index) {
      var points = pointsOf(input);
      total += points;
      var cell = input.closest("tr").querySelector(".euro-cell");
      cell.textContent = preview === null || !points ? "" : format(preview.rows[index].cents);
    });
    totalOut.textContent = String(total);
    over.hidden = total <= budget;
    if (preview !== null) { euroOut.textContent = format(preview.total); }
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
