// The shipped experiment files parse, every figure of the published list has one, and the rule of
// calibration holds: each cost constant and each assumed scenario parameter is calibrated on at most
// one experiment or assumed (with a source), never both, never neither.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COST_MODEL_KEYS } from '../../src/sim/cost-model.js';
import { checkDeclarations, costPath, readAssumptions, SCENARIO_ASSUMPTIONS, type Assumption } from '../../src/validate/assumptions.js';
import { parseExperimentText, readExperiments, type Experiment } from '../../src/validate/experiment.js';

const experiments = readExperiments();
const assumptions = readAssumptions();

describe('experiment files', () => {
  it('parse, with expressible and not-expressible ones, one calibration', () => {
    expect(experiments.length).toBeGreaterThanOrEqual(15);
    const expressible = experiments.filter((e) => e.status === 'expressible');
    expect(expressible.length).toBeGreaterThanOrEqual(6);
    expect(experiments.filter((e) => e.status === 'not-expressible').every((e) => e.status === 'not-expressible' && e.reason.length > 20)).toBe(true);
    expect(expressible.filter((e) => e.role === 'calibration').map((e) => e.id)).toEqual(['zhen-lei-retry-pass']);
    for (const e of expressible) expect(e.numerator.scenario, e.id).not.toEqual(e.denominator.scenario);
  });

  it('give each variant its scenario through the loader: base, then the variant', () => {
    const retry = experiments.find((e) => e.id === 'zhen-lei-retry-pass') as Extract<Experiment, { status: 'expressible' }>;
    expect(retry.published.ratio).toBeCloseTo(893.5 / 1655.6, 12);
    expect(retry.numerator.scenario.iommu.retryPass).toBe(true);
    expect(retry.denominator.scenario.iommu.retryPass).toBe(false);
    expect(retry.denominator.scenario.kernel).toBe('5.11');
    expect(retry.denominator.shortScenario.durationMs).toBe(24);
    expect(retry.denominator.shortScenario.ageingMaps).toBe(200_000);
    const nvme = experiments.find((e) => e.id === 'tree-lock-hold-nvme') as Extract<Experiment, { status: 'expressible' }>;
    expect(nvme.numerator.scenario.host.preset).toBe('nvme-amdvi');
    expect(nvme.numerator.scenario.iommu.rcacheClasses).toBe(10);
    expect(nvme.numerator.shortScenario.durationMs).toBe(120);
  });

  it('cite a source that the published list has, for every figure of it', () => {
    const published = readFileSync(join(import.meta.dirname, '../../../shared/spec/published-figures.md'), 'utf8');
    const sources = new Set(experiments.map((e) => e.source));
    for (const name of ['Zhen Lei', 'rcache range to be configured" v1', 'rcache range be configured" v4', 'Bart Van Assche', 'LKP', 'Qinxin Xia', 'rIOMMU', 'Brouer', 'Can the IOVA allocator make max safe', 'Mark Gross', '3710e2b056cb', 'Axboe', 'spdk', 'vendor']) {
      expect([...sources].some((s) => s.includes(name)), name).toBe(true);
    }
    expect(published).toContain('Zhen Lei');
  });
});

describe('a bad experiment file', () => {
  const good = readFileSync(join(import.meta.dirname, '../../experiments/garry-v4-lazy-vs-strict.yaml'), 'utf8');
  const parse = (text: string, name = 'garry-v4-lazy-vs-strict.yaml'): string => {
    try {
      parseExperimentText(text, name);
      return 'parsed';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('is one line naming the file, line and field', () => {
    expect(parse(good)).toBe('parsed');
    expect(parse(good.replace('metric: iops', 'metric: latency'))).toMatch(/^garry-v4-lazy-vs-strict\.yaml:\d+:\d+: metric: must be one of iops, /);
    expect(parse(good.replace('invalidation: lazy', 'invalidation: lasy'))).toMatch(/^garry-v4-lazy-vs-strict\.yaml:\d+:\d+: variants\.lazy\.scenario\.iommu\.invalidation: must be one of strict, lazy/);
    expect(parse(good.replace('numerator: lazy,', 'numerator: lacy,'))).toMatch(/:\d+:\d+: ratio\.numerator: names no variant \(variants: strict, lazy\)/);
    expect(parse(good, 'other-name.yaml')).toMatch(/^other-name\.yaml:1:\d+: id: must be the file's name "other-name"/);
    expect(parse(good.replace('role: prediction', 'role: calibration'))).toMatch(/calibrates: missing/);
    expect(parse(good.replace('status: expressible', 'status: not-expressible'))).toMatch(/reason: says why/);
  });
});

describe('the rule of calibration', () => {
  it('holds for the shipped files against COST_MODEL_KEYS and the scenario assumptions', () => {
    expect(checkDeclarations(experiments, assumptions)).toEqual([]);
    for (const key of COST_MODEL_KEYS) expect(assumptions.some((a) => a.path === costPath(key)) || experiments.some((e) => e.status === 'expressible' && e.calibrates.includes(costPath(key))), key).toBe(true);
    for (const a of assumptions) expect(a.source.length, a.path).toBeGreaterThan(3);
  });

  it('names a constant calibrated twice, both calibrated and assumed, or undeclared', () => {
    const twice = [...experiments, { ...(experiments.find((e) => e.id === 'zhen-lei-retry-pass') as Experiment), id: 'copy' }];
    expect(checkDeclarations(twice, assumptions)).toEqual(['costs.tree_step_ns: calibrated on 2 experiments (zhen-lei-retry-pass, copy); at most one']);
    const both: Assumption[] = [...assumptions, { path: 'costs.tree_step_ns', source: 'estimate', vary: false }];
    expect(checkDeclarations(experiments, both)).toEqual(['costs.tree_step_ns: both calibrated (on zhen-lei-retry-pass) and assumed in assumptions.yaml']);
    const noLink = assumptions.filter((a) => a.path !== 'link_mbps');
    expect(checkDeclarations(experiments, noLink)).toEqual(['link_mbps: neither calibrated on an experiment nor assumed in assumptions.yaml']);
    expect(checkDeclarations(experiments, assumptions, [...COST_MODEL_KEYS, 'pollNs'])).toEqual(['costs.poll_ns: neither calibrated on an experiment nor assumed in assumptions.yaml']);
    expect(SCENARIO_ASSUMPTIONS).toContain('host.queue_depth');
  });
});
