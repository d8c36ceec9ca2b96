// Vital signs that survive a dropped connection. Each reading gets its own key and keeps the
// time it was measured; unsent readings wait in localStorage and are sent when the connection
// returns. The server records a key once, so a reading sent twice is still one reading.
// Without JavaScript the form posts as a plain form.
(() => {
  const form = document.getElementById("vitals-form");
  if (!form) return;
  const storeKey = `clinic.vitals.${form.dataset.session}`;
  const status = document.getElementById("vitals-queue");
  const timeField = form.querySelector("[name=measured_at]");
  let timeEdited = false;
  let sending = false;

  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(storeKey)) || [];
    } catch {
      return [];
    }
  };
  const save = (items) => {
    if (items.length) localStorage.setItem(storeKey, JSON.stringify(items));
    else localStorage.removeItem(storeKey);
  };
  const newKey = () => {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const localMinute = () => {
    const now = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`;
  };
  const show = (text) => {
    status.textContent = text || "";
  };
  const pending = () => {
    const count = load().length;
    form.dataset.pending = String(count);
    return count;
  };

  // The time field follows the clock until the nurse changes it.
  if (timeField) {
    timeField.addEventListener("input", () => {
      timeEdited = true;
    });
    setInterval(() => {
      if (!timeEdited) timeField.value = localMinute();
    }, 15000);
  }

  const flush = async () => {
    if (sending) return;
    const queue = load();
    if (!queue.length) return;
    sending = true;
    let sent = 0;
    try {
      while (queue.length) {
        const item = queue[0];
        const body = new URLSearchParams(item.fields);
        body.set("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
        let response;
        try {
          response = await fetch(form.action, {
            method: "POST",
            body,
            headers: { Accept: "application/json" },
            credentials: "same-origin",
          });
        } catch {
          show(form.dataset.labelQueued);
          return; // still offline: keep everything for later
        }
        const type = response.headers.get("content-type") || "";
        if (!type.includes("application/json")) {
          show(form.dataset.labelSignin); // the session ended: keep the readings
          return;
        }
        const answer = await response.json();
        queue.shift();
        save(queue);
        if (answer.status === "recorded" || answer.status === "duplicate") sent += 1;
        else show(answer.message || "");
      }
      if (sent) {
        show(form.dataset.labelSent);
        window.location.reload();
      }
    } finally {
      sending = false;
      pending();
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const fields = Object.fromEntries(new FormData(form).entries());
    delete fields.csrfmiddlewaretoken;
    fields.idempotency_key = newKey();
    if (!fields.measured_at) fields.measured_at = localMinute();
    const queue = load();
    queue.push({ fields, kept: Date.now() });
    save(queue);
    pending();
    form.reset();
    timeEdited = false;
    if (timeField) timeField.value = localMinute();
    flush();
  });

  window.addEventListener("online", flush);
  setInterval(flush, 30000);
  pending();
  flush();
})();
