// Small behaviours the pages share; everything else is htmx attributes in the templates.
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
    const box = document.getElementById("global-search");
    if (box) { event.preventDefault(); box.focus(); }
  }
  if (event.key === "Escape") {
    const results = document.getElementById("search-results");
    if (results) results.innerHTML = "";
  }
});
document.addEventListener("click", (event) => {
  const results = document.getElementById("search-results");
  if (results && !event.target.closest(".search-box")) results.innerHTML = "";
});
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => navigator.serviceWorker.register("/sw.js").catch(() => {}));
}
