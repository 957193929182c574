// The kanban board: drag a card to another column; the server checks the stage rules.
// A refused move puts the card back and names what is missing; an accepted one refreshes the column heads.
(() => {
  const board = document.getElementById("board");
  if (!board || typeof Sortable === "undefined") return;
  const alertBox = document.getElementById("board-alert");
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";

  const showErrors = (errors) => {
    alertBox.replaceChildren();
    const title = document.createElement("div");
    title.className = "fw-bold";
    title.textContent = alertBox.dataset.title;
    const list = document.createElement("ul");
    list.className = "mb-0";
    for (const error of errors) {
      const item = document.createElement("li");
      item.textContent = error;
      list.append(item);
    }
    alertBox.append(title, list);
    alertBox.classList.remove("d-none");
    alertBox.scrollIntoView({ block: "nearest" });
  };
  const hideErrors = () => alertBox.classList.add("d-none");

  const putBack = (card, from, oldIndex) => {
    const cards = [...from.querySelectorAll(":scope > .board-card")].filter((c) => c !== card);
    from.insertBefore(card, cards[oldIndex] || from.querySelector(":scope > .board-more"));
  };

  const move = async (event) => {
    const card = event.item;
    if (event.from === event.to) return;
    const body = new URLSearchParams({ stage: event.to.dataset.stage });
    card.classList.add("is-moving");
    hideErrors();
    let response, data;
    try {
      response = await fetch(card.dataset.moveUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf() },
      });
      data = await response.json();
    } catch (error) {
      data = { ok: false, errors: [alertBox.dataset.failed] };
    }
    card.classList.remove("is-moving");
    if (!data.ok) {
      putBack(card, event.from, event.oldIndex);
      showErrors(data.errors || [alertBox.dataset.failed]);
      return;
    }
    for (const [stage, html] of Object.entries(data.heads)) {
      const head = board.querySelector(`[data-column-head="${stage}"]`);
      if (head) head.innerHTML = html;
    }
    const fresh = document.createRange().createContextualFragment(data.card).firstElementChild;
    card.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  };

  for (const list of board.querySelectorAll(".board-cards")) {
    Sortable.create(list, {
      group: "board", sort: false, animation: 120, draggable: ".board-card:not(.is-locked)",
      filter: "a, select, button, .board-more", preventOnFilter: false, ghostClass: "board-card-ghost",
      onEnd: move,
    });
  }
})();
