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

// A table wider than a phone scrolls inside its box: the box takes the keyboard focus
// then, so it can be scrolled with the arrow keys too.
function scrollableTables() {
  for (const box of document.querySelectorAll(".table-wrap")) {
    if (box.scrollWidth > box.clientWidth) {
      box.tabIndex = 0;
    } else {
      box.removeAttribute("tabindex");
    }
  }
}
scrollableTables();
window.addEventListener("resize", scrollableTables);
document.addEventListener("htmx:afterSettle", scrollableTables);
