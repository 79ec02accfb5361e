// The dataset page: description, availability table (from the catalog), bands, terms, citation.
"use strict";
(async function () {
  const cfg = await (await fetch("/map/config.json")).json();
  const doc = await (await fetch("/collections/" + encodeURIComponent(cfg.collection))).json();
  const defn = doc["palsar2:definition"] || {};
  const text = (id, v) => { document.getElementById(id).textContent = v || ""; };
  text("title", doc.title || doc.id);
  text("ids", doc.id + ((defn.extra && defn.extra.earth_engine_id) ? "  (Earth Engine: " + defn.extra.earth_engine_id + ")" : ""));
  text("description", doc.description);
  text("terms", doc["palsar2:terms"] || defn.terms);
  text("citation", doc["palsar2:citation"] || defn.citation);
  text("license", doc.license);
  const rows = doc["palsar2:availability"] || [];
  const tbody = document.querySelector("#availability tbody");
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const v of [r.date, (r.frames || []).map((f) => String(f).padStart(4, "0")).join(", "), r.beam, r.pass, (r.items || []).length]) {
      const td = document.createElement("td"); td.textContent = v == null ? "" : v; tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  const bands = doc["palsar2:bands"] || defn.bands || [];
  const bbody = document.querySelector("#bands tbody");
  for (const b of bands) {
    const tr = document.createElement("tr");
    for (const v of [b.name, b.description, b.data_type, b.units, b.nodata, b.pixel_size_m ? b.pixel_size_m + " m" : ""]) {
      const td = document.createElement("td"); td.textContent = v == null ? "" : v; tr.appendChild(td);
    }
    bbody.appendChild(tr);
  }
  document.body.dataset.ready = "1";
})();
