// Keys: j / k move through a list, Enter opens, / goes to the search, Esc leaves it (or
// clears the choice, or goes back from a send, device or contact).

function rows() {
  return Array.from(document.querySelectorAll("#list tr[data-id], #list .feed-item"));
}

export function selectedId() {
  const row = document.querySelector("#list .selected");
  return row ? row.dataset.id : null;
}

// After a re-read the chosen row is chosen again, if it is still there.
export function reselect(id) {
  if (id === null) return;
  const row = rows().find((r) => r.dataset.id === id);
  if (row) row.classList.add("selected");
}

function move(step) {
  const all = rows();
  if (all.length === 0) return;
  const at = all.findIndex((r) => r.classList.contains("selected"));
  const next = all[Math.min(all.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
  for (const row of all) row.classList.remove("selected");
  next.classList.add("selected");
  next.scrollIntoView({ block: "nearest" });
}

function openSelected() {
  const row = document.querySelector("#list .selected");
  if (!row) return false;
  if (row.dataset.href) {
    window.location.href = row.dataset.href;
    return true;
  }
  const details = row.querySelector("details");
  if (details) details.open = !details.open;
  return true;
}

function goBack() {
  const back = document.querySelector(".back a");
  if (!back) return;
  const cameFromHere =
    document.referrer && new URL(document.referrer).origin === window.location.origin;
  if (cameFromHere && history.length > 1) history.back();
  else window.location.href = back.href;
}

export function listenForKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typingInto = event.target.closest && event.target.closest("input, select, textarea");
    if (event.key === "Escape") {
      if (typingInto) event.target.blur();
      else if (selectedId() !== null) for (const row of rows()) row.classList.remove("selected");
      else goBack();
      return;
    }
    if (typingInto) return;
    if (event.key === "j") {
      move(1);
      event.preventDefault();
    } else if (event.key === "k") {
      move(-1);
      event.preventDefault();
    } else if (event.key === "Enter") {
      if (openSelected()) event.preventDefault();
    } else if (event.key === "/") {
      const search = document.querySelector("#filters input[name=q]");
      if (search) {
        search.focus();
        search.select();
        event.preventDefault();
      }
    }
  });
}
