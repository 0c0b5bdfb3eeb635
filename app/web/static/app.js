// Articula's only script: "select all" checkboxes of the bulk forms.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) return;
  document.querySelectorAll(`input[type=checkbox][name="${box.dataset.selectAll}"]`)
    .forEach((other) => { other.checked = box.checked; });
});

// The CUI of a topic is checked as it is typed: exactly 7 digits (or nothing).
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !("cui" in field.dataset)) return;
  const value = field.value.trim();
  const bad = value !== "" && !/^[0-9]{7}$/.test(value);
  field.setAttribute("aria-invalid", bad ? "true" : "false");
  const note = document.getElementById(`${field.id}-error`);
  if (note) note.textContent = bad ? "El CUI debe tener exactamente 7 dígitos." : "";
});
