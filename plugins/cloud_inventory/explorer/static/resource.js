// The resource page: "expand all" and "collapse all" for the configuration's JSON (the page works without it).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const tools = document.querySelector(".tree-tools");
  const tree = document.querySelector("#configuration .json");
  if (!tools || !tree) return;
  tools.hidden = false;
  tools.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-tree]");
    if (!button) return;
    const open = button.dataset.tree === "open";
    for (const details of tree.querySelectorAll("details")) details.open = open;
  });
});
