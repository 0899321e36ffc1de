// The sweep report's charts: legends sit outside the plot, however many series and however long
// their names. Checked geometrically on the SVG: every legend entry's box (swatch and text, the
// text at the width the layout allows per character) lies above the plot rectangle, and every
// line point and band vertex lies inside it. test/report/browser.test.ts checks the same with the
// boxes Chromium really draws.
import { describe, expect, it } from 'vitest';
import { expandSweep, parseSweepYaml } from '../../src/sweep/grid.js';
import { renderSweepReport } from '../../src/sweep/report.js';
import type { PointSummary } from '../../src/sweep/results.js';
import { SMALL } from './helpers.js';

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

const intersects = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const number = (tag: string, name: string): number => Number(new RegExp(`\\b${name}="([-\\d.]+)"`).exec(tag)?.[1]);

/** The legend entries' boxes, the plot rectangle and every drawn point of one chart. */
function geometry(svg: string): { legend: Box[]; plot: Box; points: { x: number; y: number }[]; width: number } {
  const legendGroup = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
  const legend: Box[] = [];
  for (const [, rect, text, name] of legendGroup.matchAll(/(<rect [^>]*\/>)(<text [^>]*>)([^<]*)<\/text>/g)) {
    const x = number(rect, 'x');
    const y = number(text, 'y');
    // Text box: 12 px type, 7.2 px per character at most, from its cap height to its descenders.
    const chars = name.replace(/&[a-z#0-9]+;/g, '_').length;
    legend.push({ x0: x, y0: y - 11, x1: number(text, 'x') + chars * 7.2, y1: y + 4 });
  }
  const plotTag = /<rect class="plot-area"[^>]*>/.exec(svg)?.[0] ?? '';
  const plot = { x0: number(plotTag, 'x'), y0: number(plotTag, 'y'), x1: number(plotTag, 'x') + number(plotTag, 'width'), y1: number(plotTag, 'y') + number(plotTag, 'height') };
  const points: { x: number; y: number }[] = [];
  for (const [, d] of svg.matchAll(/<path d="([^"]+)"/g)) for (const [, x, y] of d.matchAll(/[ML]([-\d.]+),([-\d.]+)/g)) points.push({ x: Number(x), y: Number(y) });
  for (const [, list] of svg.matchAll(/<polygon class="spread" points="([^"]+)"/g)) for (const pair of list.split(' ')) points.push({ x: Number(pair.split(',')[0]), y: Number(pair.split(',')[1]) });
  return { legend, plot, points, width: number(/<svg [^>]*>/.exec(svg)?.[0] ?? '', 'width') };
}

describe('sweep report charts', () => {
  it('keep every legend entry outside the plot, with six long series names per chart', async () => {
    const yaml = [
      'name: legends',
      `base: ${JSON.stringify(SMALL)}`,
      'axes:',
      '  allocator: [linux, buddy, gap-tree, vmem, tlsf]',
      '  iommu.invalidation: [strict, lazy]',
      '  host.cap: [none, seed, merged]',
      'repeats: 2',
      '',
    ].join('\n');
    const spec = await parseSweepYaml(yaml, 'legends.yaml');
    const points = expandSweep(spec);
    // Synthetic figures (the geometry is under test, not the simulator): spread over the plot.
    const results: PointSummary[] = points.map((p) => ({
      id: p.id,
      scenario: p.scenario.name,
      axes: p.axes,
      repeat: p.repeat,
      seed: p.seed,
      fingerprint: p.fingerprint,
      iops: 100_000 + p.index * 7_919,
      bandwidthMBps: 400,
      latencyP50Us: 50 + (p.index % 7),
      latencyP99Us: 80 + ((p.index * 13) % 29),
      lockUtilisation: 0.1,
      mapNsPerIo: 300,
      rcacheHitRate: 0.9,
      liveIovas: 100,
    }));
    const html = renderSweepReport(spec, results, points.length);
    const svgs = html.match(/<svg [\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBe(6); // IOPS and p99 against each of the three axes
    let entries = 0;
    for (const svg of svgs) {
      const id = /id="([^"]+)"/.exec(svg)?.[1];
      const { legend, plot, points: drawn, width } = geometry(svg);
      expect(legend.length, id).toBeGreaterThanOrEqual(5);
      expect(Number.isFinite(plot.x0) && plot.y1 > plot.y0, id).toBe(true);
      for (const box of legend) {
        expect(intersects(box, plot), `${id}: legend entry at (${box.x0}, ${box.y0})`).toBe(false);
        expect(box.y1, id).toBeLessThanOrEqual(plot.y0);
        expect(box.x1, id).toBeLessThanOrEqual(width);
      }
      for (let i = 1; i < legend.length; i++) for (let j = 0; j < i; j++) expect(intersects(legend[i], legend[j]), `${id}: entries ${j} and ${i}`).toBe(false);
      expect(drawn.length, id).toBeGreaterThan(0);
      for (const p of drawn) expect(p.x >= plot.x0 - 0.05 && p.x <= plot.x1 + 0.05 && p.y >= plot.y0 - 0.05 && p.y <= plot.y1 + 0.05, `${id}: point ${p.x},${p.y}`).toBe(true);
      entries += legend.length;
    }
    expect(entries).toBeGreaterThanOrEqual(30);
  });
});
