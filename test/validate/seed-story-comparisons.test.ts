// The seed story's published comparisons come from the experiment files: the calibration experiment
// resolves to the story's own variants (a) and (b); experiments on another kernel add their variants.
import { describe, expect, it } from 'vitest';
import { storyVariants } from '../../src/sim/seed-story.js';
import { readExperiments } from '../../src/validate/experiment.js';
import { seedStoryComparisons } from '../../src/validate/seed-story-comparisons.js';

describe('seed story comparisons', () => {
  const story = storyVariants();
  const { variants, comparisons } = seedStoryComparisons(story, readExperiments());

  it('are the experiments marked seed_story, the retry pass on variants (a) and (b)', () => {
    expect(comparisons.map((c) => c.experiment.id)).toEqual(['garry-v4-lazy-rcache-all-sizes', 'garry-v4-rcache-all-sizes-strict', 'zhen-lei-retry-pass']);
    const retry = comparisons.find((c) => c.experiment.id === 'zhen-lei-retry-pass');
    expect([retry?.numerator, retry?.denominator]).toEqual(['a', 'b']);
    expect(retry?.experiment.role).toBe('calibration');
  });

  it('add the variants the story lacks, once each', () => {
    expect(variants.slice(0, story.length)).toEqual(story);
    const added = variants.slice(story.length);
    expect(added.map((v) => v.scenario.kernel)).toEqual(['5.13', '5.13', '5.13', '5.13']);
    for (const c of comparisons) for (const key of [c.numerator, c.denominator]) expect(variants.some((v) => v.key === key), key).toBe(true);
  });
});
