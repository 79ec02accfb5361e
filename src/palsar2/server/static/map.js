// palsar2 web map: a small hand-written WebMercator tile map on canvases; no library, nothing remote.
// Layers: one mosaic per observation date (Earth Engine's filterDate + mosaic), change layers,
// an offline vector basemap (GSHHG coastline, GeoNames towns). Tools: layer toggles and opacity,
// before/after swipe, time slider, pixel inspector, rectangle statistics.
"use strict";
(function () {
  const TILE = 256, MINZ = 2, MAXZ = 18;
  const world = (z) => TILE * Math.pow(2, z);
  const lonToX = (lon, z) => (lon + 180) / 360 * world(z);
  const latToY = (lat, z) => {
    const s = Math.sin(lat * Math.PI / 180);
    return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * world(z);
  };
  const xToLon = (x, z) => x / world(z) * 360 - 180;
  const yToLat = (y, z) => {
    const n = Math.PI - 2 * Math.PI * y / world(z);
    return 180 / Math.PI * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)));
  };
  const $ = (id) => document.getElementById(id);
  const fmt = (v, d) => (v == null || Number.isNaN(v)) ? "-" : Number(v).toFixed(d);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

  function withParams(url, params) {
    const extra = Object.entries(params).filter(([, v]) => v != null && v !== "")
      .map(([k, v]) => encodeURIComponent(k) + "=" + encodeURIComponent(v)).join("&");
    if (!extra) return url;
    return url + (url.includes("?") ? "&" : "?") + extra;
  }

  // ---- a raster tile layer -------------------------------------------------------------------
  class RasterLayer {
    constructor(map, def) {
      Object.assign(this, { id: def.id, name: def.name, kind: def.kind, role: def.role || null,
        date: def.date || null, sources: def.sources, visible: false, opacity: 1 });
      this.map = map;
      this.params = {};
      this.cache = new Map();
      this.canvas = document.createElement("canvas");
      this.canvas.dataset.layer = this.id;
      map.el.appendChild(this.canvas);
    }
    setParams(params) { this.params = params; this.cache.clear(); this.map.schedule(); }
    entry(src, z, x, y) {
      const key = src + "|" + z + "/" + x + "/" + y;
      let e = this.cache.get(key);
      if (e) return e;
      e = { img: new Image(), ok: false, failed: false };
      e.img.onload = () => { e.ok = true; this.map.tilesLoaded++; this.map.schedule(); };
      e.img.onerror = () => { e.failed = true; this.map.tilesFailed++; };
      e.img.src = withParams(src.replace("{z}", z).replace("{x}", x).replace("{y}", y), this.params);
      this.cache.set(key, e);
      if (this.cache.size > 600) this.cache.delete(this.cache.keys().next().value);
      return e;
    }
    cached(src, z, x, y) { return this.cache.get(src + "|" + z + "/" + x + "/" + y); }
    pending() {  // tiles of the current zoom still loading
      let n = 0;
      const tag = "|" + this.map.z + "/";
      for (const [k, e] of this.cache) if (!e.ok && !e.failed && k.includes(tag)) n++;
      return n;
    }
    draw(drawn) {
      const m = this.map, c = this.canvas, ctx = c.getContext("2d");
      if (c.width !== m.width || c.height !== m.height) { c.width = m.width; c.height = m.height; }
      ctx.clearRect(0, 0, c.width, c.height);
      c.style.opacity = this.opacity;
      if (!drawn) { c.style.display = "none"; return; }
      c.style.display = "";
      const z = m.z, n = Math.pow(2, z);
      const x0 = m.cx - m.width / 2, y0 = m.cy - m.height / 2;
      const tx0 = Math.floor(x0 / TILE), ty0 = Math.max(0, Math.floor(y0 / TILE));
      const tx1 = Math.floor((x0 + m.width) / TILE), ty1 = Math.min(n - 1, Math.floor((y0 + m.height) / TILE));
      ctx.imageSmoothingEnabled = false;
      for (const src of this.sources) {
        for (let ty = ty0; ty <= ty1; ty++) {
          for (let tx = tx0; tx <= tx1; tx++) {
            const wx = ((tx % n) + n) % n;
            const px = tx * TILE - x0, py = ty * TILE - y0;
            const e = this.entry(src, z, wx, ty);
            if (e.ok) { ctx.drawImage(e.img, px, py, TILE, TILE); continue; }
            // While loading, draw the nearest loaded parent tile, scaled up.
            for (let dz = 1; dz <= 4 && z - dz >= 0; dz++) {
              const f = Math.pow(2, dz), p = this.cached(src, z - dz, Math.floor(wx / f), Math.floor(ty / f));
              if (p && p.ok) {
                const sx = (wx % f) * TILE / f, sy = (ty % f) * TILE / f;
                ctx.drawImage(p.img, sx, sy, TILE / f, TILE / f, px, py, TILE, TILE);
                break;
              }
            }
          }
        }
      }
    }
    // Non-transparent pixels currently drawn (the browser tests use this).
    paintedPixels() {
      const d = this.canvas.getContext("2d").getImageData(0, 0, this.canvas.width, this.canvas.height).data;
      let count = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) count++;
      return count;
    }
  }

  // ---- the map ---------------------------------------------------------------------------------
  class TileMap {
    constructor(el) {
      this.el = el; this.z = 8; this.cx = 0; this.cy = 0; this.layers = [];
      this.tilesLoaded = 0; this.tilesFailed = 0; this.pending = false;
      this.swipe = { on: false, x: 0.5, left: null, right: null };
      this.coast = null; this.towns = null; this.marker = null; this.rect = null;
      this.base = document.createElement("canvas"); this.base.dataset.layer = "basemap";
      el.appendChild(this.base);
      this.overlay = document.createElement("canvas"); this.overlay.dataset.layer = "overlay";
      this.overlay.style.zIndex = 10;
      el.appendChild(this.overlay);
      new ResizeObserver(() => this.schedule()).observe(el);
    }
    get width() { return this.el.clientWidth; }
    get height() { return this.el.clientHeight; }
    setView(lon, lat, z) {
      this.z = Math.max(MINZ, Math.min(MAXZ, Math.round(z)));
      this.cx = lonToX(lon, this.z); this.cy = latToY(lat, this.z); this.schedule();
    }
    center() { return { lon: xToLon(this.cx, this.z), lat: yToLat(this.cy, this.z), zoom: this.z }; }
    toLonLat(px, py) {
      const x = this.cx - this.width / 2 + px, y = this.cy - this.height / 2 + py;
      return { lon: xToLon(x, this.z), lat: yToLat(y, this.z) };
    }
    toScreen(lon, lat) {
      return [lonToX(lon, this.z) - this.cx + this.width / 2, latToY(lat, this.z) - this.cy + this.height / 2];
    }
    zoomAt(px, py, dz) {
      const nz = Math.max(MINZ, Math.min(MAXZ, this.z + dz));
      if (nz === this.z) return;
      const ll = this.toLonLat(px, py);
      this.z = nz;
      this.cx = lonToX(ll.lon, nz) - px + this.width / 2;
      this.cy = latToY(ll.lat, nz) - py + this.height / 2;
      this.schedule();
    }
    pan(dx, dy) { this.cx -= dx; this.cy -= dy; this.schedule(); }
    addLayer(def) { const l = new RasterLayer(this, def); this.layers.push(l); this.restack(); return l; }
    layer(id) { return this.layers.find((l) => l.id === id); }
    idle() { return !this.pending && this.layers.every((l) => !l.visible || l.pending() === 0); }
    restack() { this.layers.forEach((l, i) => { l.canvas.style.zIndex = 2 + i; }); }
    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => { this.pending = false; this.render(); });
    }
    render() {
      this.drawBase();
      const sw = this.swipe;
      for (const l of this.layers) {
        let drawn = l.visible;
        l.canvas.style.clipPath = "";
        if (sw.on && l.kind === "mosaic") {
          drawn = l.id === sw.left || l.id === sw.right;
          const X = Math.round(sw.x * this.width);
          if (l.id === sw.left && l.id !== sw.right) l.canvas.style.clipPath = `inset(0 ${this.width - X}px 0 0)`;
          if (l.id === sw.right && l.id !== sw.left) l.canvas.style.clipPath = `inset(0 0 0 ${X}px)`;
        }
        l.draw(drawn);
      }
      const bar = $("swipe-bar");
      bar.hidden = !sw.on;
      bar.style.left = Math.round(sw.x * this.width) + "px";
      this.drawOverlay();
      const c = this.center();
      $("status").textContent = `z ${c.zoom}  ${c.lon.toFixed(4)} E  ${c.lat.toFixed(4)} N`;
      this.el.dataset.zoom = this.z;
    }
    projectRings(geom, ctx) {
      const polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
      for (const poly of polys) {
        for (const ring of poly) {
          ring.forEach(([lon, lat], i) => {
            const [x, y] = this.toScreen(lon, lat);
            if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
          });
          ctx.closePath();
        }
      }
    }
    drawBase() {
      const c = this.base, ctx = c.getContext("2d");
      if (c.width !== this.width || c.height !== this.height) { c.width = this.width; c.height = this.height; }
      ctx.fillStyle = "#b9d3e6"; ctx.fillRect(0, 0, c.width, c.height);
      if (!this.coast) return;
      ctx.beginPath();
      for (const f of this.coast.features || []) this.projectRings(f.geometry, ctx);
      ctx.fillStyle = "#eeeadd"; ctx.fill("evenodd");
      ctx.strokeStyle = "#7d8a96"; ctx.lineWidth = 1; ctx.stroke();
    }
    drawOverlay() {
      const c = this.overlay, ctx = c.getContext("2d");
      if (c.width !== this.width || c.height !== this.height) { c.width = this.width; c.height = this.height; }
      ctx.clearRect(0, 0, c.width, c.height);
      if (this.coast) {  // coastline above the imagery too, thin, so the radar can be read against it
        ctx.beginPath();
        for (const f of this.coast.features || []) this.projectRings(f.geometry, ctx);
        ctx.strokeStyle = "rgba(255,255,160,0.55)"; ctx.lineWidth = 1; ctx.stroke();
      }
      if (this.towns) {
        const minPop = this.z < 9 ? 40000 : this.z < 11 ? 10000 : 0;
        ctx.font = "12px 'DejaVu Sans', sans-serif"; ctx.textBaseline = "middle";
        const placed = [];  // label boxes already drawn: bigger towns first, no overlaps
        for (const f of this.towns.features || []) {
          if (f.properties.population < minPop) continue;
          const [x, y] = this.toScreen(...f.geometry.coordinates);
          if (x < -50 || y < -20 || x > c.width + 50 || y > c.height + 20) continue;
          const box = [x - 4, y - 8, x + 8 + ctx.measureText(f.properties.name).width, y + 8];
          if (placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
          placed.push(box);
          ctx.fillStyle = "#222"; ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
          ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.85)"; ctx.strokeText(f.properties.name, x + 5, y);
          ctx.fillText(f.properties.name, x + 5, y);
        }
      }
      if (this.marker) {
        const [x, y] = this.toScreen(this.marker.lon, this.marker.lat);
        ctx.strokeStyle = "#ff0"; ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(x - 8, y); ctx.lineTo(x + 8, y); ctx.moveTo(x, y - 8); ctx.lineTo(x, y + 8); ctx.stroke();
      }
      if (this.rect) {
        const [x0, y0] = this.toScreen(this.rect[0], this.rect[3]), [x1, y1] = this.toScreen(this.rect[2], this.rect[1]);
        ctx.strokeStyle = "#ff0"; ctx.lineWidth = 2; ctx.setLineDash([5, 3]);
        ctx.strokeRect(x0, y0, x1 - x0, y1 - y0); ctx.setLineDash([]);
      }
    }
  }

  // ---- the page ----------------------------------------------------------------------------------
  const map = new TileMap($("map"));
  window.palsar2map = map;

  function layerRow(layer, list) {
    const li = document.createElement("li");
    li.className = "layer"; li.dataset.layer = layer.id;
    const cb = document.createElement("input");
    cb.type = "checkbox"; cb.checked = layer.visible; cb.title = "show";
    cb.addEventListener("change", () => { layer.visible = cb.checked; map.schedule(); });
    const name = document.createElement("span"); name.textContent = layer.name; name.title = layer.name;
    const op = document.createElement("input");
    op.type = "range"; op.min = 0; op.max = 1; op.step = 0.05; op.value = layer.opacity; op.title = "opacity";
    op.addEventListener("input", () => { layer.opacity = Number(op.value); map.schedule(); });
    li.append(cb, name, op);
    layer.checkbox = cb;
    list.appendChild(li);
  }

  function syncChecks() { for (const l of map.layers) if (l.checkbox) l.checkbox.checked = l.visible; }

  function buildSwipe(cfg) {
    const left = $("swipe-left"), right = $("swipe-right"), pair = $("swipe-pair");
    for (const l of map.layers.filter((x) => x.kind === "mosaic")) {
      left.add(new Option(l.name, l.id)); right.add(new Option(l.name, l.id));
    }
    pair.add(new Option("preset pairs...", ""));
    for (const p of cfg.pairs) pair.add(new Option(p.name, p.id));
    const first = cfg.pairs[0];
    map.swipe.left = first ? first.before : (left.options[0] || {}).value;
    map.swipe.right = first ? first.after : (right.options[right.options.length - 1] || {}).value;
    left.value = map.swipe.left || ""; right.value = map.swipe.right || "";
    left.addEventListener("change", () => { map.swipe.left = left.value; map.schedule(); });
    right.addEventListener("change", () => { map.swipe.right = right.value; map.schedule(); });
    pair.addEventListener("change", () => {
      const p = cfg.pairs.find((x) => x.id === pair.value);
      if (!p) return;
      map.swipe.left = left.value = p.before; map.swipe.right = right.value = p.after; map.schedule();
    });
    $("swipe-on").addEventListener("change", (e) => { map.swipe.on = e.target.checked; map.schedule(); });
    const bar = $("swipe-bar");
    bar.addEventListener("pointerdown", (e) => {
      e.stopPropagation(); bar.setPointerCapture(e.pointerId);
      const move = (ev) => {
        const r = map.el.getBoundingClientRect();
        map.swipe.x = Math.max(0, Math.min(1, (ev.clientX - r.left) / r.width)); map.schedule();
      };
      bar.addEventListener("pointermove", move);
      bar.addEventListener("pointerup", () => bar.removeEventListener("pointermove", move), { once: true });
    });
  }

  function buildTime(cfg) {
    const slider = $("time-slider"), label = $("time-label");
    slider.max = Math.max(0, cfg.dates.length - 1);
    const show = () => {
      const d = cfg.dates[Number(slider.value)];
      label.textContent = d ? d + (d < cfg.event_date ? " (before)" : " (after)") : "-";
      return d;
    };
    slider.addEventListener("input", () => {
      const d = show();
      for (const l of map.layers) if (l.kind === "mosaic") l.visible = l.date === d;
      $("time-only").checked = true;
      syncChecks(); map.schedule();
    });
    $("time-only").addEventListener("change", (e) => {
      if (e.target.checked) slider.dispatchEvent(new Event("input"));
    });
    const firstAfter = cfg.dates.findIndex((d) => d >= cfg.event_date);
    slider.value = firstAfter >= 0 ? firstAfter : 0;
    show();
  }

  function buildLegend(cfg) {
    const el = $("legend");
    let html = cfg.legend.map((c) =>
      `<div><span class="sw" style="background:rgba(${c.rgba.slice(0, 3).join(",")},${c.rgba[3] / 255})"></span>${esc(c.name.replace("_", " "))}</div>`).join("");
    html += `<div>log-ratio ${cfg.log_ratio.min} &hellip; +${cfg.log_ratio.max} dB (decrease &rarr; increase)</div><div class="ramp"></div>`;
    html += `<div>change RGB: before red, after green + blue (red = backscatter lost)</div>`;
    el.innerHTML = html;
  }

  async function inspect(lon, lat) {
    map.marker = { lon, lat }; map.schedule();
    const out = $("inspector");
    out.textContent = "...";
    const r = await fetch(`/point?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}&collection=${encodeURIComponent(map.config.collection)}`);
    const j = await r.json();
    if (!r.ok) { out.textContent = j.description || "error"; return; }
    let html = `<div>${lon.toFixed(5)} E, ${lat.toFixed(5)} N</div>`;
    if (!j.images.length) html += "<div>no image here</div>";
    else {
      html += "<table><tr><th>date</th><th>frame</th><th>beam</th><th>DN</th><th>dB</th></tr>";
      for (const im of j.images) {
        html += `<tr><td>${esc(im.date)}</td><td>${esc(im.frame)}</td><td>${esc(im.beam)}</td><td class="dn">${im.dn}</td><td class="db">${im.sigma0_db == null ? "nodata" : fmt(im.sigma0_db, 2) + " dB"}</td></tr>`;
      }
      html += "</table>";
    }
    for (const c of j.change) {
      html += `<div class="change">${esc(c.result_id)}: ${c.class_name ? esc(c.class_name) : ""}${c.log_ratio_db != null ? ", log-ratio " + fmt(c.log_ratio_db, 2) + " dB" : ""}</div>`;
    }
    out.innerHTML = html;
    out.dataset.ready = "1";
  }

  async function statistics(bbox) {
    const out = $("stats");
    out.textContent = "...";
    const [w, s, e, n] = bbox;
    const body = { type: "Polygon", coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
    const r = await fetch(`/statistics?bins=20&collection=${encodeURIComponent(map.config.collection)}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const j = await r.json();
    if (!r.ok) { out.textContent = j.description || "error"; return; }
    let html = "<table><tr><th>date</th><th>frame</th><th>mean dB</th><th>pixels</th></tr>";
    for (const im of j.images) html += `<tr><td>${esc(im.date)}</td><td>${esc(im.frame)}</td><td class="mean-db">${fmt(im.mean_db, 2)}</td><td>${im.count}</td></tr>`;
    html += "</table>";
    for (const c of j.change) {
      const rows = Object.entries(c.area_m2).filter(([k]) => k !== "nodata" && k !== "no_change");
      html += `<div>${esc(c.result_id)}: changed ${fmt(c.changed_area_m2 / 1e6, 3)} km&sup2;</div>`;
      html += rows.map(([k, v]) => `<div>&nbsp; ${esc(k)} ${fmt(v / 1e6, 3)} km&sup2;</div>`).join("");
    }
    out.innerHTML = html;
    out.dataset.ready = "1";
  }

  function bindPointer() {
    const el = map.el;
    let drag = null, drawing = false;
    $("draw-rect").addEventListener("click", () => { drawing = true; el.classList.add("drawing"); });
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || e.target !== el) return;
      el.setPointerCapture(e.pointerId);
      const r = el.getBoundingClientRect();
      drag = { x: e.clientX, y: e.clientY, x0: e.clientX - r.left, y0: e.clientY - r.top, moved: 0, draw: drawing };
    });
    el.addEventListener("pointermove", (e) => {
      const r = el.getBoundingClientRect();
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag.moved += Math.abs(dx) + Math.abs(dy);
      if (drag.draw) {
        const a = map.toLonLat(drag.x0, drag.y0), b = map.toLonLat(e.clientX - r.left, e.clientY - r.top);
        map.rect = [Math.min(a.lon, b.lon), Math.min(a.lat, b.lat), Math.max(a.lon, b.lon), Math.max(a.lat, b.lat)];
        map.schedule();
      } else {
        map.pan(dx, dy);
      }
      drag.x = e.clientX; drag.y = e.clientY;
    });
    el.addEventListener("pointerup", (e) => {
      if (!drag) return;
      const r = el.getBoundingClientRect();
      if (drag.draw) {
        drawing = false; el.classList.remove("drawing");
        if (map.rect && drag.moved > 4) statistics(map.rect);
      } else if (drag.moved < 4) {
        const ll = map.toLonLat(e.clientX - r.left, e.clientY - r.top);
        inspect(ll.lon, ll.lat);
      }
      drag = null;
    });
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      map.zoomAt(e.clientX - r.left, e.clientY - r.top, e.deltaY < 0 ? 1 : -1);
    }, { passive: false });
    el.addEventListener("dblclick", (e) => {
      const r = el.getBoundingClientRect(); map.zoomAt(e.clientX - r.left, e.clientY - r.top, 1);
    });
    $("zoom-in").addEventListener("click", () => map.zoomAt(map.width / 2, map.height / 2, 1));
    $("zoom-out").addEventListener("click", () => map.zoomAt(map.width / 2, map.height / 2, -1));
    el.addEventListener("keydown", (e) => {
      const k = { ArrowLeft: [64, 0], ArrowRight: [-64, 0], ArrowUp: [0, 64], ArrowDown: [0, -64] }[e.key];
      if (k) map.pan(k[0], k[1]);
      if (e.key === "+") map.zoomAt(map.width / 2, map.height / 2, 1);
      if (e.key === "-") map.zoomAt(map.width / 2, map.height / 2, -1);
    });
  }

  async function start() {
    const cfg = await (await fetch("/map/config.json")).json();
    map.config = cfg;
    map.setView(cfg.view.lon, cfg.view.lat, cfg.view.zoom);
    const first = cfg.pairs[0];
    for (const def of cfg.layers) {
      const l = map.addLayer(def);
      l.visible = first ? (def.id === first.before || def.id === first.after) : def === cfg.layers[cfg.layers.length - 1];
      layerRow(l, $("layers"));
    }
    for (const def of cfg.change_layers) layerRow(map.addLayer(def), $("change-layers"));
    $("vis-min").textContent = cfg.vis.min; $("vis-max").textContent = cfg.vis.max + " DN";
    $("vis-units").addEventListener("change", (e) => {  // sensible defaults when switching units
      const db = e.target.value === "db";
      $("vis-lo").value = db ? -25 : cfg.vis.min; $("vis-hi").value = db ? 0 : cfg.vis.max;
    });
    $("vis").addEventListener("submit", (e) => {
      e.preventDefault();
      const units = $("vis-units").value, lo = Number($("vis-lo").value), hi = Number($("vis-hi").value);
      if (!(hi > lo)) { $("status").textContent = "max must be greater than min"; return; }
      const params = { units, min: lo, max: hi, gamma: Number($("vis-gamma").value) || 1, palette: $("vis-palette").value };
      if (units === "dn" && lo === cfg.vis.min && hi === cfg.vis.max && params.gamma === 1 && !params.palette) {
        for (const k of Object.keys(params)) delete params[k];  // the collection's default
      } else if (params.gamma === 1) delete params.gamma;
      $("vis-min").textContent = lo + (units === "db" ? " dB" : "");
      $("vis-max").textContent = hi + (units === "db" ? " dB" : " DN");
      for (const l of map.layers) if (l.kind === "mosaic") l.setParams(params);
    });
    buildSwipe(cfg); buildTime(cfg); buildLegend(cfg); bindPointer();
    $("add-range").addEventListener("submit", (e) => {  // any date range, as filterDate + mosaic
      e.preventDefault();
      const start = $("range-start").value, end = $("range-end").value;
      if (!start || !end || end <= start) { $("status").textContent = "end must be after start"; return; }
      const id = `range-${start}-${end}`;
      if (map.layer(id)) return;
      const l = map.addLayer({ id, kind: "mosaic", role: start < cfg.event_date ? "before" : "after",
        name: `${start} .. ${end}`, sources: [`/tiles/mosaic/${cfg.collection}/{z}/{x}/{y}.png?start=${start}&end=${end}`] });
      l.visible = true;
      layerRow(l, $("layers"));
      for (const sel of [$("swipe-left"), $("swipe-right")]) sel.add(new Option(l.name, l.id));
      map.schedule();
    });
    const [coast, towns] = await Promise.all([
      fetch("/basemap/coastline.geojson").then((r) => r.json()),
      fetch("/basemap/towns.geojson").then((r) => r.json()),
    ]);
    map.coast = coast; map.towns = towns;
    map.schedule();
    map.el.dataset.ready = "1";
  }

  start().catch((err) => { $("status").textContent = "failed to start: " + err; throw err; });
})();
