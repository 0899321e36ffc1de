/**
 * The sweep report: DIR/index.html, one self-contained page (inline CSS and SVG from src/report) with
 * a table of every grid cell (mean over seeds, with the min–max spread of IOPS) and, for each axis,
 * IOPS and p99 latency against that axis: one line per combination of the other axes, the shaded
 * band the min–max over seeds.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPORT_CSS } from '../report/html.js';
import { colourOf, compactNumber, escapeXml, lineChart, type LineSeries } from '../report/svg.js';
import { canonicalJson, type Json, type SweepSpec } from './grid.js';
import type { PointSummary } from './results.js';

interface Cell {
  readonly axes: Readonly<Record<string, Json>>;
  readonly runs: PointSummary[];
}

const MAX_SERIES = 10;

function label(value: Json): string {
  return typeof value === 'string' ? value : canonicalJson(value);
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function cellsOf(spec: SweepSpec, results: readonly PointSummary[]): Cell[] {
  const byKey = new Map<string, Cell>();
  // Grid order: the position of each value on its axis, first axis outermost.
  const rank = (axes: Readonly<Record<string, Json>>): number[] => spec.axes.map((a) => a.values.findIndex((v) => canonicalJson(v) === canonicalJson(axes[a.path] ?? null)));
  for (const r of results) {
    const key = canonicalJson(r.axes);
    let cell = byKey.get(key);
    if (cell === undefined) {
      cell = { axes: r.axes, runs: [] };
      byKey.set(key, cell);
    }
    cell.runs.push(r);
  }
  return [...byKey.values()].sort((a, b) => {
    const ra = rank(a.axes);
    const rb = rank(b.axes);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return 0;
  });
}

function axisCharts(spec: SweepSpec, cells: readonly Cell[], metric: 'iops' | 'latencyP99Us', index: number): string {
  const axis = spec.axes[index];
  const numeric = axis.values.every((v) => typeof v === 'number');
  const xOf = (value: Json): number => (numeric ? (value as number) : axis.values.findIndex((v) => canonicalJson(v) === canonicalJson(value)));
  const others = spec.axes.filter((_, i) => i !== index).map((a) => a.path);
  const groups = new Map<string, Cell[]>();
  for (const cell of cells) {
    const name = others.map((p) => `${p}=${label(cell.axes[p] ?? null)}`).join(' ') || 'all';
    groups.set(name, [...(groups.get(name) ?? []), cell]);
  }
  const series: LineSeries[] = [...groups.entries()].slice(0, MAX_SERIES).map(([name, group], g) => {
    const sorted = [...group].sort((a, b) => xOf(a.axes[axis.path] ?? null) - xOf(b.axes[axis.path] ?? null));
    return {
      name,
      colour: colourOf(g),
      points: sorted.map((c) => ({ x: xOf(c.axes[axis.path] ?? null), y: mean(c.runs.map((r) => r[metric])) })),
      spread: sorted.map((c) => ({ x: xOf(c.axes[axis.path] ?? null), lo: Math.min(...c.runs.map((r) => r[metric])), hi: Math.max(...c.runs.map((r) => r[metric])) })),
    };
  });
  const what = metric === 'iops' ? 'IOPS' : 'p99 latency (µs)';
  const svg = lineChart({
    id: `chart-${metric === 'iops' ? 'iops' : 'p99'}-${axis.path.replace(/[^a-z0-9]+/g, '-')}`,
    title: `${what} against ${axis.path}`,
    description: `Mean ${what} over seeds for each value of ${axis.path}, one line per combination of the other axes; the band is the min–max over seeds.`,
    xLabel: axis.path,
    yLabel: what,
    series,
    xFormat: numeric ? compactNumber : (v) => (Number.isInteger(v) && v >= 0 && v < axis.values.length ? label(axis.values[v]) : ''),
  });
  const dropped = groups.size > MAX_SERIES ? `<figcaption>Showing ${MAX_SERIES} of ${groups.size} combinations of the other axes.</figcaption>` : '';
  return `<figure class="chart"><h3>${escapeXml(`${what} against ${axis.path}`)}</h3>${svg}${dropped}</figure>`;
}

export function renderSweepReport(spec: SweepSpec, results: readonly PointSummary[], totalPoints: number): string {
  const esc = escapeXml;
  const cells = cellsOf(spec, results);
  const parts = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>${esc(`Sweep: ${spec.name}`)}</title><style>${REPORT_CSS}</style></head><body><main>`,
    `<header><h1>${esc(`Sweep: ${spec.name}`)}</h1>`,
    `<p class="sub">Input <code>${esc(spec.source)}</code> — ${spec.axes.map((a) => `${esc(a.path)} (${a.values.length})`).join(' × ') || 'no axes'} × ${spec.repeats} seed(s); ${results.length} of ${totalPoints} points done.</p></header>`,
  ];
  for (const [i, axis] of spec.axes.entries()) {
    if (axis.values.length < 2) continue;
    parts.push(`<section><h2>Against ${esc(axis.path)}</h2><div class="grid">${axisCharts(spec, cells, 'iops', i)}${axisCharts(spec, cells, 'latencyP99Us', i)}</div></section>`);
  }
  const head = [...spec.axes.map((a) => a.path), 'seeds', 'IOPS mean', 'IOPS min–max', 'p50 µs', 'p99 µs', 'lock busy', 'map ns/IO', 'rcache hit', 'live IOVAs'];
  const rows = cells.map((c) => {
    const iops = c.runs.map((r) => r.iops);
    const cols = [
      ...spec.axes.map((a) => label(c.axes[a.path] ?? null)),
      String(c.runs.length),
      compactNumber(mean(iops)),
      `${compactNumber(Math.min(...iops))}–${compactNumber(Math.max(...iops))}`,
      mean(c.runs.map((r) => r.latencyP50Us)).toFixed(0),
      mean(c.runs.map((r) => r.latencyP99Us)).toFixed(0),
      `${(mean(c.runs.map((r) => r.lockUtilisation)) * 100).toFixed(0)}%`,
      mean(c.runs.map((r) => r.mapNsPerIo)).toFixed(0),
      `${(mean(c.runs.map((r) => r.rcacheHitRate)) * 100).toFixed(0)}%`,
      mean(c.runs.map((r) => r.liveIovas)).toFixed(0),
    ];
    return `<tr>${cols.map((v) => `<td>${esc(v)}</td>`).join('')}</tr>`;
  });
  parts.push(`<section><h2>Every grid cell</h2><div class="table-wrap"><table id="sweep-table"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`);
  parts.push('<footer>iovasim sweep — a self-contained report: no scripts, no network; charts are inline SVG.</footer></main></body></html>\n');
  return parts.join('');
}

/** Writes DIR/index.html atomically (write a temporary file, then rename); returns its path. */
export async function writeSweepReport(dir: string, spec: SweepSpec, results: readonly PointSummary[], totalPoints: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'index.html');
  await writeFile(`${path}.tmp`, renderSweepReport(spec, results, totalPoints), 'utf8');
  await rename(`${path}.tmp`, path);
  return path;
}
