// Open web map pages in Debian's headless Chromium and report the text a reader sees.
//
//   node texts.mjs OUT.json PAGE.html [PAGE.html ...]
//
// For each page (one browser for all): every request other than data:/about: and the page's own
// file (each is aborted, so nothing reaches the network), console errors, uncaught exceptions,
// whether window.__pwned was set, injected elements, document.title, and -- as lists of the
// text nodes they hold, read with textContent so nothing is normalised -- the title, summary and
// legend panels, each layer-control label, and each overlay feature's tooltip and popup (opened
// one after the other). The pytest side (tests/test_webmap_payloads.py) asserts on the JSON.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [out_path, ...pages] = process.argv.slice(2);
if (!out_path || !pages.length) {
  console.error("usage: node texts.mjs OUT.json PAGE.html [PAGE.html ...]");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "acg-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const results = [];
try {
  for (const page_path of pages) {
    const page_url = pathToFileURL(resolve(page_path)).href;
    const report = { page: page_path, requests: [], console_errors: [], page_errors: [] };
    await context.unroute("**/*");
    await context.route("**/*", (route) =>
      route.request().url() === page_url ? route.continue() : route.abort());
    const page = await context.newPage();
    page.on("request", (req) => {
      const url = req.url();
      if (url === page_url || url.startsWith("data:") || url.startsWith("about:")) return;
      report.requests.push(url);
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") report.console_errors.push(msg.text());
    });
    page.on("pageerror", (err) => report.page_errors.push(String(err)));
    page.on("dialog", (dialog) => dialog.dismiss());
    await page.goto(page_url, { waitUntil: "load", timeout: 20000 });
    await page.waitForFunction(() => document.querySelector(".leaflet-overlay-pane svg path"),
      null, { timeout: 10000 });
    Object.assign(report, await page.evaluate(() => {
      const nodes = (root) => {
        const out = [];
        if (!root) return out;
        const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) out.push(walk.currentNode.data);
        return out;
      };
      const map = Object.keys(window)
        .filter((k) => k.startsWith("map_") && window[k] instanceof L.Map)
        .map((k) => window[k])[0];
      const features = [];
      map.eachLayer((layer) => {
        if (!(layer instanceof L.GeoJSON) || layer.acgId === undefined) return;
        layer.eachLayer((f) => {
          f.openTooltip(f.getBounds().getCenter());
          const tip = nodes(f.getTooltip().getElement());
          f.closeTooltip();
          f.openPopup(f.getBounds().getCenter());
          const popup = nodes(f.getPopup().getElement().querySelector(".leaflet-popup-content"));
          f.closePopup();
          features.push({ layer: layer.acgId, tip, popup });
        });
      });
      return {
        pwned: window.__pwned === undefined ? null : String(window.__pwned),
        // document.title itself is normalised by the browser (whitespace collapsed, controls
        // dropped); the <title> element holds the text as written.
        title: (document.querySelector("title") || { textContent: null }).textContent,
        panels: {
          title: nodes(document.getElementById("acg-title")),
          summary: nodes(document.getElementById("acg-summary")),
          legend: nodes(document.getElementById("acg-legend")),
        },
        controls: [...document.querySelectorAll(".leaflet-control-layers-overlays label")]
          .map((label) => nodes(label)),
        features,
        injected: document.scripts.length + document.images.length,
        bold_x: [...document.querySelectorAll("b")].filter((b) => b.textContent === "x").length,
      };
    }));
    await page.close();
    results.push(report);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(out_path, JSON.stringify(results, null, 1));
