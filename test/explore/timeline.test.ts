// The explorer's step-by-step sessions against the golden traces: every operation's output,
// joined, must be the kernel's bytes; and after seeking anywhere (checkpoint restore, replay)
// the model must go on printing exactly what the forward run printed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelProfile } from '../../src/allocators/kernel-version.js';
import { parseIovaTrace } from '../../src/conformance/iova-trace.js';
import { OUTCOME_FAIL, OUTCOME_FLUSH, OUTCOME_HANG, type ExploreSession } from '../../src/explore/session.js';
import { Timeline } from '../../src/explore/timeline.js';
import { sharedDir } from '../support/shared.js';

const conformance = join(sharedDir(), 'conformance');

function joined(outputs: readonly string[]): string {
  return outputs.filter((o) => o !== '').join('\n') + '\n';
}

for (const version of ['5.19', '7.0']) {
  const dir = join(conformance, version);
  const traces = readdirSync(dir).filter((f) => f.endsWith('.trace')).sort();
  describe(`explorer timeline, kernel ${version}`, () => {
    for (const name of traces) {
      it(`${name}: outputs are the kernel's, and stay so after seeking`, () => {
        const file = join(dir, name);
        const trace = parseIovaTrace(readFileSync(file, 'utf8'), file);
        const timeline = new Timeline(trace, { allocator: 'linux', profile: kernelProfile(version) }, { checkpointEvery: 500 });
        expect(joined(timeline.outputs)).toBe(readFileSync(file.replace(/\.trace$/, '.out'), 'utf8'));
        // Seek back and forth to a few places, then re-run a stretch and compare with the forward run.
        const n = timeline.opCount;
        const points = [Math.floor(n * 0.9), Math.floor(n / 3), 1, Math.floor(n * 0.6), Math.floor(n * 0.61)];
        for (const point of points) {
          timeline.seek(point);
          const session = timeline.session as ExploreSession<number>;
          const end = Math.min(n, point + 700);
          for (let i = point; i < end; i++) {
            const { output } = session.step();
            if (output !== timeline.outputs[i]) expect(`op ${i} (line ${trace.ops[i].line}) after seeking to ${point}: ${output}`).toBe(`op ${i}: ${timeline.outputs[i]}`);
          }
        }
      });
    }
  });
}

describe('explorer outcomes', () => {
  it('t13 (7.0): marks failures and rcache flushes', () => {
    const file = join(conformance, '7.0', 't13_exhaust32_fast_flush.trace');
    const trace = parseIovaTrace(readFileSync(file, 'utf8'), file);
    const timeline = new Timeline(trace, { allocator: 'linux', profile: kernelProfile('7.0') });
    const firstFail = timeline.findOutcome(-1, OUTCOME_FAIL, 1);
    expect(firstFail).toBeGreaterThan(0);
    expect(timeline.outputs[firstFail]).toBe('0');
    for (let i = 0; i < firstFail; i++) expect(timeline.outputs[i]).not.toBe('0');
    expect(timeline.findOutcome(-1, OUTCOME_FLUSH, 1)).toBeGreaterThan(0);
  });

  it('t11 (5.19): marks the livelock as a hang', () => {
    const file = join(conformance, '5.19', 't11_anchor_overflow.trace');
    const trace = parseIovaTrace(readFileSync(file, 'utf8'), file);
    const timeline = new Timeline(trace, { allocator: 'linux', profile: kernelProfile('5.19') });
    const hang = timeline.findOutcome(-1, OUTCOME_HANG, 1);
    expect(hang).toBeGreaterThan(0);
    expect(timeline.outputs[hang]).toBe('hang');
  });
});
