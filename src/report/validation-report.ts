/**
 * What `iovasim validate` prints and writes: the table of experiments (simulated against published
 * ratio, error, verdict, role), the misses with their reasons, the count of predictions inside the
 * band, which parameter was calibrated on which experiment, the figures not expressible yet; and,
 * when asked, the sensitivity tornado as text and as SVG bars in one self-contained HTML page.
 * Everything here is a function of its input: no clock, no order of arrival.
 */
import type { Assumption } from '../validate/assumptions.js';
import { METRICS } from '../validate/metric.js';
import { FACTORS, type Sensitivity, type SensitivityRow } from '../validate/sensitivity.js';
import type { ExperimentOutcome, Validation } from '../validate/validation.js';
import { BAND, directionOf } from '../validate/verdict.js';
import { REPORT_CSS } from './html.js';
import { escapeXml, tornadoChart } from './svg.js';
import { formatTable } from './table.js';

function percent(error: number): string {
  if (!Number.isFinite(error)) return 'n/a';
  const whole = Math.round(error * 100) || 0; // no "-0%"
  return `${whole >= 0 ? '+' : ''}${whole}%`;
}
const ratioText = (ratio: number): string => (Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a');
const verdictWord = (o: ExperimentOutcome): string => (o.verdict.flipped ? 'MISS (flips)' : o.verdict.inside ? 'inside' : 'miss');

function factorText(factor: number): string {
  return `×${factor}`;
}

export function validationTable(validation: Validation): string {
  return formatTable(
    ['experiment', 'role', 'metric', 'published', 'published ratio', 'simulated ratio', 'error', `±${BAND * 100}%`],
    validation.outcomes.map((o) => [
      o.experiment.id,
      o.experiment.role,
      METRICS[o.experiment.metric].label,
      o.experiment.published.text,
      ratioText(o.verdict.published),
      ratioText(o.verdict.simulated),
      percent(o.verdict.error),
      verdictWord(o),
    ]),
  );
}

/** The whole text report of a validation run. */
export function validationText(validation: Validation, assumptions: readonly Assumption[]): string {
  const lines: string[] = [validationTable(validation)];
  const misses = validation.outcomes.filter((o) => !o.verdict.inside);
  if (misses.length > 0) {
    lines.push('misses, and why:');
    for (const o of misses) lines.push(`  ${o.experiment.id}: ${o.experiment.missReason ?? 'no reason recorded in the experiment file'}`);
    lines.push('');
  }
  lines.push(`predictions inside ±${BAND * 100} %: ${validation.predictionsInside} of ${validation.predictions}`);
  const calibrated = [...validation.calibrations].sort(([a], [b]) => a.localeCompare(b));
  lines.push(`calibrated: ${calibrated.length === 0 ? 'nothing' : calibrated.map(([path, ids]) => `${path} on ${ids.join(', ')}`).join('; ')}`);
  lines.push(`assumed (experiments/assumptions.yaml): ${assumptions.map((a) => a.path).join(', ')}`);
  if (validation.notExpressible.length > 0) {
    lines.push('', 'not expressible yet:');
    for (const e of validation.notExpressible) lines.push(`  ${e.id}: ${e.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function flagsOf(row: SensitivityRow): string {
  const flags: string[] = [];
  if (row.flipsAt.length > 0) flags.push(`FLIPS at ${row.flipsAt.map(factorText).join(', ')}`);
  if (row.vanishesAt.length > 0) flags.push(`effect vanishes at ${row.vanishesAt.map(factorText).join(', ')}`);
  if (row.verdictChangesAt.length > 0) flags.push(`verdict changes at ${row.verdictChangesAt.map(factorText).join(', ')}`);
  return flags.join('; ');
}

/** The tornado as text: per experiment, its parameters by swing, largest first. */
export function sensitivityText(sensitivity: Sensitivity): string {
  const rows: string[][] = [];
  for (const base of sensitivity.baseline) {
    const published = base.experiment.published.ratio;
    rows.push([`${base.experiment.id} (published ${ratioText(published)}, ${directionOf(published)})`, '', ratioText(base.verdict.simulated), '', '', '']);
    for (const row of sensitivity.rows.filter((r) => r.experimentId === base.experiment.id)) {
      rows.push([`  ${row.parameter}`, ratioText(row.ratios[0]), ratioText(row.baseline), ratioText(row.ratios[1]), row.swing.toFixed(2), flagsOf(row)]);
    }
  }
  const flipped = sensitivity.rows.filter((r) => r.flipsAt.length > 0);
  return (
    formatTable(['experiment / parameter', factorText(FACTORS[0]), 'baseline', factorText(FACTORS[1]), 'swing', 'flags'], rows) +
    `\n${flipped.length} of ${sensitivity.rows.length} parameter-experiment pairs flip direction` +
    (flipped.length > 0 ? `: ${flipped.map((r) => `${r.experimentId} on ${r.parameter}`).join(', ')}` : '') +
    '\n'
  );
}

function outcomeRows(validation: Validation): string {
  return validation.outcomes
    .map(
      (o) =>
        `<tr${o.verdict.inside ? '' : ' class="miss"'}><td><code>${escapeXml(o.experiment.id)}</code><br>${escapeXml(o.experiment.title)}</td><td>${escapeXml(o.experiment.role)}</td>` +
        `<td>${escapeXml(o.experiment.published.text)}</td><td>${ratioText(o.verdict.published)}</td><td>${ratioText(o.verdict.simulated)}</td><td>${percent(o.verdict.error)}</td>` +
        `<td>${escapeXml(verdictWord(o))}</td><td>${escapeXml(o.verdict.inside ? '' : (o.experiment.missReason ?? ''))}</td></tr>`,
    )
    .join('');
}

/** One self-contained HTML page: the table, the calibrations, and a tornado per experiment. */
export function validationHtml(validation: Validation, assumptions: readonly Assumption[], sensitivity: Sensitivity | undefined, command: string): string {
  const parts = [
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
    `<title>iovasim validate</title><style>${REPORT_CSS}tr.miss td{background:#fff4f2}</style></head><body><main>`,
    `<header><h1>iovasim validate</h1><p class="sub"><code>${escapeXml(command)}</code></p>`,
    `<p class="sub">${validation.short ? 'short (CI) runs' : 'full runs'}, ${validation.simulations} distinct simulations; predictions inside ±${BAND * 100} %: <strong>${validation.predictionsInside} of ${validation.predictions}</strong></p></header>`,
    '<section id="experiments"><h2>Experiments</h2><div class="table-wrap"><table id="validation-table"><thead><tr><th>experiment</th><th>role</th><th>published</th><th>published ratio</th><th>simulated ratio</th><th>error</th><th>verdict</th><th>why it misses</th></tr></thead>',
    `<tbody>${outcomeRows(validation)}</tbody></table></div></section>`,
    '<section id="declarations"><h2>Calibrated and assumed</h2><div class="table-wrap"><table><thead><tr><th>parameter</th><th>declared</th></tr></thead><tbody>',
    ...[...validation.calibrations].map(([path, ids]) => `<tr><td><code>${escapeXml(path)}</code></td><td>calibrated on ${escapeXml(ids.join(', '))}</td></tr>`),
    ...assumptions.map((a) => `<tr><td><code>${escapeXml(a.path)}</code></td><td>assumed: ${escapeXml(a.source)}</td></tr>`),
    '</tbody></table></div></section>',
    `<section id="not-expressible"><h2>Not expressible yet</h2><ul>${validation.notExpressible.map((e) => `<li><code>${escapeXml(e.id)}</code> (${escapeXml(e.source)}): ${escapeXml(e.reason)}</li>`).join('')}</ul></section>`,
  ];
  if (sensitivity !== undefined) {
    parts.push(`<section id="sensitivity"><h2>Sensitivity</h2><p class="lead">Each parameter at ${FACTORS.map(factorText).join(' and ')} of its value, ${sensitivity.simulations} distinct simulations. A bar outlined in red makes the ratio point the other way from the published one.</p>`);
    for (const base of sensitivity.baseline) {
      const rows = sensitivity.rows.filter((r) => r.experimentId === base.experiment.id);
      const svg = tornadoChart({
        id: `tornado-${base.experiment.id}`,
        title: `${base.experiment.id}: ratio at ${FACTORS.map(factorText).join(' and ')} of each parameter`,
        description: `Simulated ${METRICS[base.experiment.metric].label} ratio ${ratioText(base.verdict.simulated)}, published ${ratioText(base.experiment.published.ratio)}; one bar per parameter, largest swing first.`,
        xLabel: `${METRICS[base.experiment.metric].label} ratio (${base.experiment.numerator.key} / ${base.experiment.denominator.key})`,
        baseline: base.verdict.simulated,
        reference: base.experiment.published.ratio,
        referenceLabel: 'published',
        bars: rows.map((r) => ({ name: r.parameter, low: r.ratios[0], high: r.ratios[1], flagged: r.flipsAt.length > 0 })),
        lowLabel: factorText(FACTORS[0]),
        highLabel: factorText(FACTORS[1]),
      });
      parts.push(`<figure class="chart"><h3>${escapeXml(base.experiment.id)}</h3>${svg}<figcaption>${escapeXml(base.experiment.title)}</figcaption></figure>`);
    }
    parts.push('</section>');
  }
  parts.push('<footer>iovasim validate — a self-contained report: no scripts, no network; charts are inline SVG.</footer></main></body></html>\n');
  return parts.join('');
}
