/* SIAP Wisata map furniture: legend, synthetic-data banner, credits, Indonesian labels
 * for the third-party controls, and the per-destination reach overlay.
 * Plain ES5 on top of Leaflet; no other dependency. Served by the API at /static/app/. */
(function (window) {
  "use strict";
  var L = window.L;

  // leaflet-measure ships no Indonesian locale and keeps its i18n private, so its
  // English strings are replaced in the DOM as they appear.
  var MEASURE_ID = {
    "Measure distances and areas": "Ukur jarak dan luas",
    "Measure": "Ukur",
    "Create a new measurement": "Buat pengukuran baru",
    "Start creating a measurement by adding points to the map":
      "Mulai mengukur dengan menambahkan titik di peta",
    "Finish measurement": "Selesai mengukur",
    "Last point": "Titik terakhir",
    "Area": "Luas",
    "Perimeter": "Keliling",
    "Point location": "Lokasi titik",
    "Area measurement": "Pengukuran luas",
    "Linear measurement": "Pengukuran jarak",
    "Path distance": "Jarak lintasan",
    "Center on this area": "Pusatkan pada area ini",
    "Center on this line": "Pusatkan pada garis ini",
    "Center on this location": "Pusatkan pada lokasi ini",
    "Cancel": "Batal",
    "Delete": "Hapus"
  };
  var UNIT_ID = [
    [/ Kilometers\b/g, " km"], [/ Meters\b/g, " m"], [/ Hectares\b/g, " ha"],
    [/ Sq Meters\b/g, " m²"]
  ];

  function translateText(root) {
    var walker = window.document.createTreeWalker(root, window.NodeFilter.SHOW_TEXT, null);
    var node;
    while ((node = walker.nextNode())) {
      var raw = node.nodeValue;
      var key = raw.trim();
      if (MEASURE_ID.hasOwnProperty(key)) {
        node.nodeValue = raw.replace(key, MEASURE_ID[key]);
      } else {
        var out = raw;
        for (var i = 0; i < UNIT_ID.length; i++) { out = out.replace(UNIT_ID[i][0], UNIT_ID[i][1]); }
        if (out !== raw) { node.nodeValue = out; }
      }
    }
    var titled = root.querySelectorAll ? root.querySelectorAll("[title]") : [];
    for (var j = 0; j < titled.length; j++) {
      var t = titled[j].getAttribute("title");
      if (MEASURE_ID.hasOwnProperty(t)) { titled[j].setAttribute("title", MEASURE_ID[t]); }
    }
  }

  function translateMeasure(map) {
    var box = map.getContainer();
    var busy = false;
    function run() {
      if (busy) { return; }
      busy = true;
      var scopes = box.querySelectorAll(".leaflet-control-measure, .leaflet-measure-resultpopup");
      for (var i = 0; i < scopes.length; i++) { translateText(scopes[i]); }
      busy = false;
    }
    run();
    if (window.MutationObserver) {
      new window.MutationObserver(run).observe(box, { childList: true, subtree: true });
    }
  }

  // Names and labels come from agency spreadsheets, OSM and boundary files: they are
  // always put into the page as text, never parsed as HTML (Leaflet's bindTooltip and
  // leaflet-search take a string as HTML).
  function text(value, tag) {
    var el = window.document.createElement(tag || "span");
    el.textContent = value === null || value === undefined ? "" : String(value);
    return el;
  }

  function textTooltip(layer, value, options) {
    return layer.bindTooltip(text(value), options);
  }

  // leaflet-search's buildTip: one suggestion as a text-only list item.
  function searchTip(value) {
    return text(value, "li");
  }

  function control(map, position, className, html) {
    var c = L.control({ position: position });
    c.onAdd = function () {
      var div = L.DomUtil.create("div", className);
      div.innerHTML = html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    c.addTo(map);
    return c;
  }

  function banner(map, text) {
    // Inside the map container so it stays visible in fullscreen mode.
    var div = L.DomUtil.create("div", "sw-banner", map.getContainer());
    div.setAttribute("role", "status");
    div.textContent = text;
  }

  // Road sections reachable within 15 and 30 minutes of the destination whose popup is
  // open, fetched from the API on demand (keeps the page small). Failure is harmless:
  // the map saved as a file simply has no on-demand overlay. Drawn above the roads (the
  // regency's land fill is at the back of the same SVG); destinations have their own pane.
  function reachOnPopup(map, layer, cfg) {
    var overlay = null;
    var seq = 0;
    function clear() {
      if (overlay) { map.removeLayer(overlay); overlay = null; }
    }
    layer.on("popupopen", function (e) {
      var f = e.layer && e.layer.feature;
      if (!f || !f.properties || f.properties.id === undefined || !window.fetch) { return; }
      var mine = ++seq;
      var url = cfg.url.replace("{id}", encodeURIComponent(f.properties.id));
      window.fetch(url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || mine !== seq) { return; }
          clear();
          overlay = L.geoJSON(data, {
            interactive: false,
            style: function (feat) {
              return cfg.styles[String(feat.properties.minutes)] || cfg.styles["30"];
            }
          }).addTo(map);
        })
        .catch(function () { /* offline file copy: no API to ask */ });
    });
    layer.on("popupclose", function () { seq++; clear(); });
  }

  // Phones and narrow windows: at most this wide, the legend and the side panel start
  // collapsed (they would cover the whole map).
  var NARROW_PX = 600;

  function narrow(map) { return map.getSize().x <= NARROW_PX; }

  function rectOf(el) {
    if (!el || !el.getBoundingClientRect) { return null; }
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? r : null;
  }

  function overlaps(a, b) {
    return !!(a && b && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom);
  }

  // The banners (synthetic data, and the "sedang menghitung ulang" banner the server puts
  // after <body>) must stay readable: ours goes below the freshness banner, and when a
  // control at the top (search box, layer control, account widget) would cover either,
  // the top controls move below them. Run again on resize and when a banner changes size.
  function clearBanners(map) {
    var box = map.getContainer();
    var doc = window.document;
    var top = box.getBoundingClientRect().top;
    var stale = doc.getElementById("sw-stale");
    var own = box.querySelector(".sw-banner");
    var staleRect = rectOf(stale);
    if (own) { own.style.top = (staleRect ? staleRect.bottom - top + 4 : 8) + "px"; }
    var corners = [map._controlCorners.topleft, map._controlCorners.topright];
    var account = doc.querySelector("nav.akun");
    var i, j;
    for (i = 0; i < corners.length; i++) { corners[i].style.top = ""; }
    if (account) { account.style.top = ""; }
    var banners = [staleRect, rectOf(own)].filter(function (r) { return r; });
    if (!banners.length) { return; }
    var controls = Array.prototype.slice.call(box.querySelectorAll(".leaflet-top .leaflet-control"));
    if (account) { controls.push(account); }
    var hit = false;
    for (i = 0; i < controls.length && !hit; i++) {
      for (j = 0; j < banners.length; j++) {
        if (overlaps(rectOf(controls[i]), banners[j])) { hit = true; break; }
      }
    }
    if (!hit) { return; }
    var bottom = 0;
    for (j = 0; j < banners.length; j++) { bottom = Math.max(bottom, banners[j].bottom); }
    for (i = 0; i < corners.length; i++) { corners[i].style.top = (bottom - top + 2) + "px"; }
    if (account) { account.style.top = (bottom + 10) + "px"; }
  }

  function watchBanners(map) {
    function run() { clearBanners(map); }
    run();
    map.on("resize", run);
    window.addEventListener("resize", run);
    var stale = window.document.getElementById("sw-stale");
    if (stale && window.ResizeObserver) { new window.ResizeObserver(run).observe(stale); }
  }

  // Left padding that keeps the fitted region clear of an open side panel.
  function leftPadding(map) {
    if (narrow(map)) { return 10; }
    var panel = map.getContainer().querySelector(".sw-panel details[open]");
    var r = rectOf(panel);
    return r ? Math.round(r.right - map.getContainer().getBoundingClientRect().left + 20) : 50;
  }

  function refit(map) {
    var cfg = map._siapWisata;
    if (!cfg || !cfg.fit) { return; }
    var wide = !narrow(map) && map.getSize().x > 900;
    map.fitBounds(cfg.fit, { paddingTopLeft: [leftPadding(map), 40],
                             paddingBottomRight: [wide && cfg.legend ? 260 : 10, 10],
                             animate: false });
  }

  function setup(map, cfg) {
    map._siapWisata = cfg;
    if (cfg.zoom) {
      L.control.zoom({ position: "topleft", zoomInTitle: "Perbesar", zoomOutTitle: "Perkecil" })
        .addTo(map);
    }
    L.control.scale({ position: "bottomleft", imperial: false }).addTo(map);
    if (cfg.banner) { banner(map, cfg.banner); }
    if (cfg.title) { control(map, "bottomleft", "sw-title", cfg.title); }
    if (cfg.legend) {
      var legend = control(map, "bottomright", "sw-legend", cfg.legend);
      var details = legend.getContainer().querySelector("details");
      if (details && narrow(map)) { details.open = false; }
    }
    if (cfg.attribution && map.attributionControl) {
      map.attributionControl.setPrefix("Leaflet");
      for (var i = 0; i < cfg.attribution.length; i++) {
        map.attributionControl.addAttribution(cfg.attribution[i]);
      }
    }
    if (cfg.measure) { translateMeasure(map); }
    watchBanners(map);
    refit(map);
  }

  // Gateways: a small symbol each, and a permanent name label, right of the symbol or
  // else left of it. A label that would overlap an earlier one either way (airports first,
  // then ports: `priority`) is hidden after each zoom and shown again when there is room;
  // the name stays in the symbol's title.
  var LABEL_SIDES = [["right", [9, 0]], ["left", [-9, 0]]];

  function gateways(map, group, cfg) {
    var rows = cfg.rows.slice().sort(function (a, b) { return a.priority - b.priority; });
    var markers = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var dot = window.document.createElement("div");
      dot.className = "sw-gw-dot";
      dot.style.background = r.color;
      var m = L.marker([r.lat, r.lon], {
        icon: L.divIcon({ html: dot, className: "sw-gw-icon", iconSize: [14, 14], iconAnchor: [7, 7] }),
        title: r.title, keyboard: false
      });
      m.bindTooltip(text(r.label), { permanent: true, direction: "right", offset: [9, 0],
                                     className: "sw-gw-label", interactive: false });
      m.addTo(group);
      markers.push(m);
    }
    function place(tip, side) {
      tip.options.direction = side[0];
      tip.options.offset = side[1];
      tip.update();
      return rectOf(tip.getElement());
    }
    function declutter() {
      if (!map.hasLayer(group)) { return; }
      var kept = [];
      for (var k = 0; k < markers.length; k++) {
        var tip = markers[k].getTooltip();
        var el = tip && tip.getElement();
        if (!el) { continue; }
        el.style.visibility = "";
        var box = null;
        for (var s = 0; s < LABEL_SIDES.length && !box; s++) {
          box = place(tip, LABEL_SIDES[s]);
          for (var q = 0; q < kept.length && box; q++) {
            if (overlaps(box, kept[q])) { box = null; }
          }
        }
        if (box) { kept.push(box); } else { place(tip, LABEL_SIDES[0]); el.style.visibility = "hidden"; }
      }
    }
    map.on("zoomend moveend resize overlayadd", declutter);
    declutter();
    return { declutter: declutter };
  }

  function option(select, value, label) {
    var o = text(label, "option");
    o.value = value;
    select.appendChild(o);
    return o;
  }

  function labelled(parent, caption, cls) {
    var wrap = L.DomUtil.create("label", cls, parent);
    wrap.appendChild(text(caption));
    var select = L.DomUtil.create("select", "", wrap);
    return select;
  }

  // Readiness map: "Dihambat oleh …" keeps only the destinations whose bottleneck is the
  // chosen agency; "Warnai menurut …" colours them by that agency's score (properties
  // `bottleneck` and `dims` of each feature), and the legend follows. Agencies are the
  // dimensions of readiness.toml, passed in cfg.dimensions.
  function destinationTools(map, layer, cfg) {
    var all = layer.getLayers();
    var c = L.control({ position: "topleft" });
    var filter, colour, count;
    c.onAdd = function () {
      var div = L.DomUtil.create("div", "sw-tools");
      filter = labelled(div, "Dihambat oleh", "sw-filter");
      colour = labelled(div, "Warnai menurut", "sw-colour");
      option(filter, "", "semua");
      option(colour, "", "kesiapan total");
      for (var i = 0; i < cfg.dimensions.length; i++) {
        var d = cfg.dimensions[i];
        option(filter, d.key, d.agency);
        option(colour, d.key, d.agency);
      }
      count = L.DomUtil.create("div", "sw-count", div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      L.DomEvent.on(filter, "change", applyFilter);
      L.DomEvent.on(colour, "change", applyColour);
      return div;
    };
    function binColor(score) {
      if (score === null || score === undefined || !isFinite(score)) { return cfg.unknown; }
      for (var i = 0; i < cfg.edges.length; i++) {
        if (score < cfg.edges[i]) { return cfg.colors[i]; }
      }
      return cfg.colors[cfg.colors.length - 1];
    }
    function applyFilter() {
      var key = filter.value, shown = 0;
      for (var i = 0; i < all.length; i++) {
        var keep = key === "" || all[i].feature.properties.bottleneck === key;
        if (keep) { shown++; }
        if (keep && !layer.hasLayer(all[i])) { layer.addLayer(all[i]); }
        if (!keep && layer.hasLayer(all[i])) { layer.removeLayer(all[i]); }
      }
      count.textContent = shown + " dari " + all.length + " destinasi";
    }
    function applyColour() {
      var key = colour.value;
      for (var i = 0; i < all.length; i++) {
        var p = all[i].feature.properties;
        all[i].setStyle({ fillColor: key ? binColor((p.dims || {})[key]) : p.style.fillColor });
      }
      var box = map.getContainer();
      var byClass = box.querySelector(".sw-by-class");
      var byAgency = box.querySelector(".sw-by-agency");
      if (byClass) { byClass.hidden = !!key; }
      if (byAgency) {
        byAgency.hidden = !key;
        var title = byAgency.querySelector("h4");
        var chosen = colour.options[colour.selectedIndex];
        if (title && key) { title.textContent = "Skor " + chosen.textContent + " (0–100)"; }
      }
    }
    c.addTo(map);
    clearBanners(map);
    applyFilter();
    return { filter: filter, colour: colour, applyFilter: applyFilter, applyColour: applyColour };
  }

  // Priorities map: the listed sections in a panel below the zoom buttons (collapsed on
  // phones). A click flies to the section and draws it thick on a dark casing, in front,
  // with every other section (and the budget halo) faded; "Tampilkan semua" undoes it.
  function sectionPanel(map, layer, halo, cfg) {
    var doc = window.document;
    var all = layer.getLayers();
    var focus = null;
    var buttons = [];
    var c = L.control({ position: "topleft" });
    var details;
    c.onAdd = function () {
      var div = L.DomUtil.create("div", "sw-panel");
      details = L.DomUtil.create("details", "", div);
      details.open = !narrow(map);
      details.appendChild(text(cfg.title, "summary"));
      if (cfg.note) { details.appendChild(text(cfg.note, "p")).className = "note"; }
      var reset = L.DomUtil.create("button", "sw-reset", details);
      reset.type = "button";
      reset.textContent = "Tampilkan semua ruas";
      reset.hidden = true;
      L.DomEvent.on(reset, "click", function () { clear(); reset.hidden = true; });
      var list = L.DomUtil.create("ol", "", details);
      for (var i = 0; i < cfg.rows.length; i++) {
        var r = cfg.rows[i];
        var li = L.DomUtil.create("li", "", list);
        var b = L.DomUtil.create("button", "sw-section", li);
        b.type = "button";
        b.setAttribute("data-ruas", r.id);
        var head = text(r.rank + ". " + r.name, "b");
        b.appendChild(head);
        b.appendChild(text(r.detail, "span"));
        b.appendChild(text(r.cost, "span")).className = "cost";
        L.DomEvent.on(b, "click", pick(r.id, reset));
        buttons.push(b);
      }
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    function sections(id) {
      return all.filter(function (l) { return l.feature.properties.ruas_id === id; });
    }
    function clear() {
      if (focus) { map.removeLayer(focus); focus = null; }
      for (var i = 0; i < all.length; i++) { all[i].setStyle(all[i].feature.properties.style); }
      if (halo) { halo.eachLayer(function (l) { l.setStyle(l.feature.properties.style); }); }
      for (var j = 0; j < buttons.length; j++) { buttons[j].removeAttribute("aria-current"); }
    }
    function show(id) {
      clear();
      var hits = sections(id);
      if (!hits.length) { return null; }
      for (var i = 0; i < all.length; i++) {
        if (hits.indexOf(all[i]) < 0) { all[i].setStyle({ opacity: cfg.dimmed }); }
      }
      if (halo) { halo.setStyle({ opacity: cfg.dimmed }); }
      focus = L.featureGroup(hits.map(function (h) {
        return L.polyline(h.getLatLngs(), L.extend({ interactive: false }, cfg.casing));
      })).addTo(map);
      var bounds = L.latLngBounds([]);
      for (var k = 0; k < hits.length; k++) {
        hits[k].setStyle(cfg.focus);
        hits[k].bringToFront();
        bounds.extend(hits[k].getBounds());
      }
      for (var j = 0; j < buttons.length; j++) {
        if (buttons[j].getAttribute("data-ruas") === id) { buttons[j].setAttribute("aria-current", "true"); }
      }
      return bounds;
    }
    function pick(id, reset) {
      return function () {
        var bounds = show(id);
        if (!bounds) { return; }
        reset.hidden = false;
        if (narrow(map)) { details.open = false; }
        map.flyToBounds(bounds, { paddingTopLeft: [leftPadding(map), 50],
                                  paddingBottomRight: [narrow(map) ? 20 : 60, 40],
                                  maxZoom: 16, duration: 0.8 });
      };
    }
    c.addTo(map);
    refit(map);
    return { show: show, clear: clear };
  }

  // --- basemaps (maps/_basemaps.py) ---------------------------------------------------
  // The regency's pale land fill stands in for a basemap; under a real one it would hide
  // it, so it is cleared while a basemap is shown and restored for "Tanpa peta dasar".
  function landFill(map, visible) {
    map.eachLayer(function (l) {
      if (l.options && l.options.swLand && l.setStyle) { l.setStyle({ fillOpacity: visible ? 1 : 0 }); }
    });
  }

  function basemaps(map, first, none) {
    map.on("baselayerchange", function (e) { landFill(map, e.layer === none); });
    // after the page's script has added the boundary layers
    window.setTimeout(function () { landFill(map, !map.hasLayer(first)); }, 0);
    // A browser without internet although the server is set online: when the first
    // tiles all fail, show no basemap rather than an empty grey one.
    var loaded = 0, failed = 0;
    first.on("tileload", function () { loaded++; });
    first.on("tileerror", function () {
      failed++;
      if (failed >= 4 && loaded === 0 && map.hasLayer(first)) {
        map.removeLayer(first);
        map.addLayer(none);
        landFill(map, true);
      }
    });
  }

  // A basic style for vector tiles of any schema: polygons, lines and names by layer id.
  var VECTOR_KINDS = [
    [/water|ocean|sea|lake|river|hydro/i, { fill: "#aad3df", line: "#7fb8d0", width: 1 }],
    [/park|green|wood|forest|landcover|vegetation/i, { fill: "#d7ead0", line: null }],
    [/landuse|land|earth|area/i, { fill: "#f1efe8", line: null }],
    [/building/i, { fill: "#d9d0c9", line: "#c4b8ae", width: 0.5 }],
    [/road|street|transport|highway|way|track|path/i, { fill: null, line: "#ffffff", width: 2, casing: "#b9b2a8" }],
    [/boundar|admin/i, { fill: null, line: "#9e8fb8", width: 1, dash: [4, 3] }]
  ];

  function vectorRules(P, layers) {
    var paint = [], labels = [], G = P.GeomType;
    function isPolygon(z, f) { return f.geomType === G.Polygon; }
    function isLine(z, f) { return f.geomType === G.Line; }
    for (var i = 0; i < layers.length; i++) {
      var id = layers[i], kind = { fill: "#ece9e1", line: "#bdb6aa", width: 0.5 };
      for (var k = 0; k < VECTOR_KINDS.length; k++) {
        if (VECTOR_KINDS[k][0].test(id)) { kind = VECTOR_KINDS[k][1]; break; }
      }
      if (kind.fill) {
        paint.push({ dataLayer: id, filter: isPolygon,
                     symbolizer: new P.PolygonSymbolizer({ fill: kind.fill }) });
      }
      if (kind.casing) {
        paint.push({ dataLayer: id, filter: isLine,
                     symbolizer: new P.LineSymbolizer({ color: kind.casing, width: kind.width + 1.5 }) });
      }
      if (kind.line) {
        paint.push({ dataLayer: id, filter: isLine,
                     symbolizer: new P.LineSymbolizer({ color: kind.line, width: kind.width,
                                                        dash: kind.dash }) });
      }
      if (/place|label|poi|name/i.test(id)) {
        labels.push({ dataLayer: id, symbolizer: new P.CenteredTextSymbolizer({
          labelProps: ["name:id", "name"], fill: "#333", stroke: "#fff", width: 2,
          font: "500 12px system-ui, sans-serif" }) });
      }
    }
    return { paint: paint, labels: labels };
  }

  function vectorBasemap(cfg) {
    var P = window.protomapsL;
    var opts = { url: cfg.url, attribution: cfg.attribution, minZoom: cfg.minZoom,
                 maxZoom: cfg.maxZoom, maxDataZoom: cfg.maxDataZoom };
    if (cfg.bounds) { opts.bounds = cfg.bounds; }
    if (cfg.style === "protomaps") {
      opts.flavor = "light";
      opts.lang = "id";
    } else {
      var rules = vectorRules(P, cfg.layers || []);
      opts.paintRules = rules.paint;
      opts.labelRules = rules.labels;
      opts.backgroundColor = "#f4f2ec";
    }
    return P.leafletLayer(opts);
  }

  window.SiapWisata = { setup: setup, reachOnPopup: reachOnPopup, translateText: translateText,
                        text: text, textTooltip: textTooltip, searchTip: searchTip,
                        basemaps: basemaps, vectorBasemap: vectorBasemap,
                        gateways: gateways, destinationTools: destinationTools,
                        sectionPanel: sectionPanel, clearBanners: clearBanners, refit: refit };
})(window);
