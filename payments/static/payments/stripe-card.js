// The Stripe card page: Stripe's Payment Element collects the card in Stripe's iframe and
// confirms the PaymentIntent (3-D Secure included), then Stripe returns to the payment page.
// The server never trusts this page for the outcome: the webhook or a server-side retrieve does.
(function () {
  "use strict";
  var form = document.getElementById("stripe-card");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var data = form.dataset;
  var stripe = window.Stripe(data.publishableKey, { locale: data.locale || "auto" });
  var elements = stripe.elements({ clientSecret: data.clientSecret });
  var button = document.getElementById("stripe-card-submit");
  var message = document.getElementById("stripe-card-error");
  var paymentElement = elements.create("payment");
  paymentElement.on("ready", function () {
    button.disabled = false;
  });
  paymentElement.mount("#payment-element");

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) {
      return; // a double press confirms once
    }
    button.disabled = true;
    message.textContent = "";
    stripe
      .confirmPayment({ elements: elements, confirmParams: { return_url: data.returnUrl } })
      .then(function (result) {
        // Only reached on an immediate error; on success Stripe redirects to return_url.
        if (result.error) {
          message.textContent = result.error.message || data.errorGeneric;
          button.disabled = false;
        }
      });
  });
})();
