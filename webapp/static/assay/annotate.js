// Active time: milliseconds the page was visible and focused while the current form (#annotate-form,
// told apart by its data-assignment) was shown. Written into the form's active_time_ms and client fields,
// and refreshed in the capture phase of submit, so htmx reads the latest value. Resets on a new form.
(() => {
  let active = 0, last = performance.now(), current = null;
  const tick = () => {
    const now = performance.now();
    const form = document.getElementById("annotate-form");
    if (form && form.dataset.assignment !== current) { current = form.dataset.assignment; active = 0; }
    else if (document.visibilityState === "visible" && document.hasFocus()) active += now - last;
    last = now;
    if (form) {
      if (form.elements.active_time_ms) form.elements.active_time_ms.value = Math.round(active);
      if (form.elements.client) {
        form.elements.client.value = JSON.stringify({viewport: [innerWidth, innerHeight], lang: navigator.language});
      }
    }
  };
  setInterval(tick, 250);
  document.addEventListener("submit", tick, true);
})();

// Choice buttons ([data-choice], clicked by mouse or by their key through keys.js) select one answer: they
// fill the form's hidden field named by data-choice-field (default "choice") and mark themselves selected.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-choice]");
  if (!button) return;
  const form = button.closest("form");
  form.elements[form.dataset.choiceField || "choice"].value = button.dataset.choice;
  form.querySelectorAll("[data-choice]").forEach((b) => {
    b.classList.toggle("selected", b === button);
    b.setAttribute("aria-pressed", b === button ? "true" : "false");
  });
});
