// The kanban board: drag a card to another column; the server checks the stage rules.
// A refused move puts the card back and names what is missing (a move to a lost stage asks for the reason
// and is sent again); an accepted one refreshes the column heads and the card.
(() => {
  const board = document.getElementById("board");
  if (!board || typeof Sortable === "undefined") return;
  const alertBox = document.getElementById("board-alert");
  const csrf = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  };

  const showErrors = (errors, extra) => {
    const list = element("ul", "mb-0");
    for (const error of errors) list.append(element("li", "", error));
    alertBox.replaceChildren(element("div", "fw-bold", alertBox.dataset.title), list, ...(extra ? [extra] : []));
    alertBox.classList.remove("d-none");
    alertBox.scrollIntoView({ block: "nearest" });
  };
  const hideErrors = () => alertBox.classList.add("d-none");

  const send = async (card, stage, lostReason) => {
    const body = new URLSearchParams({ stage });
    if (lostReason) body.set("lost_reason", lostReason);
    try {
      const response = await fetch(card.dataset.moveUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrf() },
      });
      return await response.json();
    } catch (error) {
      return { ok: false, errors: [alertBox.dataset.failed] };
    }
  };

  const apply = (data, card) => {
    for (const [stage, html] of Object.entries(data.heads)) {
      const head = board.querySelector(`[data-column-head="${stage}"]`);
      if (head) head.innerHTML = html;
    }
    const fresh = document.createRange().createContextualFragment(data.card).firstElementChild;
    card.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  };

  const putBack = (card, from, oldIndex) => {
    const cards = [...from.querySelectorAll(":scope > .board-card")].filter((c) => c !== card);
    from.insertBefore(card, cards[oldIndex] || from.querySelector(":scope > .board-more"));
  };

  // A lost stage needs a reason: offer the reasons in the alert and send the move again with the one picked.
  const reasonPicker = (card, target, reasons) => {
    const form = element("form", "d-flex flex-wrap gap-2 mt-2");
    const select = element("select", "form-select form-select-sm w-auto");
    select.name = "lost_reason";
    select.setAttribute("aria-label", alertBox.dataset.reasonLabel);
    for (const reason of reasons) {
      const option = element("option", "", reason.name);
      option.value = reason.id;
      select.append(option);
    }
    const button = element("button", "btn btn-sm btn-danger", alertBox.dataset.reasonSubmit);
    button.type = "submit";
    form.append(select, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = await send(card, target.dataset.stage, select.value);
      if (!data.ok) return showErrors(data.errors || [alertBox.dataset.failed]);
      hideErrors();
      target.insertBefore(card, target.firstElementChild);
      apply(data, card);
    });
    return form;
  };

  const move = async (event) => {
    const card = event.item;
    if (event.from === event.to) return;
    card.classList.add("is-moving");
    hideErrors();
    const data = await send(card, event.to.dataset.stage);
    card.classList.remove("is-moving");
    if (data.ok) return apply(data, card);
    putBack(card, event.from, event.oldIndex);
    showErrors(data.errors || [alertBox.dataset.failed], data.lost_reasons && reasonPicker(card, event.to, data.lost_reasons));
  };

  for (const list of board.querySelectorAll(".board-cards")) {
    Sortable.create(list, {
      group: "board", sort: false, animation: 120, draggable: ".board-card:not(.is-locked)",
      delay: 250, delayOnTouchOnly: true,  // on a phone a swipe scrolls the board; a long press picks the card up
      filter: "a, select, button, .board-more", preventOnFilter: false, ghostClass: "board-card-ghost",
      onEnd: move,
    });
  }
})();
