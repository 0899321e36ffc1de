/**
 * The explorer's one HTML file: styles, the page's skeleton, the input (trace text and models) as
 * JSON, the worker's code (started from a Blob URL) and the page's code. Nothing is fetched, so the
 * same file works served from 127.0.0.1 and opened from disk offline.
 */
import type { ExploreInput } from './explorer.js';

export interface PageBundles {
  readonly page: string;
  readonly worker: string;
}

/** JSON or code made safe inside a <script> element: no `</script` or `<!--` can end it early. */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function jsonSafe(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const STYLE = `
:root { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2937; }
* { box-sizing: border-box; }
body { margin: 0; background: #f7f8fa; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 8px 14px; background: #1b2a41; color: #fff; position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 15px; margin: 0; font-weight: 600; }
header .models { color: #c7d2fe; }
header button, header select, header input { font: inherit; border: 1px solid #3b4b66; background: #24364f; color: #fff; border-radius: 4px; padding: 3px 8px; }
header button:hover { background: #2f4566; cursor: pointer; }
header input#op-input { width: 90px; text-align: right; }
header input#search { width: 180px; }
.group { display: flex; align-items: center; gap: 4px; }
#status { color: #d1d5db; font-size: 12px; }
#divergence { color: #fde68a; cursor: pointer; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(340px, 36%); grid-template-areas: "strip panels" "charts panels" "events panels" "ranges panels"; grid-template-rows: auto auto auto 1fr; gap: 0 12px; padding: 12px 14px; align-items: start; }
#card-strip { grid-area: strip; } #card-charts { grid-area: charts; } #card-events { grid-area: events; } #card-ranges { grid-area: ranges; } #panels { grid-area: panels; }
.card { background: #fff; border: 1px solid #e3e6eb; border-radius: 6px; padding: 8px 10px; margin-bottom: 12px; }
.card h2 span.muted { text-transform: none; letter-spacing: 0; font-weight: 400; }
.card h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6b7280; margin: 0 0 6px; display: flex; justify-content: space-between; align-items: center; gap: 8px; flex-wrap: wrap; }
.card h2 button { font: inherit; text-transform: none; letter-spacing: 0; border: 1px solid #d1d5db; background: #fff; border-radius: 4px; padding: 1px 6px; cursor: pointer; }
canvas.strip { width: 100%; height: 96px; display: block; cursor: grab; }
.strip-label { font-weight: 600; margin-top: 4px; }
.legend { display: flex; gap: 12px; font-size: 12px; color: #4b5563; flex-wrap: wrap; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 8px; }
.charts canvas { width: 100%; height: 78px; display: block; cursor: pointer; background: #fbfbfc; border-radius: 4px; }
table { border-collapse: collapse; }
#events { width: 100%; font-size: 12px; }
#events td, #events th { padding: 2px 6px; text-align: left; border-bottom: 1px solid #f0f1f3; white-space: nowrap; }
#events tr.current { background: #fff3c4; }
#events tr.diverge td { box-shadow: inset 0 -2px #7c3aed; }
#events tbody tr { cursor: pointer; }
#events tbody tr:hover { background: #f3f6fb; }
td.num, span.num { color: #6b7280; text-align: right; font-variant-numeric: tabular-nums; }
td.code, code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
.badge { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 8px; background: #e5e7eb; color: #374151; }
.badge.fail { background: #fde2e2; color: #b91c1c; } .badge.hang { background: #b91c1c; color: #fff; }
.badge.flush { background: #ede9fe; color: #6d28d9; } .badge.hit { background: #dcfce7; color: #166534; } .badge.b32 { background: #fef3c7; color: #92400e; }
.panels { display: grid; gap: 12px; min-width: 0; }
#panels, #panels * { min-width: 0; } .panels { grid-template-columns: minmax(0, 1fr); } #panels .card { overflow-x: auto; }
.panel { background: #fff; border: 1px solid #e3e6eb; border-radius: 6px; padding: 8px 10px; }
.panel h3 { margin: 0 0 4px; font-size: 14px; }
.result { margin-bottom: 4px; }
.why { background: #fff7ed; border-left: 3px solid #f59e0b; padding: 4px 8px; margin: 6px 0; }
table.facts { width: 100%; font-size: 12px; margin: 6px 0; }
table.facts th { text-align: left; font-weight: 500; color: #4b5563; padding: 1px 6px 1px 0; }
table.facts td { font-family: ui-monospace, Menlo, monospace; padding: 1px 6px; }
table.facts tr.changed td:last-child { background: #fef9c3; }
details.walk ol { margin: 4px 0; padding-left: 0; list-style: none; max-height: 220px; overflow: auto; font-family: ui-monospace, Menlo, monospace; font-size: 12px; }
details.walk li.pass1 { color: #b91c1c; } details.walk li.gap { color: #6b7280; font-style: italic; }
.rcache { overflow-x: auto; margin-top: 6px; }
.rcache table { font-size: 12px; }
.rcache th, .rcache td { border: 1px solid #eceef1; padding: 1px 6px; text-align: center; font-variant-numeric: tabular-nums; }
.muted { color: #6b7280; font-size: 12px; }
#ranges ol { margin: 0; padding-left: 0; list-style: none; columns: 2 260px; font-family: ui-monospace, Menlo, monospace; font-size: 12px; max-height: 260px; overflow: auto; }
#ranges li.state1 { border-left: 3px solid #2f6fdf; padding-left: 4px; } #ranges li.state2 { border-left: 3px solid #555b66; padding-left: 4px; } #ranges li.state3 { border-left: 3px solid #e59a1c; padding-left: 4px; }
#help[open] { display: block; } #help { display: none; position: fixed; right: 14px; top: 52px; background: #fff; border: 1px solid #d1d5db; border-radius: 6px; padding: 8px 12px; box-shadow: 0 4px 16px rgba(0,0,0,.12); z-index: 3; }
#help table td { padding: 1px 8px 1px 0; }
kbd { font-family: ui-monospace, Menlo, monospace; background: #f3f4f6; border: 1px solid #d1d5db; border-radius: 3px; padding: 0 4px; font-size: 11px; }
@media (max-width: 900px) { main { grid-template-columns: 1fr; grid-template-areas: "strip" "panels" "charts" "events" "ranges"; grid-template-rows: none; } #panels { margin-bottom: 12px; } }
`;

const BODY = `
<header>
  <h1 id="title"></h1><span class="models" id="models"></span>
  <div class="group">
    <button id="back" title="step back (←, shift: 100)">◀</button>
    <button id="play" title="play / pause (space)">▶</button>
    <button id="forward" title="step forward (→, shift: 100)">▶▶</button>
    <label>op <input id="op-input" type="number" min="0" value="0" title="go to operation (g)"></label><span id="op-count"></span>
    <select id="speed" title="operations per second when playing"><option value="2">2/s</option><option value="10" selected>10/s</option><option value="100">100/s</option><option value="1000">1k/s</option><option value="10000">10k/s</option></select>
  </div>
  <div class="group">
    <button id="next-fail" title="next failed allocation (f; shift+f: previous)">next fail</button>
    <button id="next-hang" title="next hang (h)">next hang</button>
    <button id="next-flush" title="next rcache flush (u)">next flush</button>
    <span id="divergence"></span>
  </div>
  <div class="group"><input id="search" type="search" placeholder="search ops and results (/)"></div>
  <span id="status"></span>
  <button onclick="document.getElementById('help').toggleAttribute('open')" title="keyboard shortcuts (?)">?</button>
</header>
<div id="help"><table>
<tr><td><kbd>space</kbd></td><td>play / pause</td></tr>
<tr><td><kbd>←</kbd> <kbd>→</kbd></td><td>step one operation (with shift: 100; PgUp/PgDn: 1000)</td></tr>
<tr><td><kbd>f</kbd> / <kbd>F</kbd></td><td>next / previous failure</td></tr>
<tr><td><kbd>h</kbd> <kbd>u</kbd> <kbd>d</kbd></td><td>next hang, next rcache flush, first divergence</td></tr>
<tr><td><kbd>g</kbd> <kbd>/</kbd></td><td>go to operation, search</td></tr>
<tr><td><kbd>+</kbd> <kbd>-</kbd> <kbd>0</kbd> <kbd>3</kbd> <kbd>z</kbd></td><td>zoom in, out, whole space, 32-bit space, the current operation</td></tr>
<tr><td>wheel, drag</td><td>zoom and pan the strip; double-click zooms in</td></tr>
</table></div>
<main>
  <div class="card" id="card-strip">
    <h2><span>IOVA space</span><span class="muted" id="window"></span><span><button id="whole">whole (0)</button> <button id="space32">32-bit (3)</button> <button id="zoom-op">this op (z)</button></span></h2>
    <div id="strips"></div>
    <div class="legend"><span><i style="background:#2f6fdf"></i>live</span><span><i style="background:#555b66"></i>reserved</span><span><i style="background:#e59a1c"></i>parked in a magazine</span><span><i style="background:#eef1f5;border:1px solid #ccc"></i>free</span><span><i style="background:#1b2a41"></i>walk step</span><span><i style="background:#c0392b"></i>retry-pass step</span><span><i style="border:2px solid #0b8a3e"></i>result</span><span><i style="background:#16a34a"></i>largest free 32-bit run</span></div>
    <p class="muted" id="notes"></p>
  </div>
  <div class="card" id="card-charts"><h2>over time <span class="muted">click to seek</span></h2><div class="charts"><canvas id="chart-nodes"></canvas><canvas id="chart-visits"></canvas><canvas id="chart-hits"></canvas><canvas id="chart-free32"></canvas></div></div>
  <div class="card" id="card-events"><h2>operations</h2><table id="events"><thead><tr id="events-head"><th>op</th><th>line</th><th>operation</th><th>printed</th></tr></thead><tbody id="events-body"></tbody></table></div>
  <div class="card" id="card-ranges"><h2>ranges in view</h2><div id="ranges"></div></div>
  <div class="panels" id="panels"></div>
</main>
`;

/** The whole page for an input. */
export function explorePageHtml(input: ExploreInput, bundles: PageBundles): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>iovasim explore</title>
<style>${STYLE}</style></head>
<body>${BODY}
<script type="application/json" id="explore-input">${jsonSafe(input)}</script>
<script type="text/plain" id="explore-worker">${scriptSafe(bundles.worker)}</script>
<script>${scriptSafe(bundles.page)}</script>
</body></html>
`;
}
