// Search as you type: a moment after the last keystroke, ask /api/search and show its matches in place of the
// page's. Everything is built as DOM nodes with textContent, never parsed as HTML: names and ids are data, not markup.
// Without JavaScript the form submits and the server renders the same table.
"use strict";
(function () {
  const input = document.querySelector("input[data-suggest]");
  const results = document.getElementById("search-results");
  if (!input || !results) return;
  const PAUSE_MS = 200;
  const LIMIT = "20";
  let timer = null;
  let asked = 0;

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  });

  async function ask() {
    const q = input.value.trim();
    const ticket = ++asked;  // only the latest question's answer is shown
    if (q.length < 2) return;
    let answer;
    try {
      answer = await fetch(input.dataset.suggest + "?" + new URLSearchParams({ q: q, limit: LIMIT, complete: "true" }),
                           { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (error) {
      return;  // offline for a moment: the form still works
    }
    if (!answer.ok || ticket !== asked) return;
    const body = await answer.json();
    if (ticket !== asked) return;
    show(body);
    history.replaceState(null, "", "?" + new URLSearchParams({ q: q }));
  }

  function node(tag, text, className) {
    const element = document.createElement(tag);
    if (text !== undefined && text !== null) element.textContent = String(text);
    if (className) element.className = className;
    return element;
  }

  function link(page, text) {
    if (!page) return node("span", text);
    const anchor = node("a", text);
    anchor.href = page;  // built by the server from the mount path and url-encoded parts
    return anchor;
  }

  function cell(row, ...children) {
    const td = node("td");
    for (const child of children) if (child) td.append(child);
    row.append(td);
    return td;
  }

  function show(body) {
    const count = node("p", null, "count");
    count.append(body.matches.length + (body.truncated ? "+" : "") + " match(es) for ", node("code", body.identifier));
    const parts = [count];
    if (body.matches.length) {
      const table = node("table", null, "matches");
      const thead = node("thead");
      const head = node("tr");
      for (const title of ["resource", "state", "account", "environment", "team", "region", "matched on",
                           "resolves via"]) head.append(node("th", title));
      thead.append(head);
      const rows = node("tbody");
      for (const m of body.matches) rows.append(matchRow(m));
      table.append(thead, rows);
      parts.push(table);
    }
    results.replaceChildren(...parts);
  }

  function matchRow(m) {
    const row = node("tr");
    const resource = cell(row, node("small", m.resource_type), node("br"), link(m.page, m.name || m.resource_id));
    if (m.name && m.name !== m.resource_id) resource.append(node("br"), node("code", m.resource_id));
    if (m.cluster) {
      resource.append(node("br"), node("small", "cluster " + m.cluster + (m.namespace ? ", namespace " + m.namespace : "")));
    }
    const state = cell(row, document.createTextNode(m.state || ""));
    if (m.is_stale) state.append(" ", node("span", "stale", "stale"));
    cell(row, document.createTextNode((m.account_name || "") + " "), node("small", m.account_id));
    cell(row, document.createTextNode(m.environment || ""));
    cell(row, document.createTextNode(m.team || ""));
    cell(row, document.createTextNode(m.region || ""));
    const matched = node("small", " (" + m.match + ": ");
    matched.append(node("code", m.matched_term), ")");
    cell(row, document.createTextNode(m.matched_on), matched);
    const via = cell(row);
    if (m.via.length) {
      const list = node("ol", null, "via");
      for (const hop of m.via) {
        const item = node("li", null, "depth-" + Math.min(hop.depth, 4));
        item.append(hop.how + " → ", node("small", hop.resource_type || "outside the inventory"), " ",
                    link(hop.page, hop.name || hop.resource_id));
        if (hop.state) item.append(" ", node("small", hop.state));
        if (hop.detail) item.append(" ", node("small", "(" + hop.detail + ")"));
        if (hop.account_id && hop.account_id !== m.account_id) item.append(" ", node("small", "account " + hop.account_id));
        list.append(item);
      }
      via.append(list);
    }
    return row;
  }
})();
