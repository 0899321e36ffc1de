/**
 * A scenario written back as scenario YAML (the same keys `iovasim simulate FILE` reads), so the
 * scenario shown in a report can be saved and run again.
 */
import { stringify } from 'yaml';
import { COST_MODEL_KEYS } from '../sim/cost-model.js';
import { formatCpuList } from '../sim/fio-scenario.js';
import { platformFileData } from '../sim/platform-profile.js';
import type { Scenario } from '../sim/scenario.js';

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The scenario as the plain data of a scenario file. */
export function scenarioData(scenario: Scenario): Record<string, unknown> {
  const host = scenario.host;
  const costs: Record<string, number> = {};
  for (const key of COST_MODEL_KEYS) {
    const value = scenario.costs[key];
    if (value !== undefined) costs[snake(key)] = value;
  }
  return {
    name: scenario.name,
    seed: scenario.seed,
    duration_ms: scenario.durationMs,
    warmup_ms: scenario.warmupMs,
    interval_ms: scenario.intervalMs,
    ageing_maps: scenario.ageingMaps,
    cpus: scenario.cpus,
    kernel: scenario.kernel,
    iommu: {
      mode: scenario.iommu.mode,
      invalidation: scenario.iommu.invalidation,
      ...(scenario.iommu.sac === undefined ? {} : { sac: scenario.iommu.sac }),
      retry_pass: scenario.iommu.retryPass,
      rcache_classes: scenario.iommu.rcacheClasses,
    },
    allocator: scenario.allocator,
    host: {
      preset: host.preset,
      ...(host.maxSectors === undefined ? {} : { max_sectors: host.maxSectors }),
      ...(host.sgTablesize === undefined ? {} : { sg_tablesize: host.sgTablesize }),
      ...(host.canQueue === undefined ? {} : { can_queue: host.canQueue }),
      ...(host.nrHwQueues === undefined ? {} : { nr_hw_queues: host.nrHwQueues }),
      queue_depth: host.queueDepth,
      cap: host.cap,
    },
    disks: { count: scenario.disks.count, bandwidth_mbps: scenario.disks.bandwidthMBps, command_us: scenario.disks.commandUs, latency_us: scenario.disks.latencyUs },
    link_mbps: scenario.linkMBps,
    ...(scenario.platform === undefined ? {} : { platform: platformFileData(scenario.platform) }),
    jobs: scenario.jobs.map((j) => ({ name: j.name, rw: j.rw, bs: j.bs, iodepth: j.iodepth, numjobs: j.numjobs, cpus_allowed: formatCpuList(j.cpus), size: j.sizeBytes })),
    costs,
  };
}

/** The scenario as YAML, without the cost constants (the report lists those in a table). */
export function scenarioYaml(scenario: Scenario, withCosts = false): string {
  const data = scenarioData(scenario);
  if (!withCosts) delete data.costs;
  return stringify(data, { lineWidth: 0 });
}

/** Leaf paths whose values differ between two scenarios: `kernel: 5.19 → 7.0`. */
export function scenarioDifferences(a: Scenario, b: Scenario): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object' && !Array.isArray(x) && !Array.isArray(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
      for (const key of keys) walk((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      return;
    }
    const sx = JSON.stringify(x);
    const sy = JSON.stringify(y);
    if (sx !== sy) out.push(`${path}: ${sx ?? '(unset)'} → ${sy ?? '(unset)'}`);
  };
  walk(scenarioData(a), scenarioData(b), '');
  return out;
}
