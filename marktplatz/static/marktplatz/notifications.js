// The notification settings: "Allow push messages on this device" registers the service
// worker (one per town, by its scope), subscribes with the platform's VAPID key and hands
// the subscription to the server. Without the script the rest of the page works.
const box = document.querySelector("[data-push]");

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function activated(registration) {
  return new Promise((resolve) => {
    if (registration.active) return resolve(registration);
    const worker = registration.installing || registration.waiting;
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve(registration);
    });
  });
}

function csrfToken() {
  return box.querySelector("[name=csrfmiddlewaretoken]").value;
}

if (box && "serviceWorker" in navigator && "PushManager" in window) {
  box.hidden = false;
  const status = box.querySelector("[data-push-status]");
  box.querySelector("[data-push-on]").addEventListener("click", async () => {
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        status.textContent = box.dataset.denied;
        return;
      }
      const registration = await activated(
        await navigator.serviceWorker.register(box.dataset.worker, { scope: box.dataset.scope }),
      );
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.key),
      });
      const response = await fetch(box.dataset.subscribe, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription),
      });
      status.textContent = response.ok ? box.dataset.done : box.dataset.failed;
    } catch {
      status.textContent = box.dataset.failed;
    }
  });
}
