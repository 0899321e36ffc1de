/**
 * The seed story's published comparisons are experiments (`seed_story: true`), so that `npm start`
 * and `iovasim validate` judge the same figures the same way. Each experiment variant is matched to
 * the story variant that is the same scenario (all but the name); one that the story does not
 * have (an experiment on another kernel) is added to the story's runs as x1, x2, … with the
 * experiment's label.
 */
import type { StoryVariant } from '../sim/seed-story.js';
import type { Experiment, ExpressibleExperiment } from './experiment.js';
import { scenarioKey } from './validation.js';

export interface StoryComparison {
  readonly experiment: ExpressibleExperiment;
  /** Keys of the story variants whose metric is divided. */
  readonly numerator: string;
  readonly denominator: string;
}

export function seedStoryComparisons(variants: readonly StoryVariant[], experiments: readonly Experiment[]): { variants: StoryVariant[]; comparisons: StoryComparison[] } {
  const all = [...variants];
  const byScenario = new Map(all.map((v) => [scenarioKey(v.scenario), v.key]));
  const keyOf = (experiment: ExpressibleExperiment, side: 'numerator' | 'denominator'): string => {
    const variant = experiment[side];
    const found = byScenario.get(scenarioKey(variant.scenario));
    if (found !== undefined) return found;
    const key = `x${all.length - variants.length + 1}`;
    all.push({ key, label: variant.label, scenario: variant.scenario });
    byScenario.set(scenarioKey(variant.scenario), key);
    return key;
  };
  const comparisons = experiments
    .filter((e): e is ExpressibleExperiment => e.status === 'expressible' && e.seedStory)
    .map((experiment) => ({ experiment, numerator: keyOf(experiment, 'numerator'), denominator: keyOf(experiment, 'denominator') }));
  return { variants: all, comparisons };
}
