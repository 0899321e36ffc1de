/**
 * The HTML report: ONE self-contained file (inline CSS, inline SVG charts drawn by ./svg.ts, the
 * occupancy picture as a PNG data: URI from ./png.ts; no scripts, fonts or network). For several
 * variants (--compare) every chart overlays them and the tables put them side by side.
 *
 * Charts (ids for tests and links): chart-iops, chart-latency-cdf, chart-alloc-steps,
 * chart-rcache-hit, chart-depot-magazines, chart-live-iovas, chart-lock-wait, and the occupancy
 * pictures in chart-occupancy (images occupancy-0, occupancy-1, …). An IOMMU-trace replay report
 * has chart-placement and chart-occupancy (occupancy-recorded, occupancy-0, …).
 *
 * A chart with nothing to show (every value of every variant zero, or no data at all) is not drawn:
 * a flat line at zero looks like a broken page. Instead the list #omitted-charts says in one line
 * per chart why it is absent (`<li data-chart="chart-lock-wait">`). The header states the measured
 * window (#measured-window), and reads and writes have a table of their own (#direction-table), as
 * fio reports them.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { COST_MODEL_KEYS } from '../sim/cost-model.js';
import type { SimulationResult } from '../sim/engine.js';
import type { PlacementResult } from '../sim/ftrace-replay.js';
import { measuredWindowText } from '../sim/measured-window.js';
import { occupancyPng } from './png.js';
import { scenarioDifferences, scenarioYaml } from './scenario-text.js';
import { barChart, colourOf, compactNumber, escapeXml, lineChart, percentileChart, scatterChart } from './svg.js';

export interface ReportRun {
  /** The variant's name in legends and table headers. */
  readonly label: string;
  readonly result: SimulationResult;
}

export interface ReportPlacement {
  readonly label: string;
  readonly placement: PlacementResult;
}

export interface HtmlReportInput {
  readonly title: string;
  /** The command line that produced the report, shown under the title. */
  readonly command?: string;
  readonly input?: { readonly file: string; readonly format: string; readonly summary?: string };
  /** Approximations and caveats, shown in a box near the top. */
  readonly notes?: readonly string[];
  /** Simulation runs (iovasim run, iovasim replay of a block trace). */
  readonly runs?: readonly ReportRun[];
  /** Mapping placements (iovasim replay of an IOMMU ftrace capture). */
  readonly placements?: readonly ReportPlacement[];
  /** Shown in the footer (e.g. "iovasim 0.1.0"). */
  readonly generator?: string;
}

/** The chart ids a simulation report contains (each an <svg> or, for occupancy, a <figure>). */
export const REPORT_CHART_IDS = ['chart-iops', 'chart-latency-cdf', 'chart-alloc-steps', 'chart-rcache-hit', 'chart-depot-magazines', 'chart-live-iovas', 'chart-lock-wait', 'chart-occupancy'] as const;
/** The chart ids an IOMMU-trace placement report contains. */
export const PLACEMENT_CHART_IDS = ['chart-placement', 'chart-occupancy'] as const;

const CSS = `
:root{--fg:#1b2330;--muted:#5d6778;--bg:#f5f6f8;--card:#fff;--line:#e2e6ec;--accent:#1f77b4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:28px 28px 64px}
@media (max-width:700px){main{padding:20px 14px 48px}}
header h1{font-size:27px;line-height:1.2;margin:0 0 6px;letter-spacing:-.01em}
header .sub{color:var(--muted);margin:2px 0}
header code{font-size:13px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
section{margin-top:34px}
h2{font-size:19px;margin:0 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:16px 0 6px}
p.lead{color:var(--muted);margin:0 0 14px;max-width:80ch}
.notes{background:#fff8e5;border:1px solid #efd48b;border-radius:10px;padding:10px 16px;margin-top:18px}
.notes ul{margin:6px 0;padding-left:20px}.notes li{margin:2px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:18px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 16px;min-width:150px}
.card .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .k{color:var(--muted);font-size:12.5px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(540px,100%),1fr));gap:18px}
figure.chart{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px 10px;margin:0;min-width:0}
figure.chart svg{width:100%;height:auto;display:block}
figure.chart h3{margin:0 0 2px}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.chart-svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#3a4352}
.chart-svg .axis-label{font-size:12.5px;font-weight:600;fill:#1b2330}
.chart-svg .grid{stroke:#e9ecf1;stroke-width:1}
.chart-svg .grid-v{stroke-dasharray:2 3}
.chart-svg .axis,.chart-svg .tick-mark{stroke:#8b94a4;stroke-width:1}
.chart-svg .no-data{fill:#8b94a4;font-style:italic;font-size:14px}
.chart-svg .legend text{font-size:12px;fill:#1b2330}
.chart-svg .bar-value{font-size:11px;fill:#3a4352}
ul.omitted{color:var(--muted);font-size:13.5px;margin:14px 0 0;padding-left:20px}ul.omitted li{margin:3px 0}
.table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600}
th:first-child,td:first-child{text-align:left}
tr:last-child td{border-bottom:none}
td.unit{color:var(--muted);text-align:left;font-size:12.5px}
td.best{font-weight:700}
table.differences td:nth-child(2),table.differences td:nth-child(3),table.differences th:nth-child(2),table.differences th:nth-child(3){text-align:left}
.swatch{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.occ-grid{display:flex;flex-wrap:wrap;gap:22px}
.occ{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px;flex:0 0 auto;width:392px}
.occ h3{margin-top:0}
.occ .pic{display:flex;gap:8px}
.occ .rows{position:relative;width:92px;height:256px;font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted)}
.occ .rows span{position:absolute;right:0;transform:translateY(-50%)}
img.occupancy{width:256px;height:256px;image-rendering:crisp-edges;image-rendering:pixelated;border:1px solid #cfd5de;display:block}
.ramp{display:flex;align-items:center;gap:8px;font-size:12.5px;color:var(--muted);margin-top:8px}
.ramp i{display:inline-block;width:140px;height:10px;border-radius:3px;border:1px solid #cfd5de;background:linear-gradient(90deg,#f4f6fa 0%,#c6dbef 1%,#4292c6 50%,#08306b 100%)}
pre{background:#101824;color:#e4ebf3;padding:14px 16px;border-radius:10px;overflow:auto;font-size:12.5px;line-height:1.5;margin:0}
details{margin-top:10px}summary{cursor:pointer;color:var(--accent)}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media print{body{background:#fff}figure.chart,.occ,.table-wrap{break-inside:avoid}}
`;

const esc = escapeXml;
const fixed = (digits: number) => (v: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

interface MetricRow {
  readonly label: string;
  readonly unit: string;
  readonly value: (r: SimulationResult) => number;
  readonly format: (v: number) => string;
  /** Which way is better, for bolding the best variant. */
  readonly better?: 'higher' | 'lower';
}

/** Latency in µs as the tables print it: one decimal below 1 ms, so close percentiles stay apart. */
const latency = (v: number): string => (!Number.isFinite(v) ? '–' : v < 1000 ? v.toFixed(1) : v.toFixed(0));

/** All IOVA allocations the rcache was asked for: hits, misses and sizes too large for it. */
const allocations = (r: SimulationResult): number => r.rcache.hits + r.rcache.misses + r.rcache.tooLarge;

const METRICS: readonly MetricRow[] = [
  { label: 'Throughput', unit: 'IOPS', value: (r) => r.iops, format: compactNumber, better: 'higher' },
  { label: 'Bandwidth', unit: 'MB/s', value: (r) => r.bandwidthMBps, format: fixed(0), better: 'higher' },
  { label: 'Latency mean', unit: 'µs', value: (r) => r.latencyUs.mean, format: latency, better: 'lower' },
  { label: 'Latency p50', unit: 'µs', value: (r) => r.latencyUs.p50, format: latency, better: 'lower' },
  { label: 'Latency p99', unit: 'µs', value: (r) => r.latencyUs.p99, format: latency, better: 'lower' },
  { label: 'Latency p99.9', unit: 'µs', value: (r) => r.latencyUs.p999, format: latency, better: 'lower' },
  { label: 'Latency max', unit: 'µs', value: (r) => r.latencyUs.max, format: latency, better: 'lower' },
  { label: 'I/Os measured', unit: 'count', value: (r) => r.ios, format: compactNumber },
  { label: 'Bios per request', unit: 'merged', value: (r) => r.biosPerRequest, format: fixed(2) },
  { label: 'DMA map+unmap CPU', unit: 'ns / I/O', value: (r) => r.mapping.cpuNsPerIo, format: fixed(0), better: 'lower' },
  { label: 'Map time p50', unit: 'ns', value: (r) => r.mapping.mapNsP50, format: fixed(0), better: 'lower' },
  { label: 'Map time p99', unit: 'ns', value: (r) => r.mapping.mapNsP99, format: fixed(0), better: 'lower' },
  { label: 'Tree steps per map', unit: 'mean', value: (r) => r.mapping.treeStepsPerMap, format: fixed(2), better: 'lower' },
  { label: 'Tree steps per map', unit: 'p99', value: (r) => r.mapping.treeStepsP99, format: fixed(0), better: 'lower' },
  { label: 'Allocation failures', unit: 'count', value: (r) => r.mapping.allocFailures, format: fixed(0), better: 'lower' },
  { label: '32-bit (SAC) attempts / failures', unit: 'count', value: (r) => r.mapping.sac32Attempts, format: fixed(0) },
  { label: 'Tree lock busy', unit: 'of time', value: (r) => r.lock.utilisation, format: pct, better: 'lower' },
  { label: 'Tree lock wait', unit: 'ns / I/O', value: (r) => r.lock.waitNsPerIo, format: fixed(0), better: 'lower' },
  { label: 'rcache hit rate', unit: 'of all allocs', value: (r) => r.rcache.hitRate, format: pct, better: 'higher' },
  { label: 'rcache hits', unit: 'count', value: (r) => r.rcache.hits, format: compactNumber },
  { label: 'rcache misses', unit: 'count', value: (r) => r.rcache.misses, format: compactNumber },
  { label: 'Too large for the rcache', unit: 'count', value: (r) => r.rcache.tooLarge, format: compactNumber },
  { label: 'Too large for the rcache', unit: 'of all allocs', value: (r) => (allocations(r) === 0 ? 0 : r.rcache.tooLarge / allocations(r)), format: pct },
  { label: 'Depot magazines', unit: 'at end', value: (r) => r.rcache.depotMagazines, format: fixed(0) },
  { label: 'IOTLB invalidations', unit: 'strict', value: (r) => r.iotlb.invalidations, format: compactNumber },
  { label: 'IOTLB flushes', unit: 'lazy', value: (r) => r.iotlb.flushes, format: compactNumber },
  { label: 'Live IOVAs', unit: 'at end', value: (r) => r.allocator.liveIovas, format: compactNumber },
  { label: 'Free granules < 4 GiB', unit: '4 KiB', value: (r) => r.allocator.freeGranules32, format: compactNumber },
  { label: 'Largest free block < 4 GiB', unit: '4 KiB', value: (r) => r.allocator.largestFree32, format: compactNumber, better: 'higher' },
  { label: 'External fragmentation < 4 GiB', unit: '1 − largest/free', value: (r) => r.allocator.externalFragmentation32, format: pct, better: 'lower' },
  { label: 'CPU utilisation', unit: 'all CPUs', value: (r) => r.cpuUtilisation, format: pct },
  { label: 'Simulated time measured', unit: 'ms', value: (r) => r.measuredMs, format: fixed(1) },
  { label: 'Warm-up before it', unit: 'ms', value: (r) => r.warmupMs, format: fixed(1) },
];

function swatch(index: number): string {
  return `<span class="swatch" style="background:${colourOf(index)}"></span>`;
}

function summaryTable(runs: readonly ReportRun[]): string {
  const head = `<tr><th>metric</th><th></th>${runs.map((r, i) => `<th>${swatch(i)}${esc(r.label)}</th>`).join('')}</tr>`;
  const rows = METRICS.map((m) => {
    const values = runs.map((r) => m.value(r.result));
    let best: string | null = null;
    const high = Math.max(...values);
    const low = Math.min(...values);
    // Bold only a clear winner (the spread is over 2 % of the larger value and shows in the
    // printed figures), and every variant that prints the same figure as it.
    if (m.better && runs.length > 1 && high - low > 0.02 * Math.max(Math.abs(high), Math.abs(low)) && m.format(high) !== m.format(low)) {
      best = m.format(m.better === 'higher' ? high : low);
    }
    const cells = values.map((v, i) => {
      const extra = m.label.startsWith('32-bit') ? ` / ${runs[i].result.mapping.sac32Failures}` : '';
      return `<td${m.format(v) === best ? ' class="best"' : ''}>${esc(m.format(v) + extra)}</td>`;
    });
    return `<tr><td>${esc(m.label)}</td><td class="unit">${esc(m.unit)}</td>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table id="summary-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** Reads and writes apart, one row per variant and direction, as fio reports its groups. */
function directionTable(runs: readonly ReportRun[]): string {
  const head = '<tr><th>variant</th><th>direction</th><th>I/Os</th><th>IOPS</th><th>MB/s</th><th>mean µs</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th></tr>';
  const rows: string[] = [];
  runs.forEach((run, i) => {
    for (const [name, d] of [
      ['read', run.result.read],
      ['write', run.result.write],
    ] as const) {
      const cells =
        d.ios === 0
          ? `<td>0</td><td colspan="7" style="text-align:left;color:var(--muted)">no ${name}s in the measured window</td>`
          : [compactNumber(d.ios), compactNumber(d.iops), fixed(0)(d.bandwidthMBps), latency(d.latencyUs.mean), latency(d.latencyUs.p50), latency(d.latencyUs.p99), latency(d.latencyUs.p999), latency(d.latencyUs.max)].map((v) => `<td>${esc(v)}</td>`).join('');
      rows.push(`<tr data-direction="${name}"><td>${swatch(i)}${esc(run.label)}</td><td>${name}</td>${cells}</tr>`);
    }
  });
  return `<div class="table-wrap"><table id="direction-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** "Measured 150 ms after a 50 ms warm-up", once when every variant shares it. */
function windowText(runs: readonly ReportRun[]): string {
  const texts = runs.map((r) => measuredWindowText(r.result));
  const line = texts.every((t) => t === texts[0]) ? texts[0] : runs.map((r, i) => `${r.label}: ${texts[i]}`).join('; ');
  return `Simulated time ${line}. Every figure below counts only I/Os completed in the measured window.`;
}

/** A chart, or the reason it is left out. */
type Chart = { readonly html: string } | { readonly id: string; readonly title: string; readonly omitted: string };

function figure(svg: string, title: string, caption: string): string {
  return `<figure class="chart"><h3>${esc(title)}</h3>${svg}<figcaption>${caption}</figcaption></figure>`;
}

/** A time-series chart, or left out with `whyEmpty` when every sample of every variant is zero. */
function timeSeries(runs: readonly ReportRun[], id: string, title: string, yLabel: string, pick: (s: SimulationResult['series'][number]) => number, description: string, caption: string, whyEmpty: string): Chart {
  if (runs.every((r) => r.result.series.every((s) => pick(s) === 0))) return { id, title, omitted: whyEmpty };
  const svg = lineChart({
    id,
    title,
    description,
    xLabel: 'simulated time (ms)',
    yLabel,
    series: runs.map((r, i) => ({ name: r.label, colour: colourOf(i), points: r.result.series.map((s) => ({ x: s.timeMs, y: pick(s) })) })),
  });
  return { html: figure(svg, title, caption) };
}

function sizeClassLabel(order: number): string {
  const kib = 4 * 2 ** order;
  return kib >= 1024 ? `${kib / 1024} MiB` : `${kib} KiB`;
}

/** Row start addresses down the side of a 64-row picture (64 MiB per row); 64 is the 4 GiB edge. */
const ROW_LABELS = [0, 16, 32, 48, 64].map((row) => ({ row, text: `0x${(row * 64 * 2 ** 20).toString(16).padStart(8, '0')}` }));

function occupancyPicture(id: string, fractions: readonly number[], heading: string, caption: string): string {
  const png = occupancyPng(fractions.length > 0 ? fractions : new Array<number>(4096).fill(0), 64);
  const used = fractions.length === 0 ? 0 : fractions.reduce((a, b) => a + b, 0) / fractions.length;
  const rows = ROW_LABELS.map(({ row, text }) => `<span style="top:${(row / 64) * 256}px">${text}</span>`).join('');
  return (
    `<div class="occ"><h3>${esc(heading)}</h3><div class="pic"><div class="rows" aria-hidden="true">${rows}</div>` +
    `<img id="${esc(id)}" class="occupancy" width="64" height="64" alt="${esc(`${heading}: occupancy of the 32-bit IOVA space, ${(used * 100).toFixed(2)}% in use`)}" ` +
    `src="data:image/png;base64,${png.toString('base64')}"></div>` +
    `<div class="ramp">free <i></i> fully used</div><figcaption>${esc(caption)} ${(used * 100).toFixed(2)}% of the 4 GiB in use.</figcaption></div>`
  );
}

const OCCUPANCY_CAPTION = 'One pixel per 1 MiB slice of the 32-bit IOVA space, addresses rising left to right and top to bottom (64 MiB per row).';

function costTable(runs: readonly { label: string; costs: Record<string, number> }[]): string {
  const differ = runs.some((r) => COST_MODEL_KEYS.some((k) => r.costs[k] !== runs[0].costs[k]));
  const shown = differ ? runs : runs.slice(0, 1);
  const head = `<tr><th>constant</th>${shown.map((r) => `<th>${differ ? esc(r.label) : 'ns'}</th>`).join('')}</tr>`;
  const rows = COST_MODEL_KEYS.map((k) => `<tr><td><code>${esc(k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))}</code></td>${shown.map((r) => `<td>${esc(String(r.costs[k] ?? 0))}</td>`).join('')}</tr>`);
  return `<div class="table-wrap"><table id="cost-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function scenarioSection(scenarios: readonly { label: string; scenario: SimulationResult['scenario'] }[]): string {
  if (scenarios.length === 0) return '';
  const first = scenarios[0];
  const parts = [
    '<section id="scenario"><h2>Scenario and cost model</h2>',
    '<p class="lead">The scenario as a scenario file: save it and run it again with <code>iovasim run FILE.yaml</code>. Costs are the constants of the cost model (src/sim/cost-model.ts), in nanoseconds.</p>',
    `<div class="grid"><div><h3>${scenarios.length > 1 ? esc(first.label) : 'scenario.yaml'}</h3><pre id="scenario-yaml">${esc(scenarioYaml(first.scenario))}</pre>`,
  ];
  for (const other of scenarios.slice(1)) {
    const diff = scenarioDifferences(first.scenario, other.scenario).filter((d) => !d.startsWith('name:'));
    parts.push(`<h3>${esc(other.label)}: differs in</h3><pre>${esc(diff.length === 0 ? '(nothing but the name)' : diff.join('\n'))}</pre>`);
  }
  parts.push(`</div><div><h3>Cost constants (ns)</h3>${costTable(scenarios.map((s) => ({ label: s.label, costs: s.scenario.costs as unknown as Record<string, number> })))}</div></div></section>`);
  return parts.join('');
}

function runsSections(runs: readonly ReportRun[]): string {
  const parts: string[] = [];
  const first = runs[0].result;
  const cards: [string, string][] = [
    ['IOPS', compactNumber(first.iops)],
    ['p50 / p99 latency', `${latency(first.latencyUs.p50)} / ${latency(first.latencyUs.p99)} µs`],
    ['map+unmap CPU', `${first.mapping.cpuNsPerIo.toFixed(0)} ns/IO`],
    ['rcache hits', `${pct(first.rcache.hitRate)} of ${compactNumber(allocations(first))}`],
    ['tree lock busy', pct(first.lock.utilisation)],
    ['live IOVAs', compactNumber(first.allocator.liveIovas)],
  ];
  if (runs.length === 1) parts.push(`<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</div>`);
  parts.push(`<section id="summary"><h2>Summary${runs.length > 1 ? ' — variants side by side' : ''}</h2>${runs.length > 1 ? '<p class="lead">Bold: the best variant, where one is better by more than 2 %.</p>' : ''}${summaryTable(runs)}</section>`);
  parts.push(
    `<section id="directions"><h2>Reads and writes</h2><p class="lead">Each direction on its own, as fio reports its read and write groups: I/Os of that direction completed in the measured window, their bandwidth and their latency, submission to completion.</p>${directionTable(runs)}</section>`,
  );

  const translated = runs.some((r) => r.result.scenario.iommu.mode === 'translated');
  const noIommu = 'the IOMMU does not translate (passthrough): no IOVAs are allocated';
  const charts: Chart[] = [];
  charts.push(
    timeSeries(runs, 'chart-iops', 'IOPS over time', 'IOPS (I/Os per second)', (s) => s.iops, 'Completed I/Os per second in each sampling interval of the measured run.', 'I/Os completed per second, one point per sampling interval after the warm-up.', 'no I/O completed in any sampling interval of the measured window'),
  );
  if (runs.every((r) => r.result.latencyCdf.length === 0)) {
    charts.push({ id: 'chart-latency-cdf', title: 'Latency distribution', omitted: 'no I/O completed in the measured window' });
  } else {
    charts.push({
      html: figure(
        percentileChart({
          id: 'chart-latency-cdf',
          title: 'Latency distribution',
          description: 'Latency distribution of every I/O, submission to completion, on a log latency axis.',
          xLabel: 'latency, submission to completion (µs, log scale)',
          yLabel: 'fraction of I/Os at or below',
          curves: runs.map((r, i) => ({
            name: r.label,
            colour: colourOf(i),
            points: r.result.latencyCdf.map((p) => ({ value: p.us, percentile: p.fraction * 100 })),
          })),
        }),
        'Latency distribution',
        'The CDF of the simulation\'s latency histogram (64 buckets per power of two as in fio, so within 1.6 %), on a "nines" axis so the tail reads as clearly as the median.',
      ),
    });
  }
  const stepsShown = runs.some((r) => r.result.mapping.treeStepsPerMap > 0 || r.result.mapping.treeStepsP99 > 0);
  if (!stepsShown) {
    charts.push({
      id: 'chart-alloc-steps',
      title: 'Allocation steps per mapping',
      omitted: translated ? 'no allocation walked the allocator: every one was an rcache hit or found its place without a step' : noIommu,
    });
  } else {
    charts.push({
      html: figure(
        barChart({
          id: 'chart-alloc-steps',
          title: 'Allocation steps per mapping',
          description: 'Allocator search steps per dma_map_sg: mean and 99th percentile.',
          xLabel: 'statistic',
          yLabel: 'allocator steps per map',
          categories: ['mean', 'p99'],
          groups: runs.map((r, i) => ({ name: r.label, colour: colourOf(i), values: r.result.scenario.iommu.mode === 'translated' ? [r.result.mapping.treeStepsPerMap, r.result.mapping.treeStepsP99] : [null, null] })),
          valueFormat: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)),
          emptyMessage: 'no IOVA allocations (IOMMU not translating)',
        }),
        'Allocation steps per mapping',
        'Steps the allocator walked per mapping (rb-tree nodes for Linux; an rcache hit takes none), under the domain’s tree lock.',
      ),
    });
  }
  charts.push(rcacheChart(runs, translated, noIommu));
  charts.push(
    timeSeries(
      runs,
      'chart-depot-magazines',
      'Depot magazines over time',
      'magazines in the depots',
      (s) => s.depotMagazines,
      'Full magazines held in the rcache depots of all size classes, sampled each interval.',
      'Full magazines parked in the depots of all size classes (the 6.7+ depot shrinks after 100 ms idle).',
      translated ? 'the depots held no magazine in any interval: no CPU’s magazines overflowed' : noIommu,
    ),
  );
  charts.push(
    timeSeries(
      runs,
      'chart-live-iovas',
      'Live IOVAs over time',
      'IOVAs allocated in the tree',
      (s) => s.liveIovas,
      'IOVA ranges allocated from the allocator (in flight or cached in the rcache), sampled each interval.',
      'Ranges allocated in the allocator: mapped, or freed into the rcache and flush queue but not yet returned.',
      translated ? 'no IOVA was allocated at any sample' : noIommu,
    ),
  );
  charts.push(
    timeSeries(
      runs,
      'chart-lock-wait',
      'Tree-lock wait over time',
      'lock wait (ns per I/O)',
      (s) => s.lockWaitNsPerIo,
      'Time CPUs spent spinning on the IOVA tree lock per I/O, per interval.',
      'Spinning on iova_rbtree_lock per completed I/O in each interval: contention as it emerges from hold times.',
      translated ? 'no CPU waited for the tree lock (iova_rbtree_lock) in any interval: it was never contended' : noIommu,
    ),
  );
  const drawn = charts.flatMap((c) => ('html' in c ? [c.html] : []));
  const omitted = charts.flatMap((c) => ('omitted' in c ? [c] : []));
  const omittedList =
    omitted.length === 0
      ? ''
      : `<ul id="omitted-charts" class="omitted">${omitted.map((c) => `<li data-chart="${esc(c.id)}"><strong>${esc(c.title)}</strong> is not drawn: ${esc(c.omitted)}.</li>`).join('')}</ul>`;
  parts.push(`<section id="charts"><h2>Charts</h2><div class="grid">${drawn.join('')}</div>${omittedList}</section>`);

  const pictures = runs.map((r, i) => occupancyPicture(`occupancy-${i}`, r.result.occupancy32, runs.length > 1 ? r.label : 'At the end of the run', OCCUPANCY_CAPTION));
  parts.push(
    `<section><h2>Address-space occupancy below 4 GiB</h2><p class="lead">Where the allocator left IOVAs when the run ended. Linux allocates top-down from the 32-bit limit first (the SAC trick), so use collects at the bottom of the picture; scattered specks are fragmentation.</p><figure id="chart-occupancy" class="occ-grid" style="margin:0">${pictures.join('')}</figure></section>`,
  );
  parts.push(scenarioSection(runs.map((r) => ({ label: r.label, scenario: r.result.scenario }))));
  return parts.join('');
}

/**
 * rcache hit rate per size class, plus one category for the sizes above the largest class (never
 * cached: 0 %), so the chart accounts for every allocation; the caption gives the counts.
 */
function rcacheChart(runs: readonly ReportRun[], translated: boolean, noIommu: string): Chart {
  const id = 'chart-rcache-hit';
  const title = 'rcache hit rate per size class';
  if (!translated) return { id, title, omitted: noIommu };
  if (runs.every((r) => allocations(r.result) === 0)) return { id, title, omitted: 'no IOVA was allocated in the measured window' };
  const orders = [...new Set(runs.flatMap((r) => r.result.rcache.perClass.map((k) => k.order)))].sort((a, b) => a - b);
  const largest = orders.length === 0 ? 0 : orders[orders.length - 1];
  const anyTooLarge = runs.some((r) => r.result.rcache.tooLarge > 0);
  const categories = orders.map(sizeClassLabel).concat(anyTooLarge ? [`> ${sizeClassLabel(largest)}`] : []);
  const svg = barChart({
    id,
    title,
    description: 'Fraction of IOVA allocations served by the per-CPU magazines and depot, per size class; sizes above the largest class are never cached.',
    xLabel: 'size class (mapping size, rounded up to a power of two)',
    yLabel: 'hit rate (%)',
    categories,
    groups: runs.map((r, i) => ({
      name: r.label,
      colour: colourOf(i),
      values: orders
        .map((o): number | null => {
          const k = r.result.rcache.perClass.find((c) => c.order === o);
          return k === undefined || k.hits + k.misses === 0 ? null : (100 * k.hits) / (k.hits + k.misses);
        })
        .concat(anyTooLarge ? [r.result.rcache.tooLarge > 0 ? 0 : null] : []),
    })),
    yMax: 100,
    yFormat: (v) => `${v.toFixed(0)}%`,
    valueFormat: (v) => `${v.toFixed(0)}%`,
  });
  const counts = runs
    .map((r) => {
      const c = r.result.rcache;
      const all = allocations(r.result);
      const share = (n: number): string => (all === 0 ? '0%' : pct(n / all));
      return `${runs.length > 1 ? `${r.label}: ` : ''}${compactNumber(all)} allocations: ${compactNumber(c.hits)} hits (${share(c.hits)}), ${compactNumber(c.misses)} misses (${share(c.misses)}), ${compactNumber(c.tooLarge)} too large for the rcache (${share(c.tooLarge)})`;
    })
    .join('; ');
  return {
    html: figure(
      svg,
      title,
      `Per size class: allocations served by the IOVA rcache instead of the allocator. No bar: no allocation of that size. Sizes above the largest class always go to the allocator. ${esc(counts)}.`,
    ),
  };
}

const hexTick = (v: number): string => `0x${Math.max(0, Math.round(v)).toString(16)}`;

function placementSections(placements: readonly ReportPlacement[]): string {
  const parts: string[] = [];
  const head = `<tr><th>variant</th><th>events used</th><th>maps</th><th>identical</th><th>differ</th><th>failed</th><th>unmaps</th><th>unmatched unmaps</th><th>remapped</th><th>skipped</th><th>devices</th></tr>`;
  const rows = placements.map(({ label, placement: p }, i) => {
    const share = p.maps === 0 ? '–' : `${((100 * p.identical) / p.maps).toFixed(1)}%`;
    return `<tr><td>${swatch(i)}${esc(label)}</td><td>${esc(p.level)}</td><td>${p.maps}</td><td>${p.identical} (${share})</td><td>${p.differencesTotal - p.failed}</td><td>${p.failed}</td><td>${p.unmaps}</td><td>${p.unmatchedUnmaps}</td><td>${p.remapped}</td><td>${p.skipped}</td><td>${esc(p.devices.join(', '))}</td></tr>`;
  });
  parts.push(
    `<section id="summary"><h2>Placement: model versus recording</h2><p class="lead">Each recorded mapping was allocated again, in recorded order, by the modelled DMA layer (rcache and allocator); unmaps freed the mapping they end. “Identical” counts mappings the model placed at exactly the recorded address.</p><div class="table-wrap"><table id="summary-table"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></section>`,
  );
  const recorded = placements[0].placement.points.map((p) => ({ x: p.index, y: p.recorded }));
  const svg = scatterChart({
    id: 'chart-placement',
    title: 'Recorded and placed IOVAs',
    description: 'For every replayed mapping in order: the IOVA in the recording and where each model variant placed it.',
    xLabel: 'mapping (in recorded order)',
    yLabel: 'IOVA (hex)',
    yFormat: hexTick,
    binaryTicks: true,
    series: [
      { name: 'recorded', colour: '#9aa3b2', points: recorded, radius: 5 },
      ...placements.map(({ label, placement }, i) => ({ name: `${label}: placed`, colour: colourOf(i), points: placement.points.filter((p) => p.placed !== null).map((p) => ({ x: p.index, y: p.placed as number })), radius: 2.5 })),
    ],
  });
  parts.push(`<section id="charts"><h2>Charts</h2><div class="grid">${figure(svg, 'Recorded and placed IOVAs', 'Grey rings: the kernel’s addresses; coloured dots: the model’s. A dot inside a ring is an identical placement.')}</div></section>`);
  const pictures = [
    occupancyPicture('occupancy-recorded', placements[0].placement.occupancyRecorded32, 'Recorded (live at the end of the capture)', OCCUPANCY_CAPTION),
    ...placements.map(({ label, placement }, i) => occupancyPicture(`occupancy-${i}`, placement.occupancyPlaced32, `${label}: placed`, OCCUPANCY_CAPTION)),
  ];
  parts.push(`<section><h2>Address-space occupancy below 4 GiB</h2><p class="lead">The mappings still live at the end of the capture, where the kernel put them and where the model did.</p><figure id="chart-occupancy" class="occ-grid" style="margin:0">${pictures.join('')}</figure></section>`);
  for (const { label, placement: p } of placements) {
    if (p.differences.length === 0) continue;
    const diffRows = p.differences.map((d) => `<tr><td>${d.line}</td><td>${esc(d.event)}</td><td>${esc(d.device ?? '')}</td><td>${d.sizeBytes}</td><td><code>${esc(d.recorded)}</code></td><td><code>${esc(d.placed ?? 'allocation failed')}</code></td></tr>`);
    parts.push(
      `<section><h2>First differences — ${esc(label)}</h2><p class="lead">${p.differences.length} of ${p.differencesTotal} differing mappings.</p><div class="table-wrap"><table class="differences"><thead><tr><th>line</th><th>event</th><th>device</th><th>bytes</th><th>recorded</th><th>placed</th></tr></thead><tbody>${diffRows.join('')}</tbody></table></div></section>`,
    );
  }
  parts.push(scenarioSection(placements.map((p) => ({ label: p.label, scenario: p.placement.scenario }))));
  return parts.join('');
}

/** The report as one HTML document. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const runs = input.runs ?? [];
  const placements = input.placements ?? [];
  const notes = input.notes ?? [];
  const variants = runs.length + placements.length > 1 ? runs.map((r) => r.label).concat(placements.map((p) => p.label)) : [];
  const parts = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${esc(input.title)}</title><style>${CSS}</style></head><body><main>`,
    `<header><h1>${esc(input.title)}</h1>`,
  ];
  if (input.input) parts.push(`<p class="sub">Input <code>${esc(input.input.file)}</code> (${esc(input.input.format)})${input.input.summary ? ` — ${esc(input.input.summary)}` : ''}</p>`);
  if (variants.length > 0) parts.push(`<p class="sub">Variants: ${variants.map((v, i) => `${swatch(i)}${esc(v)}`).join(' &nbsp; ')}</p>`);
  if (input.command) parts.push(`<p class="sub"><code>${esc(input.command)}</code></p>`);
  if (runs.length > 0) parts.push(`<p class="sub" id="measured-window">${esc(windowText(runs))}</p>`);
  parts.push('</header>');
  if (notes.length > 0) parts.push(`<div class="notes" id="notes"><strong>Notes</strong><ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>`);
  if (runs.length > 0) parts.push(runsSections(runs));
  if (placements.length > 0) parts.push(placementSections(placements));
  if (runs.length === 0 && placements.length === 0) parts.push('<section><p class="lead">Nothing was simulated.</p></section>');
  parts.push(`<footer>${esc(input.generator ?? 'iovasim')} — a self-contained report: no scripts, no network; charts are inline SVG, the occupancy pictures PNG data.</footer>`);
  parts.push('</main></body></html>\n');
  return parts.join('');
}

/**
 * Writes the report atomically (a temporary file beside it, then a rename, so a reader never sees
 * half a page) and returns its path: `target` itself when it ends in `.html` (its folder must
 * exist), else `target/index.html` (the folder is made).
 */
export async function writeHtmlReport(target: string, input: HtmlReportInput): Promise<string> {
  const path = reportPath(target);
  if (path !== target) await mkdir(target, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, renderHtmlReport(input), 'utf8');
    await rename(tmp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why: Record<string, string> = { ENOENT: 'its folder does not exist', ENOTDIR: 'a part of the path is not a folder', EISDIR: 'it is a folder', EACCES: 'permission denied', EROFS: 'read-only file system' };
    if (code !== undefined && code in why) throw new UserError(`cannot write the report ${path}: ${why[code]}`);
    throw error;
  }
  return path;
}

/** Where `--report TARGET` writes: TARGET when it names an .html file, else TARGET/index.html. */
export function reportPath(target: string): string {
  return /\.html?$/i.test(target) ? target : join(target, 'index.html');
}

/** The report stylesheet, for other pages drawn with ./svg.ts (the sweep report). */
export const REPORT_CSS = CSS;
