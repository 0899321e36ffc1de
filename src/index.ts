/**
 * iovasim as a library: the layers from the bit-exact Linux IOVA allocator up to the simulator and
 * its HTML report, plus `runScenario()` to simulate a scenario (object, YAML file or fio job file)
 * in one call. See docs/run-and-report.md.
 */

// Allocators: the Linux IOVA domain (bit-exact, per kernel version) and the alternatives.
export type { IovaAllocator, IovaRange, AllocatorStats } from './allocators/allocator.js';
export { IovaDomain } from './allocators/iova-domain.js';
export { kernelProfile, KernelVersionError } from './allocators/kernel-version.js';
export type { KernelProfile } from './allocators/kernel-version.js';
export { numberPfn, bigintPfn } from './allocators/pfn.js';
export type { PfnArithmetic } from './allocators/pfn.js';
export { createAllocator, ALLOCATOR_NAMES, isAllocatorName } from './allocators/registry.js';
export type { AllocatorName, AllocatorOptions } from './allocators/registry.js';

// The IOVA rcache (per-CPU magazines and the depot).
export { Rcache } from './rcache/rcache.js';

// The DMA API over an IOMMU domain.
export { IommuDmaDomain } from './dma/iommu-dma-domain.js';
export type { IommuDmaDomainOptions, IommuMode, Invalidation, ReservedRegion } from './dma/iommu-dma-domain.js';
export { IommuDma } from './dma/dma-iommu.js';
export { DmaMapping } from './dma/mapping.js';
export { DmaDevice } from './dma/device.js';
export { ScatterList } from './dma/scatterlist.js';

// The block layer: host descriptions probed into queue limits and a DMA device.
export { probeHost, createDomain } from './block/probe.js';
export type { HostSetup, ProbeOptions } from './block/probe.js';
export { PRESETS as HOST_PRESETS } from './block/presets.js';
export type { HostDescription } from './block/host-description.js';

// The simulator.
export { simulate } from './sim/engine.js';
export type { SimulationResult, SimulateOptions, TraceIo, AllocatorFactory } from './sim/engine.js';
export { simulateAll } from './sim/parallel.js';
export type { ParallelOptions } from './sim/parallel.js';
export { PRESETS as SCENARIO_PRESETS } from './sim/presets.js';
export { validateScenario, parseScenarioYaml, ScenarioError } from './sim/scenario.js';
export type { Scenario, JobSpec, ReadWrite, CapVariant } from './sim/scenario.js';
export { DEFAULT_COST_MODEL } from './sim/cost-model.js';
export type { CostModel } from './sim/cost-model.js';
export { createSimAllocator } from './sim/allocators.js';
export { fioToScenario } from './sim/fio-scenario.js';
export type { FioScenario } from './sim/fio-scenario.js';
export { replayMappings } from './sim/ftrace-replay.js';
export type { PlacementResult, PlacementDifference, PlacementOptions } from './sim/ftrace-replay.js';
export { TraceRecords } from './sim/trace-records.js';

// Workload readers (fio job files, block traces, IOMMU ftrace captures).
export * from './workloads/index.js';

// Reports.
export { writeHtmlReport, renderHtmlReport, REPORT_CHART_IDS, PLACEMENT_CHART_IDS } from './report/html.js';
export type { HtmlReportInput, ReportRun, ReportPlacement } from './report/html.js';
export { encodePngRgb, occupancyPng, crc32 } from './report/png.js';

export { UserError, UsageError } from './errors.js';

import { loadRunInput } from './cli/commands/run.js';
import { applyOverrides } from './cli/commands/simulate.js';
import { checkKernel } from './cli/run-support.js';
import { createSimAllocator } from './sim/allocators.js';
import { simulate, type SimulationResult, type TraceIo } from './sim/engine.js';
import type { CapVariant, Scenario } from './sim/scenario.js';

export interface RunScenarioOptions {
  /** Base scenario for a fio job file or a YAML file without `preset:` (default sas-128cpu). */
  readonly preset?: string;
  readonly allocator?: string;
  readonly kernel?: string;
  readonly iommu?: 'strict' | 'lazy' | 'passthrough' | 'none';
  readonly cap?: CapVariant;
  readonly cpus?: number;
  readonly durationMs?: number;
  readonly seed?: number;
  /** Replay these I/Os at their recorded times instead of running the scenario's jobs. */
  readonly records?: Iterable<TraceIo>;
  /** Called now and then with the fraction of simulated time done. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * Simulates a scenario: a Scenario object, or the path of a scenario YAML or a fio job file (read
 * as `iovasim run` reads it). The options override the scenario as the CLI flags do. Rejects with
 * UserError, ScenarioError or WorkloadError (message `FILE:LINE: field: problem`) for bad input.
 */
export async function runScenario(scenarioOrPath: Scenario | string, options: RunScenarioOptions = {}): Promise<SimulationResult> {
  const flags: Record<string, string | undefined> = {
    preset: options.preset,
    allocator: options.allocator,
    kernel: options.kernel,
    iommu: options.iommu,
    cap: options.cap,
    cpus: options.cpus === undefined ? undefined : String(options.cpus),
    duration: options.durationMs === undefined ? undefined : String(options.durationMs),
    seed: options.seed === undefined ? undefined : String(options.seed),
  };
  let scenario: Scenario;
  if (typeof scenarioOrPath === 'string') scenario = (await loadRunInput(scenarioOrPath, flags)).scenario;
  else {
    scenario = applyOverrides(scenarioOrPath, flags);
    checkKernel(scenario);
  }
  return simulate(scenario, createSimAllocator, {
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}
