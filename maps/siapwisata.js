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

  window.SiapWisata = { setup: setup, reachOnPopup: reachOnPopup, translateText: translateText,
                        text: text, textTooltip: textTooltip, searchTip: searchTip };
})(window);
