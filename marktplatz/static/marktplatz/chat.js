// The chat, instant: new messages and read receipts arrive over a WebSocket; while the
// socket is down the page asks for new messages every few seconds instead. Sending goes
// through the form (htmx, or a plain post without script), so nothing depends on this file.

const POLL_MS = 4000;
const RETRY_MS = [1000, 2000, 5000, 10000];

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// A socket that reconnects after a pause, with a fallback while it is down.
// A server without WebSockets, or one that refuses this person, fails the handshake: after
// a few failures in a row without ever being open, the page keeps to polling.
function liveSocket(path, { onMessage, onUp, onDown }) {
  let attempt = 0;
  let opened = false;
  let socket = null;
  const open = () => {
    socket = new WebSocket(socketUrl(path));
    socket.addEventListener("open", () => {
      attempt = 0;
      opened = true;
      onUp();
    });
    socket.addEventListener("message", (event) => {
      try {
        onMessage(JSON.parse(event.data));
      } catch (_error) {
        // not ours: ignored
      }
    });
    socket.addEventListener("close", (event) => {
      onDown();
      if (event.code === 4401 || event.code === 4404) return; // refused: polling only
      if (!opened && attempt >= RETRY_MS.length) return;
      window.setTimeout(open, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
    });
  };
  open();
  return { send: (data) => socket && socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(data)) };
}

function conversationPage(list) {
  let last = Number(list.dataset.last || 0);
  let otherRead = Number(list.dataset.otherRead || 0);
  let timer = null;
  let socket = null;

  const markRead = () => {
    for (const item of list.querySelectorAll("li[data-mine]")) {
      const state = item.querySelector(".receipt-state");
      if (state && Number(item.dataset.id) <= otherRead) state.textContent = state.dataset.readLabel;
    }
  };

  const tellRead = () => {
    if (document.visibilityState !== "visible" || !last) return;
    if (socket && socket.send({ type: "read", upto: last })) return;
    const body = new FormData();
    body.append("upto", String(last));
    body.append("csrfmiddlewaretoken", csrfToken());
    fetch(list.dataset.read, { method: "POST", body, credentials: "same-origin" }).catch(() => {});
  };

  // Adds rendered messages unless the page has them already (the sender's own form
  // appends its message too); returns whether one came from the other side.
  const add = (htmlList) => {
    let theirs = false;
    const empty = list.querySelector(".empty");
    for (const html of htmlList) {
      const holder = document.createElement("ol");
      holder.innerHTML = html.trim();
      const item = holder.firstElementChild;
      if (!item || list.querySelector(`li[data-id="${item.dataset.id}"]`)) continue;
      if (empty) empty.remove();
      list.append(item);
      last = Math.max(last, Number(item.dataset.id));
      if (!item.dataset.mine) theirs = true;
    }
    if (htmlList.length) scrollToEnd();
    markRead();
    return theirs;
  };

  const scrollToEnd = () => list.lastElementChild && list.lastElementChild.scrollIntoView({ block: "end" });

  const poll = async () => {
    try {
      const response = await fetch(`${list.dataset.poll}?after=${last}`, { credentials: "same-origin" });
      if (response.ok) {
        const text = await response.text();
        const holder = document.createElement("ol");
        holder.innerHTML = text;
        const items = [...holder.children].map((item) => item.outerHTML);
        otherRead = Math.max(otherRead, Number(response.headers.get("X-Read-Upto") || 0));
        if (add(items)) tellRead();
        markRead();
      }
    } catch (_error) {
      // offline: the next round tries again
    }
  };

  const startPolling = () => {
    if (!timer) timer = window.setInterval(poll, POLL_MS);
  };
  const stopPolling = () => {
    window.clearInterval(timer);
    timer = null;
  };

  socket = liveSocket(list.dataset.ws, {
    onUp: () => {
      stopPolling();
      list.dataset.live = "1";
      poll(); // what came while the socket was down
    },
    onDown: () => {
      list.dataset.live = "0";
      startPolling();
    },
    onMessage: (data) => {
      if (data.type === "messages") {
        if (add(data.messages.map((m) => m.html))) tellRead();
      } else if (data.type === "read") {
        otherRead = Math.max(otherRead, data.upto);
        markRead();
      }
    },
  });
  startPolling();

  // The form's own message (an htmx out-of-band swap) counts as seen, and is not doubled.
  document.addEventListener("htmx:oobAfterSwap", () => {
    const seen = new Set();
    for (const item of list.querySelectorAll("li[data-id]")) {
      if (seen.has(item.dataset.id)) item.remove();
      else seen.add(item.dataset.id);
      last = Math.max(last, Number(item.dataset.id));
    }
    list.querySelector(".empty")?.remove();
    scrollToEnd();
  });
  document.addEventListener("visibilitychange", tellRead);
  scrollToEnd();

  // A canned reply goes into the text box at once (without script: the "Insert" button).
  const canned = document.querySelector("select[data-canned]");
  if (canned) {
    canned.form.addEventListener("submit", (event) => {
      const option = canned.selectedOptions[0];
      const box = document.querySelector("#chat-form textarea");
      if (!option || !box) return;
      event.preventDefault();
      box.value = option.dataset.body;
      box.focus();
    });
  }
}

function inboxPage(box) {
  const refresh = () => {
    if (window.htmx) window.htmx.ajax("GET", box.dataset.refresh, { target: box, swap: "innerHTML" });
  };
  let timer = null;
  liveSocket(box.dataset.inboxWs, {
    onUp: () => {
      window.clearInterval(timer);
      timer = null;
    },
    onDown: () => {
      if (!timer) timer = window.setInterval(refresh, 15000);
    },
    onMessage: (data) => {
      if (data.type === "changed") refresh();
    },
  });
}

const list = document.getElementById("messages");
if (list) conversationPage(list);
const inbox = document.getElementById("inbox-list");
if (inbox) inboxPage(inbox);
