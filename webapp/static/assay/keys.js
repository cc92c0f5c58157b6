// Keyboard shortcuts come from the buttons themselves: any element with data-key="x" is clicked when x is
// pressed (outside text fields), so the keymap shown on a button is the keymap that works.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const key = event.key === "Enter" ? "Enter" : event.key.toLowerCase();
  const button = document.querySelector(`[data-key="${CSS.escape(key)}"]:not([disabled])`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
