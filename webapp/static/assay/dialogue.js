// The play page. A legal-move button puts its move in the text field and sends the form (keys.js clicks
// it for its digit). The text field has focus, so keys.js ignores digits typed there: while the field is
// still empty a digit with a matching button picks that move instead of typing it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-move]");
  if (!button) return;
  const form = button.closest("form");
  form.querySelector("input[name=text]").value = button.dataset.move;
  form.requestSubmit();
});

document.addEventListener("keydown", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.id !== "move-input" || input.value !== "") return;
  if (event.ctrlKey || event.metaKey || event.altKey || !/^[1-9]$/.test(event.key)) return;
  const button = document.querySelector(`#move-form [data-move][data-key="${event.key}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});

// After htmx swaps in the new panel, put the cursor back in the move field.
document.addEventListener("htmx:afterSwap", () => {
  const input = document.getElementById("move-input");
  if (input) input.focus();
});
