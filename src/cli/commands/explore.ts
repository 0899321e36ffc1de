/**
 * `iovasim explore INPUT`: the address-space explorer. INPUT is a conformance trace or an
 * iommu/dma ftrace capture; the page runs it through the model in the browser (see src/explore/).
 * With --out the page is written as one self-contained HTML file; otherwise it is served on
 * 127.0.0.1 (a free port unless --port) until interrupted or --serve-seconds pass.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { isAllocatorName, ALLOCATOR_NAMES } from '../../allocators/registry.js';
import { kernelProfile, KernelVersionError } from '../../allocators/kernel-version.js';
import { parseIovaTrace, TraceError } from '../../conformance/iova-trace.js';
import { explorerBundles } from '../../explore/bundle.js';
import type { ExploreInput, ModelChoice } from '../../explore/explorer.js';
import { ftraceToTrace } from '../../explore/ftrace-trace.js';
import { explorePageHtml } from '../../explore/page-html.js';
import { serveExplorer } from '../../explore/server.js';
import { WorkloadError } from '../../workloads/errors.js';
import { helpText, parseArgs, positiveInteger, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';

const OPTIONS: Record<string, OptionSpec> = {
  kernel: { type: 'string', description: 'kernel version of the Linux model (5.13 or later)', default: '7.0' },
  allocator: { type: 'string', description: `allocator behind the rcache: ${ALLOCATOR_NAMES.join(', ')}`, default: 'linux' },
  compare: { type: 'string', description: 'a second model side by side: a kernel version (Linux) or an allocator name' },
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
  const kernel = String(options.kernel);
  checkKernel(kernel, '--kernel');
  const allocator = String(options.allocator);
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (/\.(ya?ml|fio|ini|job)$/i.test(file)) {
    throw new UserError(`${file}: scenarios and fio jobs are not supported by explore yet (give a conformance trace or an iommu/dma ftrace capture)`);
  }
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
      io.stdout.write(helpText('usage: iovasim explore INPUT [--kernel VERSION] [--compare VERSION|ALLOCATOR] [--out FILE.html | --port N] [--no-open] [--serve-seconds S]', OPTIONS));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('explore takes exactly one INPUT (a conformance trace or an ftrace capture)');
    const models = parseModels(options);
    const port = options.port === undefined ? 0 : positiveInteger(options, 'port');
    if (port !== undefined && port > 65535) throw new UsageError(`--port: ${port} is above 65535`);
    const serveSeconds = positiveInteger(options, 'serve-seconds');
    const input = await exploreInput(positionals[0], models);
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
    io.stdout.write(`explore ${positionals[0]}: ${server.url}${serveSeconds === undefined ? ' (Ctrl-C to stop)' : ` (for ${serveSeconds} s)`}\n`);
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
