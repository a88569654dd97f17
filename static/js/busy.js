// Forms marked data-busy="Building…" say they are working once sent, and cannot be sent twice:
// the submit button shows the words and is disabled until the next page comes.
export function holdWhileBusy(form) {
  const button = form.querySelector("button[type=submit], button:not([type])");
  form.addEventListener("submit", (event) => {
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    if (event.defaultPrevented) return; // another script (a confirmation) stopped this one
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    if (button) {
      button.dataset.idleLabel = button.textContent;
      button.textContent = form.dataset.busy;
      button.disabled = true;
    }
  });
  // Back on this page from the browser's history: the form works again.
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    if (button && button.dataset.idleLabel) {
      button.textContent = button.dataset.idleLabel;
      button.disabled = false;
    }
  });
}

document.querySelectorAll("form[data-busy]").forEach(holdWhileBusy);
