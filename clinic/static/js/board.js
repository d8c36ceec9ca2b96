// The chair board: live countdowns to the next vital signs between the server's refreshes
// (htmx polls the board partial). No inline handlers: the CSP forbids them.
(() => {
  const board = document.getElementById("board");
  if (!board) return;
  let offset = 0; // the server's clock minus this screen's, in seconds

  const sync = () => {
    const root = board.querySelector("[data-now]");
    if (root) offset = Number(root.dataset.now) - Date.now() / 1000;
  };
  const format = (seconds) => {
    const whole = Math.floor(seconds);
    const minutes = Math.floor(whole / 60);
    return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
  };
  const tick = () => {
    const now = Date.now() / 1000 + offset;
    board.querySelectorAll("[data-due]").forEach((element) => {
      const left = Number(element.dataset.due) - now;
      const label = left < 0 ? board.dataset.labelOverdue : board.dataset.labelDue;
      element.textContent = label.replace("{time}", format(Math.abs(left)));
      const chair = element.closest(".chair");
      if (chair) chair.classList.toggle("is-overdue", left < 0);
    });
  };

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    // A session that ended (idle limit) answers the poll with the sign-in page: go there
    // instead of pasting it into the board.
    const url = event.detail.xhr.responseURL || "";
    if (url && !url.includes("/board/")) {
      event.detail.shouldSwap = false;
      window.location.assign(url);
    }
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    sync();
    tick();
  });
  sync();
  tick();
  setInterval(tick, 1000);
})();
