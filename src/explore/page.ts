/// <reference lib="dom" />
/**
 * The explorer page (bundled by esbuild into the HTML that ./page-html.ts writes). It holds no
 * model: the trace runs in a Web Worker (./worker.ts) through the real model classes, and the page
 * asks it for the state at the cursor, for event-list rows, for searches.
 *
 * State here is only what the user chose: the cursor (operation index), the window of the IOVA
 * strip (pfns, fractional), play speed. The URL hash holds cursor and window (#op=N&lo=A&hi=B), so
 * a view can be shared. Drawing is on canvases (strip, charts); panels are plain DOM.
 */
import type { ExploreInput, ExploreRow, ExploreSummary } from './explorer.js';
import { OUTCOME_32BIT, OUTCOME_ALLOC, OUTCOME_FAIL, OUTCOME_FLUSH, OUTCOME_HANG, OUTCOME_RCACHE_HIT } from './session.js';
import { RANGE_LIVE, RANGE_PARKED, RANGE_RESERVED, type ExploreView } from './view.js';

const COLOURS: Record<number, string> = { [RANGE_LIVE]: '#2f6fdf', [RANGE_RESERVED]: '#555b66', [RANGE_PARKED]: '#e59a1c' };
const FREE_COLOUR = '#eef1f5';
const LIST_ROWS = 15;
const MAX_LISTED_RANGES = 400;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

// --- worker ---------------------------------------------------------------------------------
const input = JSON.parse(($('explore-input') as HTMLScriptElement).textContent ?? '{}') as ExploreInput;
const workerUrl = URL.createObjectURL(new Blob([$('explore-worker').textContent ?? ''], { type: 'text/javascript' }));
const worker = new Worker(workerUrl);
let nextId = 1;
const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
worker.onmessage = (event: MessageEvent<{ id: number; result?: unknown; error?: string; skipped?: boolean }>) => {
  const pending = waiting.get(event.data.id);
  if (pending === undefined) return;
  waiting.delete(event.data.id);
  if (event.data.error !== undefined) pending.reject(new Error(event.data.error));
  else pending.resolve(event.data.skipped ? undefined : event.data.result);
};
function ask<T>(request: unknown): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    worker.postMessage({ id, request });
  });
}

// --- state ------------------------------------------------------------------------------------
let summary: ExploreSummary;
let cursor = 0;
let views: ExploreView[] = [];
let viewLo = 0;
let viewHi = 1;
let playing = false;
let lastFrame = 0;
let carry = 0;
let fullHi = 1;

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function hex(n: number): string {
  return '0x' + Math.round(n).toString(16);
}

function setStatus(text: string): void {
  $('status').textContent = text;
}

function outcomeBadges(outcome: number): string {
  const badges: string[] = [];
  if (outcome & OUTCOME_HANG) badges.push('<span class="badge hang">hang</span>');
  else if (outcome & OUTCOME_FAIL) badges.push('<span class="badge fail">fail</span>');
  if (outcome & OUTCOME_FLUSH) badges.push('<span class="badge flush">flush</span>');
  if (outcome & OUTCOME_RCACHE_HIT) badges.push('<span class="badge hit">rcache hit</span>');
  if (outcome & OUTCOME_32BIT) badges.push('<span class="badge b32">32-bit</span>');
  return badges.join(' ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

// --- navigation -------------------------------------------------------------------------------
let hashTimer = 0;
function writeHash(): void {
  window.clearTimeout(hashTimer);
  hashTimer = window.setTimeout(() => {
    history.replaceState(null, '', `#op=${cursor}&lo=${Math.floor(viewLo)}&hi=${Math.ceil(viewHi)}`);
  }, 120);
}

function readHash(): void {
  const params = new URLSearchParams(location.hash.slice(1));
  const op = Number(params.get('op'));
  const lo = Number(params.get('lo'));
  const hi = Number(params.get('hi'));
  if (params.has('lo') && params.has('hi') && Number.isFinite(lo) && Number.isFinite(hi) && hi > lo) {
    viewLo = lo;
    viewHi = hi;
  }
  if (params.has('op') && Number.isFinite(op)) void seek(op);
}

let seekSerial = 0;
async function seek(index: number): Promise<void> {
  cursor = clamp(Math.floor(index), 0, summary.opCount - 1);
  ($('op-input') as HTMLInputElement).value = String(cursor);
  $('op-count').textContent = `/ ${summary.opCount - 1}`;
  writeHash();
  drawCharts();
  const serial = ++seekSerial;
  void refreshRows(serial);
  const result = await ask<ExploreView[] | undefined>({ type: 'view', index: cursor });
  if (result === undefined || serial !== seekSerial) return;
  views = result;
  renderViews();
  document.body.dataset.cursor = String(cursor);
}

async function refreshRows(serial: number): Promise<void> {
  const from = Math.max(0, cursor - 5);
  const rows = await ask<ExploreRow[]>({ type: 'rows', from, count: LIST_ROWS });
  if (serial !== seekSerial) return;
  const body = $('events-body');
  body.innerHTML = rows
    .map((row) => {
      const cls = row.index === cursor ? ' class="current"' : row.index === summary.divergence ? ' class="diverge"' : '';
      const output = (o: string, i: number): string => `<td class="out">${escapeHtml(o.split('\n')[0])}${o.includes('\n') ? ' …' : ''} ${outcomeBadges(row.outcomes[i] & ~OUTCOME_32BIT)}</td>`;
      // Each model's own recorded stream: its operation beside its result.
      const texts = row.texts;
      if (texts !== undefined) return `<tr data-index="${row.index}"${cls}><td class="num">${row.index}</td><td class="num">${row.line}</td>${row.outputs.map((o, i) => `<td class="code">${escapeHtml(texts[i])}</td>${output(o, i)}`).join('')}</tr>`;
      return `<tr data-index="${row.index}"${cls}><td class="num">${row.index}</td><td class="num">${row.line}</td><td class="code">${escapeHtml(row.text)}</td>${row.outputs.map(output).join('')}</tr>`;
    })
    .join('');
}

async function findOutcome(bits: number, direction: 1 | -1): Promise<void> {
  const found = await ask<number>({ type: 'find', bits, from: cursor, direction });
  if (found < 0) setStatus(`no ${bits & OUTCOME_HANG ? 'hang' : bits & OUTCOME_FLUSH ? 'flush' : 'failure'} ${direction > 0 ? 'after' : 'before'} op ${cursor}`);
  else {
    setStatus('');
    await seek(found);
  }
}

async function search(direction: 1 | -1): Promise<void> {
  const text = ($('search') as HTMLInputElement).value;
  const found = await ask<number>({ type: 'search', text, from: cursor, direction });
  if (found < 0) setStatus(`"${text}" not found ${direction > 0 ? 'after' : 'before'} op ${cursor}`);
  else {
    setStatus('');
    await seek(found);
  }
}

// --- the strip ----------------------------------------------------------------------------------
function wholeSpace(): void {
  viewLo = 0;
  viewHi = fullHi;
}

function space32(): void {
  const v = views[0];
  if (v === undefined) return;
  viewLo = 0;
  viewHi = v.dma32BitPfn * 1.02;
}

function zoomAt(pfn: number, factor: number): void {
  const width = viewHi - viewLo;
  const newWidth = clamp(width * factor, 8, fullHi * 4);
  const t = (pfn - viewLo) / width;
  viewLo = pfn - t * newWidth;
  viewHi = viewLo + newWidth;
  drawStrips();
  renderRangeList();
  writeHash();
}

function zoomToCurrent(): void {
  const v = views[0];
  if (v === undefined) return;
  const result = resultRange(v);
  let lo = NaN;
  let hi = NaN;
  if (result !== null) {
    lo = v.ranges[2 * result];
    hi = v.ranges[2 * result + 1];
  } else if (v.walk.head.length > 0) {
    lo = Number(v.walk.head[v.walk.head.length - 1].lo);
    hi = Number(v.walk.head[0].hi);
  } else if (/^\d+ \d+$/.test(v.output)) {
    [lo, hi] = v.output.split(' ').map(Number);
  }
  if (!Number.isFinite(lo)) return;
  const pad = Math.max(16, (hi - lo + 1) * 4);
  viewLo = lo - pad;
  viewHi = hi + 1 + pad;
  drawStrips();
  renderRangeList();
  writeHash();
}

function firstRangeAtOrAfter(ranges: Float64Array, pfn: number): number {
  let lo = 0;
  let hi = ranges.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[2 * mid + 1] < pfn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The range an allocation returned (alloc prints LO HI, alloc_fast only LO), as an index into v.ranges. */
function resultRange(v: ExploreView): number | null {
  if (v.request === null || (v.outcome & (OUTCOME_FAIL | OUTCOME_HANG)) !== 0) return null;
  const lo = Number(v.output.split(' ')[0]);
  if (!Number.isFinite(lo)) return null;
  const i = firstRangeAtOrAfter(v.ranges, lo);
  return i < v.states.length && v.ranges[2 * i] <= lo ? i : null;
}

/** Sizes the canvas to its CSS box at the screen's pixel ratio; drawing is then in CSS pixels. */
function sizedContext(canvas: HTMLCanvasElement): { g: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.scale(ratio, ratio);
  return { g, width, height };
}

function drawStrip(canvas: HTMLCanvasElement, v: ExploreView): void {
  const { g, width, height } = sizedContext(canvas);
  const top = 30;
  const barHeight = height - top - 28;
  const scale = width / (viewHi - viewLo);
  const x = (pfn: number): number => (pfn - viewLo) * scale;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, width, height);
  g.fillStyle = FREE_COLOUR;
  g.fillRect(0, top, width, barHeight);
  // Below start_pfn nothing can be allocated.
  if (v.startPfn > viewLo) {
    g.fillStyle = '#d9dde3';
    g.fillRect(0, top, Math.min(width, x(v.startPfn)), barHeight);
  }
  const ranges = v.ranges;
  const count = ranges.length / 2;
  // Each range at least one pixel wide, so single granules stay visible in the whole space.
  for (let i = firstRangeAtOrAfter(ranges, viewLo); i < count; i++) {
    const lo = ranges[2 * i];
    if (lo > viewHi) break;
    const x0 = x(lo);
    const x1 = Math.max(x0 + 1, x(ranges[2 * i + 1] + 1));
    g.fillStyle = COLOURS[v.states[i]] ?? '#000';
    g.fillRect(x0, top, x1 - x0, barHeight);
    if (x1 - x0 > 3) {
      g.fillStyle = 'rgba(255,255,255,0.6)';
      g.fillRect(x1 - 1, top, 1, barHeight);
    }
  }
  // Granule grid when single granules are several pixels wide.
  if (scale >= 6) {
    g.fillStyle = 'rgba(0,0,0,0.12)';
    for (let p = Math.ceil(viewLo); p <= viewHi; p++) g.fillRect(x(p), top, 1, barHeight);
  }
  // The walk: every recorded rb_prev() step as a tick above the strip (pass 1 dark, retry red).
  for (const step of [...v.walk.head, ...v.walk.tail]) {
    g.fillStyle = step.pass === 0 ? '#1b2a41' : '#c0392b';
    const sx = x(Number(step.lo));
    if (sx >= -2 && sx <= width + 2) g.fillRect(sx, top - 6, 2, 5);
  }
  // Labels go in the first of their rows where they do not overlap one already drawn.
  const taken: { row: number; from: number; to: number }[] = [];
  g.font = '11px system-ui, sans-serif';
  const label = (mx: number, text: string, colour: string, rows: number[]): void => {
    const w = g.measureText(text).width;
    const from = Math.min(width - w - 2, Math.max(2, mx + 3));
    for (const row of rows) {
      if (taken.some((t) => t.row === row && from < t.to + 6 && from + w > t.from - 6)) continue;
      taken.push({ row, from, to: from + w });
      g.fillStyle = colour;
      g.fillText(text, from, row);
      return;
    }
  };
  const marker = (pfn: number, text: string, colour: string, rows: number[]): void => {
    const mx = x(pfn);
    if (mx < -40 || mx > width + 40) return;
    g.fillStyle = colour;
    g.fillRect(mx, top, 1.5, barHeight);
    label(mx, text, colour, rows);
  };
  const above = [11, 23];
  const below = [top + barHeight + 12, top + barHeight + 24];
  marker(v.startPfn, 'start_pfn', '#6b7280', below);
  marker(v.dma32BitPfn, '4 GiB (32-bit)', '#b91c1c', below);
  if (v.request !== null) {
    const limit = Number(v.request.limit);
    if (limit < fullHi * 2 && limit + 1 !== v.dma32BitPfn) marker(limit + 1, `limit ${v.request.limit}`, '#7c3aed', below);
  }
  if (v.after.cached32 !== null && v.after.cached !== null) {
    const c32 = Number(v.after.cached32[0]);
    const c = Number(v.after.cached[0]);
    if (c32 < fullHi * 2) marker(c32, 'cached32', '#0e7490', above);
    if (c < fullHi * 2 && c !== c32) marker(c, 'cached', '#0e7490', above);
  }
  // The result of this operation: outlined, and named above the strip.
  const result = resultRange(v);
  if (result !== null) {
    const parts = v.exact[result].split(' ');
    g.strokeStyle = '#0b8a3e';
    g.lineWidth = 2;
    const x0 = x(v.ranges[2 * result]);
    const x1 = Math.max(x0 + 3, x(v.ranges[2 * result + 1] + 1));
    g.strokeRect(x0 - 1, top - 1, x1 - x0 + 2, barHeight + 2);
    if (x1 >= 0 && x0 <= width) {
      g.fillStyle = '#0b8a3e';
      g.fillRect(x0, top - 8, Math.max(2, x1 - x0), 3);
      label(x0, `result [${parts[0]}, ${parts[1]}]`, '#0b8a3e', above.slice().reverse());
    }
  }
  // The largest free run below 4 GiB: where a 32-bit request would have to fit.
  if (v.free32.largest > 0) {
    const x0 = x(v.free32.at);
    const x1 = Math.max(x0 + 2, x(v.free32.at + v.free32.largest));
    if (x1 >= 0 && x0 <= width) {
      g.fillStyle = '#16a34a';
      g.fillRect(x0, top + barHeight + 2, x1 - x0, 3);
      label(x0, `largest free 32-bit run: ${v.free32.largest.toLocaleString()}`, '#15803d', below.slice().reverse());
    }
  }
}

function drawStrips(): void {
  views.forEach((v, i) => {
    const canvas = document.getElementById(`strip-${i}`) as HTMLCanvasElement | null;
    if (canvas !== null) drawStrip(canvas, v);
  });
  $('window').textContent = `pfns ${Math.max(0, Math.floor(viewLo)).toLocaleString()} – ${Math.ceil(viewHi).toLocaleString()} (${Math.round(viewHi - viewLo).toLocaleString()} granules)`;
}

// --- charts -------------------------------------------------------------------------------------
const CHARTS: { id: string; title: string; value: (s: ExploreSummary['samples'][number], i: number) => number }[] = [
  { id: 'chart-nodes', title: 'ranges in the tree', value: (s, i) => s.nodes[i] },
  { id: 'chart-visits', title: 'walk steps per op', value: (s, i) => (i === 0 ? s.visits[0] / (s.index[0] + 1) : (s.visits[i] - s.visits[i - 1]) / (s.index[i] - s.index[i - 1])) },
  {
    id: 'chart-hits',
    title: 'rcache hit rate',
    value: (s, i) => {
      const hits = s.hits[i] - (i > 0 ? s.hits[i - 1] : 0);
      const misses = s.misses[i] - (i > 0 ? s.misses[i - 1] : 0);
      return hits + misses === 0 ? 0 : hits / (hits + misses);
    },
  },
  { id: 'chart-free32', title: 'largest free run below 4 GiB', value: (s, i) => s.largestFree32[i] },
];
const SERIES_COLOURS = ['#2f6fdf', '#d9480f'];

function drawCharts(): void {
  if (summary === undefined) return;
  for (const chart of CHARTS) {
    const { g, width, height } = sizedContext($(chart.id) as HTMLCanvasElement);
    g.clearRect(0, 0, width, height);
    let max = 0;
    for (const s of summary.samples) for (let i = 0; i < s.index.length; i++) max = Math.max(max, chart.value(s, i));
    if (max === 0) max = 1;
    const plotTop = 16;
    const plotHeight = height - plotTop - 4;
    const xOf = (index: number): number => (index / Math.max(1, summary.opCount - 1)) * width;
    summary.samples.forEach((s, k) => {
      g.strokeStyle = SERIES_COLOURS[k];
      g.lineWidth = 1.2;
      g.beginPath();
      for (let i = 0; i < s.index.length; i++) {
        const px = xOf(s.index[i]);
        const py = plotTop + plotHeight - (chart.value(s, i) / max) * plotHeight;
        if (i === 0) g.moveTo(px, py);
        else g.lineTo(px, py);
      }
      g.stroke();
    });
    g.fillStyle = '#374151';
    g.font = '11px system-ui, sans-serif';
    const maxText = chart.id === 'chart-hits' ? `${Math.round(max * 100)} %` : Math.round(max).toLocaleString();
    g.fillText(`${chart.title} (max ${maxText})`, 4, 11);
    g.fillStyle = '#b91c1c';
    g.fillRect(xOf(cursor), plotTop, 1.5, plotHeight);
    if (summary.divergence >= 0) {
      g.fillStyle = '#7c3aed';
      g.fillRect(xOf(summary.divergence), plotTop, 1, plotHeight);
    }
  }
}

// --- panels -------------------------------------------------------------------------------------
function explain(v: ExploreView): string {
  if (v.request === null) return '';
  const parts: string[] = [];
  const size = Number(v.request.size);
  const is32 = (v.outcome & OUTCOME_32BIT) !== 0;
  const failed = (v.outcome & (OUTCOME_FAIL | OUTCOME_HANG)) !== 0;
  if (v.outcome & OUTCOME_RCACHE_HIT) parts.push('served by a magazine of this CPU: no walk.');
  if (failed && is32 && v.walk.total === 0 && v.before.max32AllocSize !== null && size >= Number(v.before.max32AllocSize)) {
    parts.push(
      `<b>failed fast</b>: ${size} granules ≥ max32_alloc_size ${v.before.max32AllocSize} (an earlier 32-bit request of that size failed after a full walk; only a free below 4 GiB resets it).`,
    );
  } else if (v.walk.total > 0) {
    const walk = `walked ${v.walk.total.toLocaleString()} range${v.walk.total === 1 ? '' : 's'} (rb_prev steps: ${v.walk.perPass[0].toLocaleString()} from the cached${is32 ? '32' : ''} node${v.walk.perPass[1] > 0 ? `, ${v.walk.perPass[1].toLocaleString()} in the retry pass from iova_find_limit()` : ''}${v.walk.walks > 1 ? `; ${v.walk.walks} walks: the rcache was flushed and the request retried` : ''})`;
    parts.push(failed ? `<b>failed</b> after it ${walk}: no gap of ${size} granules between start_pfn and the limit that the walk could reach.` : `${walk}.`);
  }
  if (failed && is32) {
    const fits = v.free32.largest >= size;
    // alloc_iova_fast() always asks size-aligned; alloc_iova() when its third argument is 1.
    const aligned = v.request.fast || v.request.flag === 1;
    parts.push(
      `Below 4 GiB now: ${v.free32.free.toLocaleString()} free granules, the largest run ${v.free32.largest.toLocaleString()}${fits ? ` — enough for ${size}${aligned ? `: either the run lies above the limit ${v.request.limit}, or it holds no block aligned to the next power of two (the request is size-aligned)` : `, so the run must lie above the limit ${v.request.limit}`}` : ` — smaller than the ${size} asked`}.`,
    );
    if (v.after.max32AllocSize !== null && v.after.max32AllocSize !== v.before.max32AllocSize) parts.push(`max32_alloc_size is now ${v.after.max32AllocSize}: 32-bit requests this large fail fast from here on.`);
  }
  if (v.outcome & OUTCOME_FLUSH) parts.push('The tree had no room: every CPU’s magazines and the depots were handed back to the tree (flush_rcache) and the request retried.');
  return parts.join(' ');
}

function factsRow(label: string, before: string, after: string): string {
  const changed = before !== after ? ' class="changed"' : '';
  return `<tr${changed}><th>${label}</th><td>${escapeHtml(before)}</td><td>${escapeHtml(after)}</td></tr>`;
}

function pairText(pair: [string, string] | null): string {
  if (pair === null) return '–';
  return pair[0] === '18446744073709551615' ? 'anchor' : `[${pair[0]}, ${pair[1]}]`;
}

function renderPanel(v: ExploreView, k: number): string {
  const rows: string[] = [];
  rows.push(`<h3>${escapeHtml(summary.labels[k])}</h3>`);
  rows.push(`<div class="result" id="result-${k}">op ${v.index} (line ${v.line}): <code>${escapeHtml(v.output.split('\n')[0] || '—')}</code> ${outcomeBadges(v.outcome)}</div>`);
  const why = explain(v);
  if (why !== '') rows.push(`<p class="why" id="why-${k}">${why}</p>`);
  if (v.before.cached !== null) {
    rows.push('<table class="facts"><tr><th></th><th>before</th><th>after</th></tr>');
    rows.push(factsRow('cached node', pairText(v.before.cached), pairText(v.after.cached)));
    rows.push(factsRow('cached32 node', pairText(v.before.cached32), pairText(v.after.cached32)));
    rows.push(factsRow('max32_alloc_size', v.before.max32AllocSize ?? '', v.after.max32AllocSize ?? ''));
    rows.push(factsRow('ranges (nodes)', String(v.before.nodes), String(v.after.nodes)));
    rows.push(factsRow('visits', v.before.visits.toLocaleString(), v.after.visits.toLocaleString()));
    rows.push('</table>');
  } else {
    rows.push(`<p class="muted">ranges ${v.after.nodes.toLocaleString()}, search steps ${v.after.visits.toLocaleString()}</p>`);
  }
  if (v.walk.total > 0) {
    const step = (s: ExploreView['walk']['head'][number], n: number): string =>
      `<li class="pass${s.pass}"><span class="num">${n}</span> ${s.pass === 1 ? 'retry ' : ''}[${s.lo}, ${s.hi}] → candidate ${s.newPfn}</li>`;
    const items = v.walk.head.map((s, i) => step(s, i + 1));
    if (v.walk.tail.length > 0) {
      items.push(`<li class="gap">… ${(v.walk.total - v.walk.head.length - v.walk.tail.length).toLocaleString()} more steps …</li>`);
      v.walk.tail.forEach((s, i) => items.push(step(s, v.walk.total - v.walk.tail.length + i + 1)));
    }
    rows.push(`<details class="walk" ${v.walk.total <= 40 ? 'open' : ''}><summary>walk: ${v.walk.total.toLocaleString()} rb_prev steps</summary><ol>${items.join('')}</ol></details>`);
  }
  if (v.rcache !== null) {
    const cpus = v.rcache.classes[0].cpus.length;
    const head = ['<tr><th>order</th><th>depot</th><th>trimmer</th>'];
    for (let c = 0; c < cpus; c++) head.push(`<th>cpu ${c}</th>`);
    head.push('</tr>');
    const body = v.rcache.classes.map((rc) => {
      const cells = rc.cpus.map(
        (cpu) =>
          `<td title="loaded: ${cpu.loaded.pfns.join(' ')}&#10;prev: ${cpu.prev.pfns.join(' ')}">${cpu.loaded.size} / ${cpu.prev.size}</td>`,
      );
      const depotTitle = rc.depot.map((m, i) => `mag ${i}: ${m.size}`).join('&#10;');
      return `<tr><th>${rc.order} <span class="muted">(${2 ** rc.order})</span></th><td title="${depotTitle}">${rc.depot.length}</td><td>${rc.workPending ? `due ${rc.workDueMs} ms` : '–'}</td>${cells.join('')}</tr>`;
    });
    rows.push(`<div class="rcache"><div class="muted">rcache at ${v.rcache.nowMs} ms: pfns in each CPU's loaded / prev magazine, full magazines in the depot (hover a cell for its pfns)</div><table>${head.join('')}${body.join('')}</table></div>`);
  }
  return rows.join('');
}

function renderRangeList(): void {
  const v = views[0];
  if (v === undefined) return;
  const from = firstRangeAtOrAfter(v.ranges, viewLo);
  let to = from;
  while (to < v.states.length && v.ranges[2 * to] <= viewHi) to++;
  const list = $('ranges');
  const names: Record<number, string> = { [RANGE_LIVE]: 'live', [RANGE_RESERVED]: 'reserved', [RANGE_PARKED]: 'in a magazine' };
  if (to - from > MAX_LISTED_RANGES) {
    list.innerHTML = `<p class="muted">${(to - from).toLocaleString()} ranges in view: zoom in to list them.</p>`;
    return;
  }
  const items: string[] = [];
  for (let i = from; i < to; i++) {
    const [lo, hi] = v.exact[i].split(' ');
    items.push(`<li data-range="${v.exact[i]}" class="state${v.states[i]}">${lo} – ${hi} <span class="muted">${hex(v.ranges[2 * i] * v.granule)} · ${names[v.states[i]]}</span></li>`);
  }
  list.innerHTML = `<p class="muted">${to - from} range${to - from === 1 ? '' : 's'} in view (pfns, as dump prints them)</p><ol>${items.join('')}</ol>`;
}

function renderViews(): void {
  const strips = $('strips');
  if (strips.childElementCount !== views.length) {
    strips.innerHTML = views.map((_, i) => `<div class="strip-label">${escapeHtml(summary.labels[i])}</div><canvas id="strip-${i}" class="strip"></canvas>`).join('');
    for (let i = 0; i < views.length; i++) attachStripEvents(document.getElementById(`strip-${i}`) as HTMLCanvasElement);
  }
  let highest = views[0].dma32BitPfn * 1.05;
  for (const v of views) if (v.ranges.length > 0) highest = Math.max(highest, v.ranges[v.ranges.length - 1] * 1.02);
  const firstTime = fullHi === 1;
  fullHi = Math.max(fullHi, highest);
  if (firstTime && !location.hash.includes('lo=')) wholeSpace();
  drawStrips();
  $('panels').innerHTML = views.map((v, k) => `<section class="panel">${renderPanel(v, k)}</section>`).join('');
  renderRangeList();
}

// --- input --------------------------------------------------------------------------------------
function attachStripEvents(canvas: HTMLCanvasElement): void {
  let dragFrom: number | null = null;
  let dragLo = 0;
  const pfnAt = (clientX: number): number => {
    const box = canvas.getBoundingClientRect();
    return viewLo + ((clientX - box.left) / box.width) * (viewHi - viewLo);
  };
  canvas.addEventListener('wheel', (event) => {
    event.preventDefault();
    zoomAt(pfnAt(event.clientX), event.deltaY > 0 ? 1.25 : 0.8);
  });
  canvas.addEventListener('mousedown', (event) => {
    dragFrom = event.clientX;
    dragLo = viewLo;
  });
  window.addEventListener('mouseup', () => (dragFrom = null));
  window.addEventListener('mousemove', (event) => {
    if (dragFrom === null) return;
    const box = canvas.getBoundingClientRect();
    const shift = ((event.clientX - dragFrom) / box.width) * (viewHi - viewLo);
    const width = viewHi - viewLo;
    viewLo = dragLo - shift;
    viewHi = viewLo + width;
    drawStrips();
  });
  canvas.addEventListener('mouseup', () => {
    renderRangeList();
    writeHash();
  });
  canvas.addEventListener('dblclick', (event) => zoomAt(pfnAt(event.clientX), 0.25));
  canvas.addEventListener('mousemove', (event) => {
    const pfn = Math.floor(pfnAt(event.clientX));
    const v = views[0];
    const i = firstRangeAtOrAfter(v.ranges, pfn);
    const inside = i < v.states.length && v.ranges[2 * i] <= pfn;
    canvas.title = `pfn ${pfn.toLocaleString()} (IOVA ${hex(pfn * v.granule)})${inside ? `\nrange ${v.exact[i]}` : '\nfree'}`;
  });
}

function step(delta: number): void {
  void seek(cursor + delta);
}

function togglePlay(): void {
  playing = !playing;
  $('play').textContent = playing ? '⏸' : '▶';
  if (playing) {
    lastFrame = performance.now();
    carry = 0;
    requestAnimationFrame(frame);
  }
}

function frame(now: number): void {
  if (!playing) return;
  const speed = Number(($('speed') as HTMLSelectElement).value);
  carry += ((now - lastFrame) / 1000) * speed;
  lastFrame = now;
  const advance = Math.floor(carry);
  if (advance > 0) {
    carry -= advance;
    if (cursor + advance >= summary.opCount - 1) {
      void seek(summary.opCount - 1);
      togglePlay();
      return;
    }
    void seek(cursor + advance);
  }
  requestAnimationFrame(frame);
}

function onKey(event: KeyboardEvent): void {
  const target = event.target as HTMLElement;
  if (target.tagName === 'INPUT' || target.tagName === 'SELECT') {
    if (event.key === 'Escape') target.blur();
    return;
  }
  const big = event.shiftKey ? 100 : 1;
  const actions: Record<string, () => void> = {
    ' ': togglePlay,
    ArrowRight: () => step(big),
    ArrowLeft: () => step(-big),
    PageDown: () => step(1000),
    PageUp: () => step(-1000),
    Home: () => void seek(0),
    End: () => void seek(summary.opCount - 1),
    f: () => void findOutcome(OUTCOME_FAIL | OUTCOME_HANG, 1),
    F: () => void findOutcome(OUTCOME_FAIL | OUTCOME_HANG, -1),
    h: () => void findOutcome(OUTCOME_HANG, 1),
    u: () => void findOutcome(OUTCOME_FLUSH, 1),
    d: () => {
      if (summary.divergence >= 0) void seek(summary.divergence);
    },
    g: () => ($('op-input') as HTMLInputElement).select(),
    '/': () => ($('search') as HTMLInputElement).focus(),
    '+': () => zoomAt((viewLo + viewHi) / 2, 0.5),
    '=': () => zoomAt((viewLo + viewHi) / 2, 0.5),
    '-': () => zoomAt((viewLo + viewHi) / 2, 2),
    '0': () => {
      wholeSpace();
      zoomAt((viewLo + viewHi) / 2, 1);
    },
    '3': () => {
      space32();
      zoomAt((viewLo + viewHi) / 2, 1);
    },
    z: zoomToCurrent,
    '?': () => $('help').toggleAttribute('open'),
  };
  const action = actions[event.key];
  if (action !== undefined) {
    event.preventDefault();
    action();
  }
}

function chartClick(event: MouseEvent): void {
  const canvas = event.currentTarget as HTMLCanvasElement;
  const box = canvas.getBoundingClientRect();
  void seek(((event.clientX - box.left) / box.width) * (summary.opCount - 1));
}

async function start(): Promise<void> {
  document.title = `iovasim explore — ${input.name}`;
  $('title').textContent = input.name;
  $('notes').textContent = input.notes.join(' ');
  setStatus('running the trace through the model…');
  const started = performance.now();
  try {
    summary = await ask<ExploreSummary>({ type: 'open', input });
  } catch (error) {
    setStatus(`cannot open: ${(error as Error).message}`);
    document.body.dataset.error = (error as Error).message;
    return;
  }
  const openedMs = performance.now() - started;
  $('models').textContent = summary.labels.join('  vs  ');
  if (summary.labels.length === 2) {
    $('divergence').textContent = summary.divergence < 0 ? 'no divergence: every operation printed the same' : `first divergence at op ${summary.divergence} (d)`;
    $('divergence').dataset.index = String(summary.divergence);
    $('events-head').innerHTML = summary.ownTraces
      ? `<th>op</th><th>line</th><th>operation: ${escapeHtml(summary.labels[0])}</th><th>result</th><th>operation: ${escapeHtml(summary.labels[1])}</th><th>result</th>`
      : `<th>op</th><th>line</th><th>operation</th><th>${escapeHtml(summary.labels[0])}</th><th>${escapeHtml(summary.labels[1])}</th>`;
    if (summary.ownTraces) {
      $('divergence').textContent = `${summary.divergence < 0 ? 'the two recorded streams are identical' : `the recorded streams first differ at op ${summary.divergence} (d)`}; each model ran its own simulation, compared by operation index`;
    }
  }
  const failures = summary.outcomes[0].reduce((n, o) => n + ((o & (OUTCOME_FAIL | OUTCOME_HANG)) !== 0 && (o & OUTCOME_ALLOC) !== 0 ? 1 : 0), 0);
  setStatus(`${summary.opCount.toLocaleString()} operations, ${failures.toLocaleString()} failed allocations; opened in ${Math.round(openedMs)} ms`);
  document.body.dataset.ready = '1';
  document.body.dataset.openMs = String(Math.round(openedMs));
  window.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', readHash);
  window.addEventListener('resize', () => {
    drawStrips();
    drawCharts();
  });
  for (const chart of CHARTS) $(chart.id).addEventListener('click', chartClick);
  $('play').addEventListener('click', togglePlay);
  $('back').addEventListener('click', () => step(-1));
  $('forward').addEventListener('click', () => step(1));
  $('next-fail').addEventListener('click', () => void findOutcome(OUTCOME_FAIL | OUTCOME_HANG, 1));
  $('next-hang').addEventListener('click', () => void findOutcome(OUTCOME_HANG, 1));
  $('next-flush').addEventListener('click', () => void findOutcome(OUTCOME_FLUSH, 1));
  $('whole').addEventListener('click', () => onKey(new KeyboardEvent('keydown', { key: '0' })));
  $('space32').addEventListener('click', () => onKey(new KeyboardEvent('keydown', { key: '3' })));
  $('zoom-op').addEventListener('click', zoomToCurrent);
  $('divergence').addEventListener('click', () => {
    if (summary.divergence >= 0) void seek(summary.divergence);
  });
  $('op-input').addEventListener('change', () => void seek(Number(($('op-input') as HTMLInputElement).value)));
  $('search').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') void search(event.shiftKey ? -1 : 1);
  });
  $('events-body').addEventListener('click', (event) => {
    const row = (event.target as HTMLElement).closest('tr');
    if (row?.dataset.index !== undefined) void seek(Number(row.dataset.index));
  });
  if (location.hash.includes('op=')) readHash();
  else await seek(0);
}

void start();
