// The measure tool of the autocity-gis web map: the geodesic (WGS 84 ellipsoid) area and
// perimeter of a polygon the reader clicks, computed with geographiclib. Labels come from the
// page's data and are written as text.
(function () {
  "use strict";

  // Exposed so that tests can check the arithmetic against pyproj.Geod.
  window.acgMeasureArea = function (latlngs) {
    var p = geodesic.Geodesic.WGS84.Polygon(false);
    latlngs.forEach(function (ll) { p.AddPoint(ll.lat, ll.lng); });
    var r = p.Compute(false, true);
    return { area_m2: Math.abs(r.area || 0), perimeter_m: r.perimeter || 0 };
  };

  var ICON =
    '<svg viewBox="0 0 20 20" width="18" height="18" style="margin-top:6px">' +
    '<path d="M3 16 L9 3 L17 9 L13 17 Z" fill="none" stroke="#333" stroke-width="1.8" ' +
    'stroke-dasharray="3 2"/></svg>';

  function say(out, rows, note) {
    out.textContent = "";
    rows.forEach(function (row, i) {
      if (i) out.appendChild(document.createElement("br"));
      out.appendChild(document.createTextNode(row));
    });
    if (note) {
      out.appendChild(document.createElement("br"));
      var small = document.createElement("small");
      small.textContent = note;
      out.appendChild(small);
    }
    out.style.display = "block";
  }

  window.acgMeasureControl = function (map, T) {
    var Ctl = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var bar = L.DomUtil.create("div", "leaflet-bar acg-measure");
        var a = L.DomUtil.create("a", "", bar);
        a.href = "#";
        a.title = T.measure;
        a.setAttribute("role", "button");
        a.innerHTML = ICON; // a constant of this file
        this._out = L.DomUtil.create("div", "acg-measure-out", bar);
        this._out.style.display = "none";
        L.DomEvent.disableClickPropagation(bar);
        L.DomEvent.on(a, "click", function (e) {
          L.DomEvent.preventDefault(e);
          this._toggle();
        }, this);
        return bar;
      },
      _toggle: function () {
        if (this._on) { this._stop(); return; }
        this._on = true;
        this._pts = [];
        this._shape = L.polygon([], { color: "#000", weight: 2, dashArray: "4 4",
          fillOpacity: 0.1, interactive: false }).addTo(map);
        map.doubleClickZoom.disable();
        map.getContainer().style.cursor = "crosshair";
        map.on("click", this._add, this);
        map.on("dblclick", this._finish, this);
        say(this._out, [T.measure_hint]);
      },
      _add: function (e) {
        this._pts.push(e.latlng);
        this._shape.setLatLngs(this._pts);
        this._report();
      },
      _finish: function () {
        map.off("click", this._add, this);
        map.off("dblclick", this._finish, this);
        map.getContainer().style.cursor = "";
        this._report();
      },
      _report: function () {
        if (this._pts.length < 3) { say(this._out, [T.measure_hint]); return; }
        var r = window.acgMeasureArea(this._pts);
        say(this._out, [
          T.area + ": " + (r.area_m2 / 1e6).toFixed(3) + " km\u00b2",
          T.perimeter + ": " + (r.perimeter_m / 1e3).toFixed(3) + " km",
        ], T.geodesic_note);
      },
      _stop: function () {
        this._finish();
        this._on = false;
        map.doubleClickZoom.enable();
        if (this._shape) map.removeLayer(this._shape);
        this._out.style.display = "none";
      },
    });
    new Ctl().addTo(map);
  };
})();
