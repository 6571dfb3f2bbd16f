// Shared behaviour: submit selects marked data-autosubmit (language switcher, filters).
document.addEventListener("change", (event) => {
  const select = event.target.closest("[data-autosubmit]");
  if (select && select.form) {
    select.form.submit();
  }
});
