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
export type { SimulationResult, SimulateOptions, TraceIo } from './sim/engine.js';
export { simulateAll } from './sim/parallel.js';
export type { ParallelOptions } from './sim/parallel.js';
export { PRESETS as SCENARIO_PRESETS } from './sim/presets.js';
export { validateScenario, parseScenarioYaml, ScenarioError } from './sim/scenario.js';
export type { Scenario, JobSpec, ReadWrite, CapVariant } from './sim/scenario.js';
export { DEFAULT_COST_MODEL } from './sim/cost-model.js';
export type { CostModel } from './sim/cost-model.js';
export { DEFAULT_PLATFORM, platformCosts, rederiveCosts, describePlatform, ENGINE_COSTS, DRIVER_COSTS, IOMMU_COSTS, INTERRUPT_NS } from './sim/platform-profile.js';
export type { PlatformSelection, PlatformBatch, IoEngine, StorageDriver, CompletionStyle, IommuKind } from './sim/platform-profile.js';
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
export { SchemaError } from './schema.js';
export { parseScenarioText, readScenarioFile, scenarioFromData, applyOverrides, checkScenario, spreadPresetJobs, presetScenario } from './sim/scenario-loader.js';
export type { ScenarioOverrides, ScenarioLoadOptions } from './sim/scenario-loader.js';
export { readScenarioOrJobFile } from './sim/scenario-file.js';
export type { ScenarioFileInput, ScenarioOrJobFileOptions } from './sim/scenario-file.js';
export { fioIoSources, PhaseGate } from './sim/fio-workload.js';
export type { FioWorkload } from './sim/fio-workload.js';
export { IovaRecorder, DEFAULT_RECORDED_OPERATIONS, RECORDED_FAIL, RECORDED_HANG } from './sim/iova-recorder.js';
export type { IovaRecorderOptions, RecordedDomain } from './sim/iova-recorder.js';
export type { ScenarioData } from './sim/scenario-schema.js';

import { simulate as simulateOnEngine, type SimulateOptions, type SimulationResult, type TraceIo } from './sim/engine.js';
import { applyOverrides, checkScenario, spreadPresetJobs, type ScenarioOverrides } from './sim/scenario-loader.js';
import { readScenarioOrJobFile } from './sim/scenario-file.js';
import type { Scenario } from './sim/scenario.js';

export interface LibrarySimulateOptions {
  /** Replay these I/Os at their recorded times instead of running the scenario's jobs. */
  readonly records?: Iterable<TraceIo>;
  /** Called now and then with the fraction of simulated time done. */
  readonly onProgress?: (fraction: number) => void;
  /** Records every allocator operation of the run as a conformance trace (what `iovasim explore` shows). */
  readonly iovaRecorder?: SimulateOptions['iovaRecorder'];
}

/**
 * Simulates a Scenario object. It is checked first (a ScenarioError `field: problem` for anything
 * wrong); a preset spread with fewer CPUs (`{ ...SCENARIO_PRESETS['sas-128cpu'], cpus: 16 }`) keeps
 * one thread per CPU on the CPUs that exist (spreadPresetJobs).
 */
export function simulate(scenario: Scenario, options: LibrarySimulateOptions = {}): SimulationResult {
  const checked = checkScenario(spreadPresetJobs(scenario));
  return simulateOnEngine(checked, {
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.iovaRecorder === undefined ? {} : { iovaRecorder: options.iovaRecorder }),
  });
}

export interface RunScenarioOptions extends ScenarioOverrides, LibrarySimulateOptions {
  /** Base scenario for a fio job file or a YAML file without `preset:` (default sas-128cpu). */
  readonly preset?: string;
  /** fio's --section: run only these job sections of a fio job file. */
  readonly sections?: readonly string[];
  /** fio's `$mb_memory` for a job file that uses it: the simulated host's memory in MiB. */
  readonly mbMemory?: number;
}

/** What runScenario() resolves to: the result, and what the simulation did not simulate of the input. */
export type RunScenarioResult = SimulationResult & {
  /** For a fio job file, one line per option or behaviour not simulated (what `iovasim run` prints); else empty. */
  readonly notes: readonly string[];
};

/**
 * Simulates a scenario: a Scenario object, or the path of a scenario YAML or a fio job file (read
 * as `iovasim run` reads it), with the overrides applied as typed values. Rejects with
 * ScenarioError (`FILE:LINE:COLUMN: field: problem`; a bad override names the override) or
 * WorkloadError (`FILE:LINE: field: problem`) for bad input.
 */
export async function runScenario(scenarioOrPath: Scenario | string, options: RunScenarioOptions = {}): Promise<RunScenarioResult> {
  const { preset, records, onProgress, sections, mbMemory, ...overrides } = options;
  const run = { ...(records === undefined ? {} : { records }), ...(onProgress === undefined ? {} : { onProgress }) };
  if (typeof scenarioOrPath !== 'string') {
    const scenario = applyOverrides(checkScenario(spreadPresetJobs(scenarioOrPath)), overrides);
    return { ...simulateOnEngine(scenario, run), notes: [] };
  }
  const input = await readScenarioOrJobFile(scenarioOrPath, { ...(preset === undefined ? {} : { preset }), overrides, ...(sections === undefined ? {} : { sections }), ...(mbMemory === undefined ? {} : { mbMemory }) });
  const ioSources = records === undefined ? input.ioSources : undefined;
  return { ...simulateOnEngine(input.scenario, { ...run, ...(ioSources === undefined ? {} : { ioSources }) }), notes: input.notes };
}
