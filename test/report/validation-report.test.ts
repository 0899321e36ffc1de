// The validation report on constructed outcomes: a flipped ratio is flagged in the tornado's text
// and in its SVG, a miss prints its reason, and the count of predictions is the one given.
import { describe, expect, it } from 'vitest';
import { tornadoChart } from '../../src/report/svg.js';
import { sensitivityText, validationHtml, validationText } from '../../src/report/validation-report.js';
import { readAssumptions } from '../../src/validate/assumptions.js';
import { readExperiments, type ExpressibleExperiment } from '../../src/validate/experiment.js';
import { sensitivityRow, type Sensitivity } from '../../src/validate/sensitivity.js';
import type { Validation } from '../../src/validate/validation.js';
import { verdictOf } from '../../src/validate/verdict.js';

const experiments = readExperiments();
const retry = experiments.find((e) => e.id === 'zhen-lei-retry-pass') as ExpressibleExperiment;
const lazy = experiments.find((e) => e.id === 'garry-v4-lazy-vs-strict') as ExpressibleExperiment;
const outcome = (experiment: ExpressibleExperiment, numerator: number, denominator: number) => ({ experiment, numerator, denominator, verdict: verdictOf(numerator / denominator, experiment.published.ratio) });
const validation: Validation = {
  short: true,
  outcomes: [outcome(retry, 1.7e6, 1.7e6), outcome(lazy, 1.6e6, 1.2e6)],
  notExpressible: [],
  simulations: 4,
  calibrations: new Map([['costs.tree_step_ns', ['zhen-lei-retry-pass']]]),
  predictions: 1,
  predictionsInside: 1,
};
const inside = (published: number) => (r: number) => verdictOf(r, published).inside;
const sensitivity: Sensitivity = {
  parameters: ['link_mbps', 'host.queue_depth'],
  baseline: validation.outcomes,
  rows: [sensitivityRow('zhen-lei-retry-pass', 'link_mbps', 1.0, retry.published.ratio, [1.4, 0.6], inside(retry.published.ratio)), sensitivityRow('zhen-lei-retry-pass', 'host.queue_depth', 1.0, retry.published.ratio, [1.0, 1.0], inside(retry.published.ratio))],
  simulations: 8,
};

describe('validation report', () => {
  it('prints verdicts, the reason of each miss, the count and the calibrations', () => {
    const text = validationText(validation, readAssumptions());
    expect(text).toMatch(/zhen-lei-retry-pass +calibration +IOPS +1655\.6K -> 893\.5K IOPS +0\.54 +1\.00 +\+85% +miss/);
    expect(text).toMatch(/garry-v4-lazy-vs-strict +prediction +IOPS .* 1\.50 +1\.33 +-11% +inside/);
    expect(text).toContain(`  zhen-lei-retry-pass: ${retry.missReason as string}`);
    expect(text).not.toContain('  garry-v4-lazy-vs-strict: ');
    expect(text).toContain('predictions inside ±25 %: 1 of 1');
    expect(text).toContain('calibrated: costs.tree_step_ns on zhen-lei-retry-pass');
  });

  it('flags the flip in the tornado text and outlines its bar in the SVG', () => {
    const text = sensitivityText(sensitivity);
    expect(text).toMatch(/ {2}link_mbps +1\.40 +1\.00 +0\.60 +0\.80 +FLIPS at ×0\.5; verdict changes at ×2/);
    expect(text).toContain('1 of 2 parameter-experiment pairs flip direction: zhen-lei-retry-pass on link_mbps');
    const html = validationHtml(validation, readAssumptions(), sensitivity, 'iovasim validate --sensitivity');
    expect(html).toContain('<svg id="tornado-zhen-lei-retry-pass"');
    expect(html).toContain('link_mbps (flips)');
    expect(html.match(/stroke="#b2182b" stroke-width="2"/g)).toHaveLength(2);
  });

  it('draws a bar per parameter from its low to its high value', () => {
    const svg = tornadoChart({ id: 't', title: 't', description: 'd', xLabel: 'ratio', baseline: 1, reference: 0.5, referenceLabel: 'published', bars: [{ name: 'p', low: 0.5, high: 2, flagged: false }], lowLabel: '×0.5', highLabel: '×2' });
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(svg).toContain('<title>p ×2: 2.000</title>');
    expect(svg).not.toContain('(flips)');
  });
});
