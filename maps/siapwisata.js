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

  function setup(map, cfg) {
    if (cfg.zoom) {
      L.control.zoom({ position: "topleft", zoomInTitle: "Perbesar", zoomOutTitle: "Perkecil" })
        .addTo(map);
    }
    L.control.scale({ position: "bottomleft", imperial: false }).addTo(map);
    if (cfg.banner) { banner(map, cfg.banner); }
    if (cfg.title) { control(map, "bottomleft", "sw-title", cfg.title); }
    if (cfg.legend) { control(map, "bottomright", "sw-legend", cfg.legend); }
    if (cfg.attribution && map.attributionControl) {
      map.attributionControl.setPrefix("Leaflet");
      for (var i = 0; i < cfg.attribution.length; i++) {
        map.attributionControl.addAttribution(cfg.attribution[i]);
      }
    }
    if (cfg.measure) { translateMeasure(map); }
    if (cfg.fit) {
      // keep the region clear of the legend (bottom right) and the controls (top left)
      var wide = map.getSize().x > 900;
      map.fitBounds(cfg.fit, { paddingTopLeft: [wide ? 50 : 10, 40],
                               paddingBottomRight: [wide && cfg.legend ? 260 : 10, 10],
                               animate: false });
    }
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
                        basemaps: basemaps, vectorBasemap: vectorBasemap };
})(window);
