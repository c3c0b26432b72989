// Offer figures: an offer counts as seen when at least half of it was on the screen for a
// second; the codes are sent in batches (the server counts each once per person and day).
// The share button uses the system's share sheet, or copies the link. Nothing else of
// the page depends on this script.
const SEEN_AFTER_MS = 1000;
const FLUSH_EVERY_MS = 4000;

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function init() {
  const holder = document.querySelector("[data-events]");
  if (!holder) {
    return;
  }
  const url = holder.dataset.events;
  const queue = { seen: new Set(), shared: new Set() };
  const reported = new Set();

  function flush() {
    if (!queue.seen.size && !queue.shared.size) {
      return;
    }
    // A form (CSRF token as a field) sent as a beacon: it is delivered even when the page
    // is being left, which a fetch is not.
    const form = new FormData();
    form.append("csrfmiddlewaretoken", csrfToken());
    form.append("events", JSON.stringify({ seen: [...queue.seen], shared: [...queue.shared] }));
    queue.seen.clear();
    queue.shared.clear();
    if (!navigator.sendBeacon || !navigator.sendBeacon(url, form)) {
      fetch(url, { method: "POST", body: form, keepalive: true, credentials: "same-origin" })
        .catch(() => {});
    }
  }

  if ("IntersectionObserver" in window) {
    const timers = new Map();
    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const code = entry.target.dataset.offer;
          if (entry.isIntersecting && !reported.has(code)) {
            timers.set(code, setTimeout(() => {
              reported.add(code);
              queue.seen.add(code);
              observer.unobserve(entry.target);
            }, SEEN_AFTER_MS));
          } else if (timers.has(code)) {
            clearTimeout(timers.get(code));
            timers.delete(code);
          }
        }
      },
      { threshold: 0.5 },
    );
    for (const element of document.querySelectorAll("article[data-offer]")) {
      observer.observe(element);
    }
  }

  for (const button of document.querySelectorAll("[data-share]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const code = button.closest("[data-offer]").dataset.offer;
      const status = button.parentElement.querySelector("[data-share-status]");
      try {
        if (navigator.share) {
          await navigator.share({ title: button.dataset.title, url: button.dataset.share });
        } else {
          await navigator.clipboard.writeText(button.dataset.share);
          status.textContent = button.dataset.copied;
        }
      } catch (error) {
        if (error.name !== "AbortError") {
          // No share sheet and no clipboard: the link, to copy by hand.
          status.textContent = button.dataset.share;
        }
        return; // cancelled or not shared: nothing counted
      }
      queue.shared.add(code);
      flush();
    });
  }

  setInterval(flush, FLUSH_EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });
  window.addEventListener("pagehide", flush);
}

if (document.readyState === "loading") {
  window.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
