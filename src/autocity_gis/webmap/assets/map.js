// The autocity-gis web map: overlays, tooltips, popups, panels and controls, built from data.
//
// Everything a recipe, a layer or a report says arrives as JSON in the page's data island, the
// element with id "acg-data" (written by webmap/_page.py from webmap/_document.py), and is put on
// the page with textContent, so names are shown literally -- braces, quotes, tags and all -- and
// are never parsed as HTML, script or template. Rich text is a list of lines; a line is a list of
// [text, kind] spans (kind "" plain, "b", "i", "est", "muted", "ok", "bad", "note").
// The generated page calls acgStart(map) once the Leaflet map exists.
(function () {
  "use strict";

  var SPAN = {
    b: ["b", ""],
    i: ["i", ""],
    est: ["span", "acg-est"],
    muted: ["span", "acg-muted"],
    ok: ["span", "acg-ok"],
    bad: ["span", "acg-bad"],
    note: ["small", "acg-note"],
  };

  function el(tag, cls, parent) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(tag, cls, value, parent) {
    var node = el(tag, cls, parent);
    node.textContent = value;
    return node;
  }

  // The mouse-position plugin takes its prefix as HTML: let the browser's own serialiser
  // escape the text.
  function htmlOfText(value) {
    return text("span", "", value).innerHTML;
  }

  // Leaflet's layer control writes each label with innerHTML, which would parse a name as
  // markup (and turn a carriage return into a newline): the label is given empty and filled
  // with the layer's own DOM label instead, each time the control redraws its list.
  var LayerControl = L.Control.Layers.extend({
    _addItem: function (obj) {
      var label = L.Control.Layers.prototype._addItem.call(this, obj);
      var name = label.querySelector("span > span");
      if (name && obj.layer.acgLabel) {
        name.textContent = " ";
        name.appendChild(obj.layer.acgLabel.cloneNode(true));
      }
      return label;
    },
  });

  // Each span is an element of its own with bidi isolation (map.css, .acg-t): a right-to-left
  // override in one name cannot reorder the text around it.
  function line(spans, parent) {
    spans.forEach(function (span) {
      var kind = SPAN[span[1]] || ["span", ""];
      text(kind[0], "acg-t " + kind[1], span[0], parent);
    });
    return parent;
  }

  function lines(list, parent) {
    list.forEach(function (spans, i) {
      if (i) el("br", "", parent);
      line(spans, parent);
    });
    return parent;
  }

  function swatch(spec, parent) {
    var node = el("span", "acg-swatch", parent);
    node.style.border = spec.border;
    node.style.background = spec.background;
    return node;
  }

  function popupNode(popup) {
    var div = lines(popup.lines, el("div", "acg-popup-body"));
    if (!popup.rows.length) return div;
    var table = el("table", "acg-popup", div);
    popup.rows.forEach(function (row) {
      var tr = el("tr", "", table);
      text("td", "", row[0], tr);
      text("td", "", row[1], tr);
    });
    return div;
  }

  function overlay(spec) {
    var layer = L.geoJSON({ type: "FeatureCollection", features: spec.features }, {
      style: function (f) { return f.properties.style; },
      onEachFeature: function (f, shape) {
        var p = f.properties;
        shape.bindTooltip(function () { return lines(p.tip, el("div", "acg-tip")); },
          { sticky: true });
        shape.bindPopup(function () { return popupNode(p.popup); }, { maxWidth: 380 });
      },
    });
    layer.acgId = spec.id;
    return layer;
  }

  function controlLabel(spec) {
    var holder = el("span", "acg-label");
    swatch(spec.swatch, holder);
    line(spec.label, holder);
    return holder;
  }

  function tileOptions(b, key) {
    return {
      attribution: b.attribution, // a constant of the toolkit (webmap/_basemaps.py)
      subdomains: b.subdomains,
      maxZoom: b.max_zoom,
      tk: b.needs_key ? encodeURIComponent(key) : "",
    };
  }

  function basemapLayer(b, key) {
    var tiles = L.tileLayer(b.url, tileOptions(b, key));
    if (!b.labels_url) return tiles;
    return L.layerGroup([tiles, L.tileLayer(b.labels_url, tileOptions(b, key))]);
  }

  // A basemap that needs a key is left out while there is none: no tile is ever requested
  // with an empty key.
  // One line in the title panel when tiles cannot be loaded (an intranet, a train): the
  // overlays are in the page and complete, only the background is missing.
  function noticeTileFailures(layer, text) {
    var said = false;
    layer.eachLayer ? layer.eachLayer(watch) : watch(layer);
    function watch(tiles) {
      tiles.on("tileerror", function () {
        var title = document.getElementById("acg-title");
        if (said || !title) return;
        said = true;
        var note = el("p", "acg-tiles-failed", title);
        note.textContent = text;
      });
    }
  }

  function addBasemaps(map, basemaps, key, control, text) {
    basemaps.forEach(function (b) {
      if (b.needs_key && !key) return;
      var layer = basemapLayer(b, key);
      noticeTileFailures(layer, text.tiles_failed);
      layer.acgLabel = line([[b.label, ""]], el("span", "acg-label"));
      control.addBaseLayer(layer, "");
      if (b.shown) layer.addTo(map);
    });
  }

  function addOverlays(map, layers, control) {
    layers.forEach(function (spec) {
      var layer = overlay(spec).addTo(map);
      layer.acgLabel = controlLabel(spec);
      control.addOverlay(layer, "");
    });
  }

  function panel(map, id, position, build) {
    var ctl = L.control({ position: position });
    ctl.onAdd = function () {
      var div = el("div", "acg-panel " + id);
      div.id = id;
      build(div);
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
  }

  function titlePanel(spec) {
    return function (div) {
      text("h1", "", spec.heading, div);
      if (spec.sub) text("p", "", spec.sub, div);
      spec.notes.forEach(function (note) { line(note, el("small", "", el("p", "", div))); });
    };
  }

  function summaryPanel(spec) {
    return function (div) {
      var details = el("details", "", div);
      details.open = true;
      text("summary", "", spec.heading, details);
      var totals = el("table", "", details);
      spec.totals.forEach(function (row) {
        var tr = el("tr", "", totals);
        text("td", "", row[0], tr);
        line(row[1], el("td", "", tr));
      });
      el("hr", "", details);
      var parts = el("table", "", details);
      var head = el("tr", "", parts);
      spec.head.forEach(function (h) { text("th", "", h, head); });
      spec.rows.forEach(function (row) {
        var tr = el("tr", row.muted ? "acg-muted" : "", parts);
        tr.setAttribute("data-id", row.id);
        row.cells.forEach(function (cell) { line(cell, el("td", "", tr)); });
      });
      spec.notes.forEach(function (note) { line(note, el("small", "", el("p", "", details))); });
    };
  }

  function legendPanel(spec) {
    return function (div) {
      text("h2", "", spec.heading, div);
      spec.entries.forEach(function (entry) {
        var row = el("div", "", div);
        swatch(entry.swatch, row);
        line(entry.label, row);
      });
    };
  }

  function addMiniMap(map, spec, basemaps, key) {
    var parts = [];
    var b = spec.basemap === null ? null : basemaps[spec.basemap];
    if (b && (!b.needs_key || key)) {
      parts.push(L.tileLayer(b.url, { subdomains: b.subdomains, maxZoom: 18,
        tk: b.needs_key ? encodeURIComponent(key) : "" }));
    }
    parts.push(L.geoJSON(spec.geometry,
      { style: { color: "#111111", weight: 1, fill: true, fillOpacity: 0.1 } }));
    new L.Control.MiniMap(L.layerGroup(parts), {
      position: "bottomleft", toggleDisplay: true, zoomLevelOffset: -5, width: 130, height: 110,
    }).addTo(map);
  }

  window.acgStart = function (map) {
    var data = JSON.parse(document.getElementById("acg-data").textContent);
    document.title = data.title;
    if (data.bounds) {
      // Room for the legend on the left and the title and summary panels on the right.
      map.fitBounds(data.bounds, { paddingTopLeft: [300, 20], paddingBottomRight: [490, 20] });
    }
    var key = window.acgTiandituKey(data.tianditu, data.text.tianditu_prompt);
    var control = new LayerControl(null, null, { position: "topright", collapsed: true });
    addBasemaps(map, data.basemaps, key, control, data.text);
    L.control.scale({ imperial: !data.metric_only }).addTo(map);
    addOverlays(map, data.layers, control);
    panel(map, "acg-title", "topright", titlePanel(data.panels.title));
    panel(map, "acg-summary", "topright", summaryPanel(data.panels.summary));
    L.control.fullscreen({ position: "topleft" }).addTo(map);
    window.acgMeasureControl(map, data.text);
    panel(map, "acg-legend", "topleft", legendPanel(data.panels.legend));
    L.control.mousePosition({
      position: "bottomleft", separator: " , ", prefix: htmlOfText(data.mouse_prefix),
      numDigits: 6, lngFirst: true, emptyString: "",
    }).addTo(map);
    addMiniMap(map, data.minimap, data.basemaps, key);
    control.addTo(map);
  };
})();
