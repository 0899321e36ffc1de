// iovasim validate on one small experiment: the table, the count, the calibrations, the same bytes
// on a second run; --sensitivity on one parameter writes a tornado into the HTML report; bad options
// get one line.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/commands/validate.js';
import { runCommand } from './helpers.js';

describe('iovasim validate', () => {
  it('prints the verdict table, the count of predictions inside the band and the calibrations, deterministically', async () => {
    const argv = ['--short', '--only', 'garry-v4-lazy-vs-strict', '--workers', '1'];
    const first = await runCommand(validateCommand, argv);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/garry-v4-lazy-vs-strict +prediction +IOPS +strict 1200K, lazy ~1800K +1\.50 +\d\.\d\d +[+-]\d+% +(inside|miss)/);
    expect(first.stdout).toMatch(/predictions inside ±25 %: [01] of 1/);
    expect(first.stdout).toContain('calibrated: costs.tree_step_ns on zhen-lei-retry-pass');
    expect(first.stdout).toContain('usb-max-transfer: no USB host');
    expect(first.stderr).toMatch(/s wall on 1 worker/);
    const second = await runCommand(validateCommand, argv);
    expect(second.stdout).toBe(first.stdout);
  }, 120_000);

  it('--sensitivity varies the named parameters and draws one tornado per experiment', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'iovasim-validate-')), 'validate.html');
    const result = await runCommand(validateCommand, ['--short', '--only', 'garry-v4-lazy-vs-strict', '--sensitivity', '--parameters', 'link_mbps', '--json', '--report', report, '--workers', '1']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { sensitivity: { simulations: number; rows: { parameter: string; ratios: number[] }[] } };
    expect(json.sensitivity.rows.map((r) => r.parameter)).toEqual(['link_mbps']);
    expect(json.sensitivity.rows[0].ratios).toHaveLength(2);
    expect(json.sensitivity.simulations).toBe(6);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<svg id="tornado-garry-v4-lazy-vs-strict"');
    expect(html).toContain('id="validation-table"');
  }, 120_000);

  it('names a bad --only or --parameters in one line', async () => {
    const only = await runCommand(validateCommand, ['--only', 'nope']);
    expect(only.code).toBe(2);
    expect(only.stderr).toMatch(/^iovasim validate: --only: no experiment "nope" \(known: deferred-iotlb-flush-netperf, /);
    const parameters = await runCommand(validateCommand, ['--sensitivity', '--parameters', 'link_mbs']);
    expect(parameters.stderr).toBe('iovasim validate: --parameters: "link_mbs" is not a scenario field (e.g. link_mbps, host.queue_depth, jobs.numjobs, costs.tree_step_ns)\n');
  });

  it('names a bad experiment file by file, line and field, and a broken rule of calibration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iovasim-experiments-'));
    copyFileSync(join(import.meta.dirname, '../../experiments/assumptions.yaml'), join(dir, 'assumptions.yaml'));
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\ntitle: t\nsource: s\nstatus: expressible\nrole: prediction\nmetric: iops\npublished: { numerator: 1, denominator: 2, text: x }\nratio: { numerator: a, denominator: b }\nvariants:\n  a: { label: a, scenario: { link_mbps: -1 } }\n  b: { label: b }\n');
    const bad = await runCommand(validateCommand, ['--experiments', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`iovasim validate: ${join(dir, 'bad.yaml')}:10:41: variants.a.scenario.link_mbps: must be between 1 and 10000000, got -1\n`);
    writeFileSync(join(dir, 'bad.yaml'), 'id: bad\ntitle: t\nsource: s\nstatus: not-expressible\nreason: no model of it yet\n');
    const rule = await runCommand(validateCommand, ['--experiments', dir]);
    expect(rule.stderr).toBe(`iovasim validate: ${dir}: the rule of calibration is broken: costs.tree_step_ns: neither calibrated on an experiment nor assumed in assumptions.yaml\n`);
  });

  it('runs every expressible experiment in short mode (what CI runs), each with a finite ratio and a verdict', async () => {
    const result = await runCommand(validateCommand, ['--short', '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { experiments: { id: string; role: string; simulatedRatio: number; inside: boolean; missReason?: string | null }[]; predictions: number; predictionsInside: number; notExpressible: unknown[] };
    expect(json.experiments.length).toBeGreaterThanOrEqual(8);
    for (const e of json.experiments) {
      expect(Number.isFinite(e.simulatedRatio), e.id).toBe(true);
      if (!e.inside) expect(typeof e.missReason, `${e.id} misses without a reason`).toBe('string');
    }
    expect(json.predictions).toBe(json.experiments.filter((e) => e.role === 'prediction').length);
    expect(json.predictionsInside).toBe(json.experiments.filter((e) => e.role === 'prediction' && e.inside).length);
    expect(json.notExpressible.length).toBeGreaterThanOrEqual(10);
  }, 300_000);
});
