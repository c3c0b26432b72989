// The one script of every page: small progressive enhancements, nothing required.
document.documentElement.classList.add("js");

// Submit the language switcher as soon as another language is picked.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.requestSubmit());
}

// Ask before destructive actions (buttons with data-confirm="question").
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The town's service worker keeps the card page for offline use.
const worker = document.body.dataset.sw;
if (worker && "serviceWorker" in navigator) {
  navigator.serviceWorker.register(worker).catch(() => {});
}
