// Offline API reference rendered from our own OpenAPI document (nothing loaded from other hosts).
"use strict";
(async function () {
  const spec = await (await fetch("/api")).json();
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  document.getElementById("title").textContent = spec.info.title + " " + spec.info.version + " API";
  document.getElementById("description").textContent = spec.info.description || "";
  const schemaOf = (p) => {
    const s = p.schema || {};
    const t = s.type || (s.anyOf || []).map((x) => x.type || (x.enum || []).join("|")).filter(Boolean).join(" | ") || (s.enum || []).join("|");
    const lim = [s.minimum != null ? ">= " + s.minimum : "", s.maximum != null ? "<= " + s.maximum : "", s.pattern ? "pattern " + s.pattern : "", s.enum ? "one of " + s.enum.join(", ") : ""].filter(Boolean).join(", ");
    return esc(t) + (lim ? ' <span class="muted">' + esc(lim) + "</span>" : "") + (s.default != null ? ' <span class="muted">(default ' + esc(JSON.stringify(s.default)) + ")</span>" : "");
  };
  let html = "";
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      html += `<div class="op"><span class="m ${method}">${method.toUpperCase()}</span><code>${esc(path)}</code> ${esc(op.summary || "")}`;
      if (op.description) html += `<div class="muted">${esc(op.description)}</div>`;
      const params = op.parameters || [];
      if (params.length) {
        html += "<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>";
        for (const p of params) html += `<tr><td><code>${esc(p.name)}</code>${p.required ? " *" : ""}</td><td>${esc(p.in)}</td><td>${schemaOf(p)}</td><td>${esc((p.schema || {}).description || p.description || "")}</td></tr>`;
        html += "</table>";
      }
      if (op.requestBody) html += '<div class="muted">JSON request body</div>';
      html += "</div>";
    }
  }
  document.getElementById("ops").innerHTML = html;
  document.body.dataset.ready = "1";
})();
