// Open a web map page in Debian's headless Chromium and report what a reader's browser does.
//
//   node check.mjs PAGE.html OUT.json SHOT.png
//
// Records every request other than data:/about: and the page's own file, console errors and
// uncaught exceptions, the overlay layers (from the Leaflet objects in the page and from the
// layer control), a few coordinates of each overlay, the text of the title, legend and summary
// panels, the geodesic area the measure tool gives for a test square, and writes a screenshot.
// Every request that leaves the page is aborted, so nothing reaches the network. The pytest side
// (tests/test_browser.py) asserts on the JSON.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [page_path, out_path, shot_path] = process.argv.slice(2);
if (!page_path || !out_path || !shot_path) {
  console.error("usage: node check.mjs PAGE.html OUT.json SHOT.png");
  process.exit(2);
}
const page_url = pathToFileURL(resolve(page_path)).href;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "acg-chromium-"));

const report = { requests: [], console_errors: [], page_errors: [] };
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url === page_url) return route.continue();
    return route.abort();
  });
  context.on("request", (req) => {
    const url = req.url();
    if (url === page_url || url.startsWith("data:") || url.startsWith("about:")) return;
    report.requests.push(url);
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") report.console_errors.push(msg.text());
  });
  page.on("pageerror", (err) => report.page_errors.push(String(err)));

  await page.goto(page_url, { waitUntil: "load", timeout: 20000 });
  await page.waitForFunction(() => document.querySelector(".leaflet-overlay-pane svg path"), null, {
    timeout: 10000,
  });
  await page.waitForTimeout(300);

  Object.assign(report, await page.evaluate(() => {
    const maps = Object.keys(window)
      .filter((k) => k.startsWith("map_") && window[k] instanceof L.Map)
      .map((k) => window[k]);
    const map = maps[0];
    const overlays = [];
    map.eachLayer((layer) => {
      if (!(layer instanceof L.GeoJSON) || layer.acgId === undefined) return;
      const coords = [];
      layer.eachLayer((f) => {
        const gj = f.toGeoJSON(7).geometry;
        const rings = gj.type === "Polygon" ? [gj.coordinates] : gj.coordinates;
        for (const poly of rings) for (const ring of poly) coords.push(...ring);
      });
      overlays.push({ id: layer.acgId, features: layer.getLayers().length, coords });
    });
    const text = (id) => (document.getElementById(id) || { innerText: null }).innerText;
    const control_overlays = [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
      .map((l) => l.innerText.trim());
    const control_bases = [...document.querySelectorAll(".leaflet-control-layers-base label")]
      .map((l) => l.innerText.trim());
    let tile_layers = 0;
    map.eachLayer((layer) => { if (layer instanceof L.TileLayer) tile_layers += 1; });
    const sq = [[43.8, 125.1], [43.8, 125.2], [43.9, 125.2], [43.9, 125.1]].map((p) => L.latLng(p));
    return {
      map_count: maps.length,
      overlays,
      control_overlays,
      control_bases,
      tile_layers,
      title: text("acg-title"),
      legend: text("acg-legend"),
      summary: text("acg-summary"),
      measure_square: window.acgMeasureArea ? window.acgMeasureArea(sq) : null,
      injected_images: document.querySelectorAll('img[src="x"]').length,
      has_scale: !!document.querySelector(".leaflet-control-scale"),
      has_minimap: !!document.querySelector(".leaflet-control-minimap"),
      has_fullscreen: !!document.querySelector(".leaflet-control-zoom-fullscreen, .fullscreen-icon"),
      has_mouse_position: !!document.querySelector(".leaflet-control-mouseposition"),
      has_measure: !!document.querySelector(".acg-measure"),
    };
  }));

  // Hover the map centre so the mouse position control shows coordinates in the screenshot.
  await page.mouse.move(640, 420);
  await page.waitForTimeout(200);
  report.mouse_position = await page.evaluate(
    () => document.querySelector(".leaflet-control-mouseposition")?.innerText ?? null,
  );
  await page.screenshot({ path: shot_path });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(out_path, JSON.stringify(report, null, 1));
