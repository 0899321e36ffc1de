/**
 * `iovasim explore INPUT`: the address-space explorer. INPUT is a conformance trace, an iommu/dma
 * ftrace capture, or a scenario YAML / fio job file, which is simulated with an IovaRecorder
 * (src/sim/iova-recorder.ts) so the page replays exactly the operations the simulated allocator saw;
 * the page runs it through the model in the browser (see src/explore/).
 * With --out the page is written as one self-contained HTML file; otherwise it is served on
 * 127.0.0.1 (a free port unless --port) until interrupted or --serve-seconds pass.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { isAllocatorName, ALLOCATOR_NAMES } from '../../allocators/registry.js';
import { kernelProfile, KernelVersionError } from '../../allocators/kernel-version.js';
import { parseIovaTrace, TraceError } from '../../conformance/iova-trace.js';
import { explorerBundles } from '../../explore/bundle.js';
import type { ExploreInput, ModelChoice } from '../../explore/explorer.js';
import { isScenarioInput, recordedScenarioInput, SCENARIO_ONLY } from '../explore-scenario.js';
import { ftraceToTrace } from '../../explore/ftrace-trace.js';
import { explorePageHtml } from '../../explore/page-html.js';
import { serveExplorer } from '../../explore/server.js';
import { WorkloadError } from '../../workloads/errors.js';
import { DEFAULT_RECORDED_OPERATIONS } from '../../sim/iova-recorder.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { readInputText } from '../input-file.js';

const OPTIONS: Record<string, OptionSpec> = {
  kernel: { type: 'string', description: 'kernel version of the Linux model (default: 7.0 for a trace, the scenario’s own for a scenario)' },
  allocator: { type: 'string', description: `allocator behind the rcache: ${ALLOCATOR_NAMES.join(', ')} (default: linux for a trace, the scenario’s own for a scenario)` },
  compare: { type: 'string', description: 'a second model side by side: a kernel version (Linux) or an allocator name; for a scenario, anything one `run --compare` item takes (e.g. gap-tree, 5.19, lazy), simulated again' },
  preset: { type: 'string', description: 'scenario or fio job: base scenario for the host, IOMMU and costs (default sas-128cpu)' },
  duration: { type: 'string', description: 'scenario or fio job: simulated milliseconds' },
  seed: { type: 'string', description: 'scenario or fio job: seed for every random choice' },
  iommu: { type: 'string', description: 'scenario or fio job: strict | lazy' },
  cpus: { type: 'string', description: 'scenario or fio job: number of CPUs' },
  'max-operations': { type: 'string', description: `scenario or fio job: record at most this many operations (default ${DEFAULT_RECORDED_OPERATIONS.toLocaleString('en-US')})` },
  out: { type: 'string', description: 'write the page to this HTML file (works offline) instead of serving it' },
  port: { type: 'string', description: 'port on 127.0.0.1 (default: a free one)' },
  'no-open': { type: 'boolean', description: 'do not open a browser' },
  'serve-seconds': { type: 'string', description: 'stop serving after this many seconds' },
  help: { type: 'boolean', description: 'show this help' },
};

const TRACE_OPS = new Set(['cpus', 'domain', 'rcache', 'cpu', 'alloc', 'free', 'find', 'reserve', 'alloc_fast', 'free_fast', 'tick', 'stats', 'dump', 'rcdump', 'cpudead']);

function checkKernel(version: string, option: string): void {
  try {
    kernelProfile(version);
  } catch (error) {
    if (error instanceof KernelVersionError) throw new UsageError(`${option}: ${error.message}`);
    throw error;
  }
}

function parseModels(options: Record<string, string | boolean | undefined>): ModelChoice[] {
  const kernel = typeof options.kernel === 'string' ? options.kernel : '7.0';
  checkKernel(kernel, '--kernel');
  const allocator = typeof options.allocator === 'string' ? options.allocator : 'linux';
  if (!isAllocatorName(allocator)) throw new UsageError(`--allocator: "${allocator}" is not one of ${ALLOCATOR_NAMES.join(', ')}`);
  const models: ModelChoice[] = [{ allocator, kernel }];
  const compare = options.compare;
  if (typeof compare === 'string') {
    if (/^\d+\.\d+$/.test(compare)) {
      checkKernel(compare, '--compare');
      models.push({ allocator: 'linux', kernel: compare });
    } else if (isAllocatorName(compare)) {
      models.push({ allocator: compare, kernel });
    } else {
      throw new UsageError(`--compare: "${compare}" is neither a kernel version (e.g. 5.19) nor an allocator (${ALLOCATOR_NAMES.join(', ')})`);
    }
  }
  return models;
}

/** A conformance trace when its first operation line starts with a trace operation. */
function looksLikeTrace(text: string): boolean {
  for (const raw of text.split('\n', 200)) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    return TRACE_OPS.has(line.split(/\s+/)[0]);
  }
  return false;
}

export async function exploreInput(file: string, models: ModelChoice[]): Promise<ExploreInput> {
  const text = await readInputText(file);
  let traceText = text;
  const notes: string[] = [];
  if (!looksLikeTrace(text)) {
    try {
      const converted = await ftraceToTrace(file);
      if (converted.maps === 0) throw new UserError(`${file}: neither a conformance trace nor an ftrace capture with iommu/dma mapping events`);
      traceText = converted.traceText;
      notes.push(...converted.notes);
    } catch (error) {
      if (error instanceof WorkloadError) throw new UserError(error.message);
      throw error;
    }
  }
  try {
    const trace = parseIovaTrace(traceText, file);
    if (trace.needsBigintPfns && models.some((m) => m.allocator !== 'linux')) {
      throw new UserError(`${file}: this trace needs 64-bit pfns, which only the Linux model handles`);
    }
  } catch (error) {
    if (error instanceof TraceError) throw new UserError(error.message);
    throw error;
  }
  return { name: file, traceText, models, notes };
}

function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the URL is printed anyway.
  }
}

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'watch the allocator work: a trace or ftrace capture in an interactive page (served on 127.0.0.1, or --out FILE.html)',
  async run(argv, io) {
    const { positionals, options } = parseArgs('explore', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim explore INPUT [--kernel VERSION] [--compare VERSION|ALLOCATOR] [--out FILE.html | --port N] [--no-open] [--serve-seconds S]\n\nINPUT: a conformance trace, an iommu/dma ftrace capture, or a scenario YAML or fio job file (simulated with the allocator recorded; --preset, --duration, --seed, --iommu, --cpus, --max-operations apply to it).', OPTIONS));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('explore takes exactly one INPUT (a conformance trace, an ftrace capture, a scenario YAML or a fio job file)');
    const port = options.port === undefined ? 0 : positiveInteger(options, 'port');
    if (port !== undefined && port > 65535) throw new UsageError(`--port: ${port} is above 65535`);
    const serveSeconds = positiveInteger(options, 'serve-seconds');
    const file = positionals[0];
    let input: ExploreInput;
    if (await isScenarioInput(file)) {
      input = await recordedScenarioInput(file, options, io.isTTY ? io.stderr : null);
    } else {
      for (const name of SCENARIO_ONLY) if (options[name] !== undefined) throw new UsageError(`--${name}: only for a scenario YAML or a fio job file`);
      input = await exploreInput(file, parseModels(options));
    }
    let bundles;
    try {
      bundles = await explorerBundles();
    } catch (error) {
      throw new UserError(`cannot bundle the page (is esbuild installed? npm ci): ${(error as Error).message.split('\n')[0]}`);
    }
    const html = explorePageHtml(input, bundles);
    if (typeof options.out === 'string') {
      try {
        await writeFile(options.out, html);
      } catch (error) {
        throw new UserError(`${options.out}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      io.stdout.write(`wrote ${options.out} (${Math.round(html.length / 1024)} KiB): open it in a browser\n`);
      return 0;
    }
    let server;
    try {
      server = await serveExplorer(html, port);
    } catch (error) {
      throw new UserError(`--port ${port}: cannot listen on 127.0.0.1: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    io.stdout.write(`explore ${file}: ${server.url}${serveSeconds === undefined ? ' (Ctrl-C to stop)' : ` (for ${serveSeconds} s)`}\n`);
    if (!options['no-open'] && io.isTTY && process.env.CI === undefined) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        clearTimeout(timer);
        resolve();
      };
      const timer = serveSeconds === undefined ? undefined : setTimeout(stop, serveSeconds * 1000);
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
