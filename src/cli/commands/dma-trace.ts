/**
 * `iovasim dma-trace FILE --kernel VERSION`: replays a DMA conformance trace through the DMA layer
 * (dma-iommu, flush queue, page table, rcache, IOVA domain) and prints what the kernel's own
 * dma-iommu.c printed (../../../shared/dma-conformance/README.md).
 */
import { KernelVersionError } from '../../allocators/kernel-version.js';
import { parseDmaTrace, runDmaTrace, TraceError, type DmaTrace } from '../../conformance/dma-trace.js';
import { dmaKernelFeatures, type DmaKernelFeatures } from '../../dma/kernel-features.js';
import { helpText, parseArgs, type OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { UsageError, UserError } from '../errors.js';
import { readInputText } from '../input-file.js';

const OPTIONS: Record<string, OptionSpec> = {
  kernel: { type: 'string', description: 'kernel version to model (5.13 or later, e.g. 5.19, 6.6, 7.0)', default: '7.0' },
  help: { type: 'boolean', description: 'show this help' },
};

async function readDmaTrace(file: string): Promise<DmaTrace> {
  const text = await readInputText(file);
  try {
    return parseDmaTrace(text, file);
  } catch (error) {
    if (error instanceof TraceError) throw new UserError(error.message);
    throw error;
  }
}

export const dmaTraceCommand: Command = {
  name: 'dma-trace',
  summary: "replay a DMA conformance trace through the DMA layer and print what the kernel's dma-iommu.c printed",
  async run(argv, io) {
    const { positionals, options } = parseArgs('dma-trace', argv, OPTIONS);
    if (options.help) {
      io.stdout.write(helpText('usage: iovasim dma-trace FILE [--kernel VERSION]', OPTIONS));
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('dma-trace takes exactly one FILE');
    let features: DmaKernelFeatures;
    try {
      features = dmaKernelFeatures(String(options.kernel));
    } catch (error) {
      if (error instanceof KernelVersionError) throw new UsageError(`--kernel: ${error.message}`);
      throw error;
    }
    const trace = await readDmaTrace(positionals[0]);
    io.stdout.write(runDmaTrace(trace, features));
    return 0;
  },
};
