/* The payment page: Stripe.js confirms a SetupIntent with the card element
   (confirmCardSetup) or the IBAN mandate (confirmSepaDebitSetup); our server
   then charges it and, if the bank asks, Stripe.js authenticates the payment
   (confirmCardPayment) before we sync it. */
(function () {
  "use strict";
  const form = document.getElementById("stripe-pay");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  const messages = document.getElementById("stripe-messages").dataset;
  const errorBox = document.getElementById("stripe-error");
  const statusBox = document.getElementById("stripe-status");
  const submit = document.getElementById("stripe-submit");
  const method = form.dataset.method;
  const stripe = Stripe(form.dataset.publishableKey);
  let card = null;
  if (method === "card") {
    card = stripe.elements().create("card");
    card.mount("#stripe-card");
  }

  function showError(message) {
    errorBox.textContent = message || messages.failed;
    errorBox.hidden = false;
    statusBox.textContent = "";
    submit.disabled = false;
  }

  async function post(url, fields) {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    const response = await fetch(url, { method: "POST", body: body, credentials: "same-origin" });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) {
      throw new Error(data.error || messages.unavailable);
    }
    return data;
  }

  async function confirmSetup() {
    const secret = form.dataset.clientSecret;
    if (method === "sepa_debit") {
      return stripe.confirmSepaDebitSetup(secret, {
        payment_method: {
          sepa_debit: { iban: document.getElementById("stripe-iban").value.replace(/\s/g, "") },
          billing_details: { name: document.getElementById("stripe-name").value },
        },
      });
    }
    return stripe.confirmCardSetup(secret, { payment_method: { card: card } });
  }

  function finish(data) {
    if (data.status === "failed") {
      showError(data.message || messages.failed);
      return;
    }
    if (data.status === "pending") {
      statusBox.textContent = messages.pending;
    }
    window.location.assign(form.dataset.doneUrl);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    errorBox.hidden = true;
    submit.disabled = true;
    statusBox.textContent = messages.working;
    try {
      const setup = await confirmSetup();
      if (setup.error || !setup.setupIntent) {
        showError(setup.error && setup.error.message);
        return;
      }
      let data = await post(form.action, { setup_intent: setup.setupIntent.id });
      if (data.action_client_secret) {
        const action = await stripe.confirmCardPayment(data.action_client_secret);
        if (action.error) {
          showError(action.error.message);
          return;
        }
        data = await post(data.sync_url, {});
      }
      finish(data);
    } catch (error) {
      showError(error.message);
    }
  });
})();
