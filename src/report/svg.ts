/**
 * Hand-drawn SVG charts for the HTML report: line charts, grouped bar charts and a latency
 * percentile (CDF) chart. Each returns a self-contained `<svg>` string with an `id`, a `<title>`
 * and a `<desc>`, axis labels with units and a legend; styling comes from the report's CSS classes.
 *
 * The legend sits above the plot, never inside it: it is laid out first (rows wrap at the plot's
 * width), and the plot starts below its last row, the picture growing taller by as much, so
 * however many series and however long their names, no legend entry covers a line or a point.
 * The plot rectangle is emitted as an invisible `rect.plot-area` so tests can check that.
 */

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface LineSeries {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly Point[];
  /** Optional min–max spread around the line (e.g. over seeds), drawn as a translucent band. */
  readonly spread?: readonly { readonly x: number; readonly lo: number; readonly hi: number }[];
}

export interface ChartFrame {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
}

/** Distinct colours for variants (colour-blind-friendly ordering). */
export const PALETTE = ['#1f77b4', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666', '#17becf'];

export function colourOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** 1234567 → "1.23M", 0.5 → "0.5". */
export function compactNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const trim = (s: string): string => s.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  if (abs >= 1e9) return `${trim((value / 1e9).toFixed(2))}G`;
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(2))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toFixed(1))}K`;
  if (abs >= 100 || abs === 0) return trim(value.toFixed(0));
  if (abs >= 1) return trim(value.toFixed(2));
  return trim(value.toPrecision(2));
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × 10^n. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (max === 0) return [0, 1];
    const pad = Math.abs(max) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const MARGIN = { left: 72, right: 20, top: 44, bottom: 52 };

/** Legend geometry: rows of 16 px; an entry's width allows 7.2 px per character (12 px text). */
const LEGEND_ROW = 16;
const LEGEND_FIRST_BASELINE = 16;
const LEGEND_CHAR_WIDTH = 7.2;

interface LegendEntry {
  readonly name: string;
  readonly colour: string;
  readonly x: number;
  /** Baseline of the text. */
  readonly y: number;
}

interface Plot {
  readonly width: number;
  readonly height: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly legend: readonly LegendEntry[];
}

/** Legend entries in rows from x0, wrapping before x1. */
function layOutLegend(items: readonly { name: string; colour: string }[], x0: number, x1: number): LegendEntry[] {
  const entries: LegendEntry[] = [];
  let x = x0;
  let y = LEGEND_FIRST_BASELINE;
  // A name too long for one row is cut with an ellipsis (the series' own <title> keeps it whole).
  const maxChars = Math.max(4, Math.floor((x1 - x0 - 35) / LEGEND_CHAR_WIDTH));
  for (const item of items) {
    const name = item.name.length > maxChars ? `${item.name.slice(0, maxChars - 1)}…` : item.name;
    const width = 19 + name.length * LEGEND_CHAR_WIDTH + 16;
    if (x + width > x1 && x > x0) {
      x = x0;
      y += LEGEND_ROW;
    }
    entries.push({ name, colour: item.colour, x, y });
    x += width;
  }
  return entries;
}

/**
 * The plot rectangle: the left margin grows with the longest y tick label, the top one with the
 * legend's rows (and the picture with it, so the plot keeps its height).
 */
function plotArea(frame: ChartFrame, yTickLabels: readonly string[] = [], legendItems: readonly { name: string; colour: string }[] = []): Plot {
  const width = frame.width ?? 680;
  const longest = Math.max(0, ...yTickLabels.map((l) => l.length));
  const left = Math.max(MARGIN.left, 34 + longest * 7);
  const right = width - MARGIN.right;
  const legend = layOutLegend(legendItems, left, right);
  const legendBottom = legend.length === 0 ? 0 : Math.max(...legend.map((e) => e.y)) + 4;
  // The plot's top edge, plus room for the topmost tick label (half a line above the edge).
  const top = Math.max(MARGIN.top, legendBottom + 16);
  const height = (frame.height ?? 320) + (top - MARGIN.top);
  return { width, height, x0: left, x1: right, y0: height - MARGIN.bottom, y1: top, legend };
}

function open(frame: ChartFrame, plot: Plot): string {
  const id = escapeXml(frame.id);
  return (
    `<svg id="${id}" class="chart-svg" viewBox="0 0 ${plot.width} ${plot.height}" width="${plot.width}" height="${plot.height}" ` +
    `role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeXml(frame.title)}</title><desc id="${id}-desc">${escapeXml(frame.description)}</desc>`
  );
}

function axisLabels(frame: ChartFrame, plot: Plot): string {
  const midX = (plot.x0 + plot.x1) / 2;
  const midY = (plot.y0 + plot.y1) / 2;
  return (
    `<text class="axis-label" x="${midX}" y="${plot.height - 10}" text-anchor="middle">${escapeXml(frame.xLabel)}</text>` +
    `<text class="axis-label" transform="translate(16 ${midY}) rotate(-90)" text-anchor="middle">${escapeXml(frame.yLabel)}</text>`
  );
}

/** The legend laid out by plotArea, above the plot; then the (invisible) plot rectangle. */
function legend(plot: Plot): string {
  const parts: string[] = ['<g class="legend">'];
  for (const entry of plot.legend) {
    const x = Number(entry.x.toFixed(1));
    parts.push(`<rect x="${x}" y="${entry.y - 9}" width="14" height="10" rx="2" fill="${entry.colour}"/>`);
    parts.push(`<text x="${Number((x + 19).toFixed(1))}" y="${entry.y}">${escapeXml(entry.name)}</text>`);
  }
  parts.push('</g>');
  parts.push(`<rect class="plot-area" x="${plot.x0}" y="${plot.y1}" width="${plot.x1 - plot.x0}" height="${plot.y0 - plot.y1}" fill="none" stroke="none"/>`);
  return parts.join('');
}

function noData(plot: Plot, message: string): string {
  return `<text class="no-data" x="${(plot.x0 + plot.x1) / 2}" y="${(plot.y0 + plot.y1) / 2}" text-anchor="middle">${escapeXml(message)}</text>`;
}

function yGrid(ticks: readonly number[], scale: (v: number) => number, plot: Plot, format: (v: number) => string): string {
  const parts: string[] = [];
  for (const t of ticks) {
    const y = scale(t).toFixed(1);
    parts.push(`<line class="grid" x1="${plot.x0}" x2="${plot.x1}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${plot.x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${escapeXml(format(t))}</text>`);
  }
  return parts.join('');
}

function frameLines(plot: Plot): string {
  return `<line class="axis" x1="${plot.x0}" x2="${plot.x1}" y1="${plot.y0}" y2="${plot.y0}"/><line class="axis" x1="${plot.x0}" x2="${plot.x0}" y1="${plot.y0}" y2="${plot.y1}"/>`;
}

export interface LineChartOptions extends ChartFrame {
  readonly series: readonly LineSeries[];
  readonly xFormat?: (value: number) => string;
  readonly yFormat?: (value: number) => string;
}

/** A line chart of one or more series sharing both axes; y starts at 0. */
export function lineChart(options: LineChartOptions): string {
  const xFormat = options.xFormat ?? compactNumber;
  const yFormat = options.yFormat ?? compactNumber;
  const all = options.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const spreadTop = options.series.flatMap((s) => (s.spread ?? []).map((b) => b.hi)).filter(Number.isFinite);
  const yTicks = niceTicks(0, all.length === 0 ? 1 : Math.max(...all.map((p) => p.y), ...spreadTop), 5);
  const plot = plotArea(options, yTicks.map(yFormat), options.series);
  const parts = [open(options, plot)];
  parts.push(legend(plot));
  if (all.length === 0) {
    parts.push(frameLines(plot), noData(plot, 'no samples in the measured interval'), axisLabels(options, plot), '</svg>');
    return parts.join('');
  }
  const xTicks = niceTicks(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x)), 6);
  const xMin = xTicks[0];
  const xMax = xTicks[xTicks.length - 1];
  const yMax = yTicks[yTicks.length - 1];
  const yMin = Math.min(0, yTicks[0]);
  const sx = (v: number): number => plot.x0 + ((v - xMin) / (xMax - xMin || 1)) * (plot.x1 - plot.x0);
  const sy = (v: number): number => plot.y0 - ((v - yMin) / (yMax - yMin || 1)) * (plot.y0 - plot.y1);
  parts.push(yGrid(yTicks, sy, plot, yFormat));
  for (const t of xTicks) {
    const x = sx(t).toFixed(1);
    parts.push(`<line class="tick-mark" x1="${x}" x2="${x}" y1="${plot.y0}" y2="${plot.y0 + 5}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${plot.y0 + 18}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`);
  }
  parts.push(frameLines(plot));
  for (const s of options.series) {
    const points = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (points.length === 0) continue;
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
    parts.push(`<g class="series"><title>${escapeXml(s.name)}</title>`);
    const band = (s.spread ?? []).filter((b) => Number.isFinite(b.x) && Number.isFinite(b.lo) && Number.isFinite(b.hi));
    if (band.length > 0) {
      const outline = band.map((b) => `${sx(b.x).toFixed(1)},${sy(b.hi).toFixed(1)}`).concat([...band].reverse().map((b) => `${sx(b.x).toFixed(1)},${sy(b.lo).toFixed(1)}`));
      parts.push(`<polygon class="spread" points="${outline.join(' ')}" fill="${s.colour}" fill-opacity="0.18" stroke="none"/>`);
    }
    parts.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"/>`);
    if (points.length <= 40) for (const p of points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${s.colour}"/>`);
    parts.push('</g>');
  }
  parts.push(axisLabels(options, plot), '</svg>');
  return parts.join('');
}

export interface BarGroup {
  readonly name: string;
  readonly colour: string;
  /** One value per category; null: not applicable (no bar drawn). */
  readonly values: readonly (number | null)[];
}

export interface BarChartOptions extends ChartFrame {
  readonly categories: readonly string[];
  readonly groups: readonly BarGroup[];
  readonly yMax?: number;
  readonly yFormat?: (value: number) => string;
  /** Printed above each bar. */
  readonly valueFormat?: (value: number) => string;
  readonly emptyMessage?: string;
}

/** Vertical bars: one cluster per category, one bar per group inside it. */
export function barChart(options: BarChartOptions): string {
  const yFormat = options.yFormat ?? compactNumber;
  const values = options.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const yTicks = niceTicks(0, options.yMax ?? Math.max(...values, 0), 5);
  const plot = plotArea(options, yTicks.map(yFormat), options.groups);
  const parts = [open(options, plot), legend(plot)];
  if (options.categories.length === 0 || values.length === 0) {
    parts.push(frameLines(plot), noData(plot, options.emptyMessage ?? 'nothing to show'), axisLabels(options, plot), '</svg>');
    return parts.join('');
  }
  const yMax = options.yMax ?? yTicks[yTicks.length - 1];
  const ticks = options.yMax === undefined ? yTicks : yTicks.filter((t) => t <= options.yMax! + 1e-9);
  const sy = (v: number): number => plot.y0 - (Math.max(0, Math.min(v, yMax)) / (yMax || 1)) * (plot.y0 - plot.y1);
  parts.push(yGrid(ticks, sy, plot, yFormat));
  const band = (plot.x1 - plot.x0) / options.categories.length;
  const inner = band * 0.8;
  const barWidth = inner / Math.max(1, options.groups.length);
  options.categories.forEach((category, c) => {
    const left = plot.x0 + c * band + (band - inner) / 2;
    options.groups.forEach((group, g) => {
      const value = group.values[c];
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      const x = left + g * barWidth;
      const y = sy(value);
      const h = Math.max(value > 0 ? 1 : 0, plot.y0 - y);
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${(plot.y0 - h).toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${group.colour}">` +
          `<title>${escapeXml(`${group.name}, ${category}: ${(options.valueFormat ?? yFormat)(value)}`)}</title></rect>`,
      );
      if (options.valueFormat && barWidth >= 22) {
        parts.push(`<text class="bar-value" x="${(x + (barWidth - 2) / 2).toFixed(1)}" y="${(plot.y0 - h - 4).toFixed(1)}" text-anchor="middle">${escapeXml(options.valueFormat(value))}</text>`);
      }
    });
    parts.push(`<text class="tick" x="${(plot.x0 + c * band + band / 2).toFixed(1)}" y="${plot.y0 + 18}" text-anchor="middle">${escapeXml(category)}</text>`);
  });
  parts.push(frameLines(plot), axisLabels(options, plot), '</svg>');
  return parts.join('');
}

export interface PercentileCurve {
  readonly name: string;
  readonly colour: string;
  /** (latency, percentile in [0, 100]) pairs, ascending; 100 is the maximum. */
  readonly points: readonly { readonly value: number; readonly percentile: number }[];
}

/** Percentile → vertical position on a "nines" scale: 0, 50, 90, 99, 99.9 … evenly spaced. */
function nines(percentile: number, top: number): number {
  if (percentile >= 100) return top;
  return Math.min(top, Math.log10(100 / (100 - percentile)));
}

/**
 * A latency CDF on a log latency axis and a "nines" percentile axis (50 %, 90 %, 99 %, 99.9 %,
 * max evenly spaced), so the tail is as readable as the median.
 */
export function percentileChart(options: ChartFrame & { readonly curves: readonly PercentileCurve[]; readonly xFormat?: (v: number) => string }): string {
  const plot = plotArea(options, [], options.curves);
  const parts = [open(options, plot), legend(plot)];
  const values = options.curves.flatMap((c) => c.points.map((p) => p.value)).filter((v) => Number.isFinite(v) && v > 0);
  if (values.length === 0) {
    parts.push(frameLines(plot), noData(plot, 'no I/O completed in the measured interval'), axisLabels(options, plot), '</svg>');
    return parts.join('');
  }
  const top = 3.6; // where "max" sits, above 99.9 % (= 3)
  // Whole decades when the latencies span one or more; else the axis closes in on them (a run at
  // saturation spreads over a few per cent, which a decade-wide axis draws as one vertical line).
  const spanLo = Math.log10(Math.min(...values));
  const spanHi = Math.log10(Math.max(...values));
  const decades = spanHi - spanLo >= 1;
  const pad = Math.max(0.004, (spanHi - spanLo) * 0.08);
  const lo = decades ? Math.floor(spanLo) : spanLo - pad;
  const hi = decades ? Math.ceil(spanHi) : spanHi + pad;
  const sx = (v: number): number => plot.x0 + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (plot.x1 - plot.x0);
  const sy = (p: number): number => plot.y0 - (nines(p, top) / top) * (plot.y0 - plot.y1);
  const yTicks: [number, string][] = [
    [0, '0%'],
    [50, '50%'],
    [90, '90%'],
    [99, '99%'],
    [99.9, '99.9%'],
    [100, 'max'],
  ];
  for (const [p, label] of yTicks) {
    const y = sy(p).toFixed(1);
    parts.push(`<line class="grid" x1="${plot.x0}" x2="${plot.x1}" y1="${y}" y2="${y}"/>`);
    // 0 % sits just below 50 % on a nines axis: its label would overprint.
    if (p > 0 || sy(0) - sy(50) >= 14) parts.push(`<text class="tick" x="${plot.x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${label}</text>`);
  }
  const xFormat = options.xFormat ?? compactNumber;
  if (!decades) {
    for (const t of niceTicks(10 ** lo, 10 ** hi, 5).filter((v) => v >= 10 ** lo && v <= 10 ** hi)) {
      const x = sx(t).toFixed(1);
      parts.push(`<line class="grid grid-v" x1="${x}" x2="${x}" y1="${plot.y0}" y2="${plot.y1}"/>`);
      parts.push(`<text class="tick" x="${x}" y="${plot.y0 + 18}" text-anchor="middle">${escapeXml(xFormat(t))}</text>`);
    }
  }
  for (let e = lo; decades && e <= hi; e++) {
    const x = sx(10 ** e).toFixed(1);
    parts.push(`<line class="grid grid-v" x1="${x}" x2="${x}" y1="${plot.y0}" y2="${plot.y1}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${plot.y0 + 18}" text-anchor="middle">${escapeXml(xFormat(10 ** e))}</text>`);
    if (e < hi) {
      for (const m of [2, 5]) {
        const xm = sx(m * 10 ** e).toFixed(1);
        parts.push(`<line class="tick-mark" x1="${xm}" x2="${xm}" y1="${plot.y0}" y2="${plot.y0 + 3}"/>`);
      }
    }
  }
  parts.push(frameLines(plot));
  for (const curve of options.curves) {
    const points = curve.points.filter((p) => Number.isFinite(p.value) && p.value > 0);
    if (points.length === 0) continue;
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.value).toFixed(1)},${sy(p.percentile).toFixed(1)}`).join('');
    parts.push(`<g class="series"><title>${escapeXml(curve.name)}</title><path d="${path}" fill="none" stroke="${curve.colour}" stroke-width="2"/>`);
    // A marker per histogram bucket while they are few; a long curve is drawn as its line only.
    for (const p of points.length <= 40 ? points : []) {
      parts.push(
        `<circle cx="${sx(p.value).toFixed(1)}" cy="${sy(p.percentile).toFixed(1)}" r="3.5" fill="${curve.colour}">` +
          `<title>${escapeXml(`${curve.name}: ${p.percentile >= 100 ? 'max' : `p${Number(p.percentile.toFixed(3))}`} = ${xFormat(p.value)}`)}</title></circle>`,
      );
    }
    parts.push('</g>');
  }
  parts.push(axisLabels(options, plot), '</svg>');
  return parts.join('');
}

export interface ScatterSeries {
  readonly name: string;
  readonly colour: string;
  readonly points: readonly Point[];
  /** Marker radius. */
  readonly radius?: number;
}

/** Ticks at multiples of a power of two covering [min, max] (for hexadecimal addresses). */
export function binaryTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return niceTicks(min, max, target);
  const step = 2 ** Math.ceil(Math.log2((max - min) / Math.max(1, target)));
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v < max + step; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

/** A scatter chart (used for recorded vs placed IOVAs); `binaryTicks` for hexadecimal axes. */
export function scatterChart(
  options: ChartFrame & { readonly series: readonly ScatterSeries[]; readonly xFormat?: (v: number) => string; readonly yFormat?: (v: number) => string; readonly binaryTicks?: boolean },
): string {
  const all = options.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const yFormat = options.yFormat ?? compactNumber;
  const yTicks = all.length === 0 ? [0, 1] : (options.binaryTicks ? binaryTicks : niceTicks)(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)), 5);
  const plot = plotArea(options, yTicks.map(yFormat), options.series);
  const parts = [open(options, plot), legend(plot)];
  if (all.length === 0) {
    parts.push(frameLines(plot), noData(plot, 'no mappings'), axisLabels(options, plot), '</svg>');
    return parts.join('');
  }
  const xTicks = niceTicks(Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x)), 6);
  const xMin = xTicks[0];
  const xMax = xTicks[xTicks.length - 1];
  const yMin = yTicks[0];
  const yMax = yTicks[yTicks.length - 1];
  const sx = (v: number): number => plot.x0 + ((v - xMin) / (xMax - xMin || 1)) * (plot.x1 - plot.x0);
  const sy = (v: number): number => plot.y0 - ((v - yMin) / (yMax - yMin || 1)) * (plot.y0 - plot.y1);
  parts.push(yGrid(yTicks, sy, plot, yFormat));
  for (const t of xTicks) {
    parts.push(`<text class="tick" x="${sx(t).toFixed(1)}" y="${plot.y0 + 18}" text-anchor="middle">${escapeXml((options.xFormat ?? compactNumber)(t))}</text>`);
  }
  parts.push(frameLines(plot));
  for (const s of options.series) {
    parts.push(`<g class="series" fill="${s.colour}"><title>${escapeXml(s.name)}</title>`);
    for (const p of s.points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${s.radius ?? 3}"/>`);
    parts.push('</g>');
  }
  parts.push(axisLabels(options, plot), '</svg>');
  return parts.join('');
}

export interface TornadoBar {
  readonly name: string;
  /** The value at the low and the high setting of the parameter (either may be the larger). */
  readonly low: number;
  readonly high: number;
  /** Drawn in the warning colour, with "flips" after the name. */
  readonly flagged: boolean;
}

export interface TornadoChartOptions {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly xLabel: string;
  /** The vertical lines: the baseline (solid) and the published value (dashed). */
  readonly baseline: number;
  readonly reference: number;
  readonly referenceLabel: string;
  /** Largest swing first (the caller sorts). */
  readonly bars: readonly TornadoBar[];
  readonly lowLabel: string;
  readonly highLabel: string;
  readonly width?: number;
}

/**
 * A tornado chart: one row per parameter, a bar from the baseline to the value at its low setting
 * (upper half, one colour) and one to the value at its high setting (lower half, another colour),
 * on a shared value axis with the baseline and a reference (the published value) marked.
 */
export function tornadoChart(options: TornadoChartOptions): string {
  const rowHeight = 24;
  const width = options.width ?? 680;
  const longest = Math.max(8, ...options.bars.map((b) => b.name.length + (b.flagged ? 7 : 0)));
  const x0 = 20 + longest * 7.5;
  const x1 = width - 24;
  const y1 = 44;
  const y0 = y1 + Math.max(1, options.bars.length) * rowHeight + 6;
  const height = y0 + 52;
  const values = [options.baseline, options.reference, ...options.bars.flatMap((b) => [b.low, b.high])].filter(Number.isFinite);
  const ticks = niceTicks(Math.min(...values, 1), Math.max(...values, 1), 5);
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const sx = (v: number): number => x0 + ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo || 1)) * (x1 - x0);
  const id = escapeXml(options.id);
  const parts = [
    `<svg id="${id}" class="chart-svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${id}-title">${escapeXml(options.title)}</title><desc id="${id}-desc">${escapeXml(options.description)}</desc>`,
  ];
  parts.push(
    `<g class="legend"><rect x="${x0}" y="7" width="14" height="10" rx="2" fill="${PALETTE[0]}"/><text x="${x0 + 19}" y="16">${escapeXml(options.lowLabel)}</text>` +
      `<rect x="${x0 + 120}" y="7" width="14" height="10" rx="2" fill="${PALETTE[1]}"/><text x="${x0 + 139}" y="16">${escapeXml(options.highLabel)}</text>` +
      `<text x="${x0 + 240}" y="16">— baseline, - - ${escapeXml(options.referenceLabel)}</text></g>`,
  );
  for (const t of ticks) {
    const x = sx(t).toFixed(1);
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${y1}" y2="${y0}"/><text class="tick" x="${x}" y="${y0 + 16}" text-anchor="middle">${escapeXml(compactNumber(t))}</text>`);
  }
  if (options.bars.length === 0) parts.push(`<text class="no-data" x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle">nothing varied</text>`);
  const base = sx(options.baseline);
  options.bars.forEach((bar, i) => {
    const y = y1 + i * rowHeight + 4;
    const label = bar.flagged ? `${bar.name} (flips)` : bar.name;
    parts.push(`<text class="tick${bar.flagged ? ' flagged' : ''}" x="${x0 - 6}" y="${y + 9}" text-anchor="end"${bar.flagged ? ' fill="#b2182b"' : ''}>${escapeXml(label)}</text>`);
    // The low setting in the upper half of the row, the high one in the lower half, so that
    // neither hides the other when both move the value the same way.
    const half = (rowHeight - 8) / 2;
    for (const [value, colour, setting, top] of [
      [bar.low, PALETTE[0], options.lowLabel, y],
      [bar.high, PALETTE[1], options.highLabel, y + half],
    ] as const) {
      if (!Number.isFinite(value)) continue;
      const x = sx(value);
      const left = Math.min(x, base);
      parts.push(
        `<rect class="bar" x="${left.toFixed(1)}" y="${top}" width="${Math.max(1, Math.abs(x - base)).toFixed(1)}" height="${half}" fill="${colour}"${bar.flagged ? ' stroke="#b2182b" stroke-width="2"' : ''}>` +
          `<title>${escapeXml(`${bar.name} ${setting}: ${value.toFixed(3)}`)}</title></rect>`,
      );
    }
  });
  parts.push(`<line class="axis" x1="${base.toFixed(1)}" x2="${base.toFixed(1)}" y1="${y1 - 4}" y2="${y0}" stroke="#1b2330" stroke-width="1.5"/>`);
  const ref = sx(options.reference).toFixed(1);
  parts.push(`<line x1="${ref}" x2="${ref}" y1="${y1 - 4}" y2="${y0}" stroke="#b2182b" stroke-width="1.5" stroke-dasharray="5 4"/>`);
  parts.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<text class="axis-label" x="${(x0 + x1) / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text></svg>`);
  return parts.join('');
}
