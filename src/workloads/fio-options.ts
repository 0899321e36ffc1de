/**
 * Every fio option name iovasim knows, and what the simulation does with it: the one table from
 * which the job-file reader announces what it does not simulate (fio-job.ts) and from which
 * docs/workloads.md's option table is generated (test/workloads/fio-options.test.ts checks the
 * two agree; `FIO_OPTIONS_DOCS=write npx vitest run test/workloads/fio-options.test.ts` rewrites
 * the table).
 *
 * Where the names come from: `fio --cmdhelp=all` and `fio --enghelp=ENGINE` of fio 3.33 (Debian's
 * build; its aliases through `fio --cmdhelp=NAME`), the names fio 3.33 accepts without listing them
 * (found with `fio --parse-only`), and the newer names used by the example job files of fio at
 * f5344384 (random_sequence_stride, verify_write_sequence, steadystate_check_interval, the
 * protection-information and libblkio options). A name outside this table is refused, as fio
 * refuses it ("Bad option").
 *
 * Statuses:
 * - simulated: the I/O source (fio-io-source.ts), the phase planner (fio-phases.ts) or the
 *   simulator's job threads reproduce what fio does with it;
 * - approximated: simulated, with the difference stated;
 * - not simulated: it changes which I/Os are issued, when, or how they are mapped, and the
 *   simulation ignores it — the reader emits one note per such option present in a job file;
 * - no effect: it cannot change which I/Os reach the device, their sizes, order or timing, or
 *   their DMA mapping (reporting, logging, buffer contents, file-system housekeeping).
 * An option whose value is one of `offValues` is inert and gets no note (`fsync=0`).
 */

export type FioOptionStatus = 'simulated' | 'approximated' | 'not simulated' | 'no effect';

export interface FioOptionGroup {
  readonly status: FioOptionStatus;
  /** The fio option names (aliases included) this line covers. */
  readonly names: readonly string[];
  /** How it is simulated or approximated, or why it is not (one sentence). */
  readonly how: string;
  /** Values that switch the option off: no note then. */
  readonly offValues?: readonly string[];
}

const OFF = ['0'];

export const FIO_OPTION_GROUPS: readonly FioOptionGroup[] = [
  // ---- simulated
  { status: 'simulated', names: ['rw', 'readwrite'], how: 'every pattern, with :N holes/backwards steps and random run lengths' },
  { status: 'simulated', names: ['rw_sequencer'], how: 'sequential and identical runs after each random offset' },
  { status: 'simulated', names: ['bs', 'blocksize'], how: 'per direction' },
  { status: 'simulated', names: ['bsrange', 'blocksize_range'], how: 'uniform over multiples of the minimum (any size with bs_unaligned), per direction' },
  { status: 'simulated', names: ['bssplit'], how: 'weighted block-size mix per direction; blank weights share the rest' },
  { status: 'simulated', names: ['ba', 'blockalign'], how: 'random offsets aligned to it; turns the random map off, as in fio' },
  { status: 'simulated', names: ['bs_unaligned', 'blocksize_unaligned'], how: 'bsrange sizes need not be multiples of the minimum' },
  { status: 'simulated', names: ['size', 'offset', 'fileoffset', 'offset_increment'], how: 'the region of each numjobs clone (bytes or % of the device)' },
  { status: 'simulated', names: ['io_size', 'io_limit', 'number_ios', 'loops'], how: 'the thread stops after that many bytes / I/Os / passes' },
  { status: 'simulated', names: ['runtime', 'timeout', 'time_based'], how: 'the thread stops at startdelay + ramp_time + runtime; time_based keeps it going until then' },
  { status: 'simulated', names: ['startdelay'], how: 'first issue not before it' },
  { status: 'simulated', names: ['ramp_time'], how: 'I/O during the ramp is issued as fio issues it; the stop time moves by it (excluding it from statistics is the report\'s job)' },
  { status: 'simulated', names: ['rwmixread', 'rwmixwrite'], how: 'each I/O of a mixed job is a read with probability rwmixread %' },
  { status: 'simulated', names: ['random_distribution'], how: 'random, zipf, pareto, zoned, zoned_abs and sequence with fio\'s parameters (zipf/pareto hot blocks placed by a keyed permutation where fio hashes); normal approximated, announced' },
  { status: 'simulated', names: ['random_sequence_stride'], how: 'step added to the sequence distribution\'s indices each cycle' },
  { status: 'simulated', names: ['norandommap'], how: 'independent draws instead of each block once per pass' },
  { status: 'simulated', names: ['randrepeat', 'allrandrepeat', 'randseed'], how: 'the run\'s --seed fixes every random choice; randseed mixes into it' },
  { status: 'simulated', names: ['rate', 'rate_iops', 'rate_process'], how: 'per direction: issue k waits until the bytes before it fit the rate (fio\'s usec_for_io); rate_iops counts in min-bs bytes; poisson draws exponential gaps' },
  { status: 'simulated', names: ['thinktime', 'thinktime_blocks'], how: 'a pause of thinktime after every thinktime_blocks I/Os' },
  { status: 'simulated', names: ['verify', 'do_verify', 'verify_only'], how: 'after the writes, a read-back pass over every block written (verify_only: the read-back alone)', offValues: ['0', 'null'] },
  { status: 'simulated', names: ['ioengine'], how: 'block-device engines issue device I/O and pick the platform profile\'s engine costs (psync, libaio, io_uring, sg: src/sim/platform-profile.ts); null and the engines that do no block I/O (cpuio, net, exec, file housekeeping) issue none' },
  { status: 'simulated', names: ['zonemode', 'zonesize', 'max_open_zones', 'job_max_open_zones'], how: 'zonemode=zbd: writes at the write pointer of up to max_open_zones open zones, a zone reset when a full zone is written again' },
  { status: 'simulated', names: ['stonewall', 'wait_for_previous', 'new_group', 'wait_for'], how: 'phases: a job waits for the jobs before it (stonewall) or for the named job (wait_for)' },
  { status: 'simulated', names: ['iodepth', 'numjobs', 'cpus_allowed', 'cpumask', 'cpus_allowed_policy', 'direct', 'buffered'], how: 'by the simulator\'s job threads (in flight per thread, clones, CPUs; buffered I/O is announced by the scenario)' },
  { status: 'simulated', names: ['kb_base'], how: 'how sizes are read' },
  { status: 'simulated', names: ['name', 'description', 'filename', 'directory'], how: 'names of jobs and devices' },
  // ---- approximated
  { status: 'simulated', names: ['filesize'], how: 'without size, the job\'s one file is that large (its region ends there); a range (random sizes per file) takes its lower bound, announced' },
  { status: 'approximated', names: ['thinktime_spin'], how: 'added to the pause; the CPU is not kept busy while spinning', offValues: OFF },
  { status: 'not simulated', names: ['thinktime_iotime'], how: 'thinktime after a span of I/O time instead of a count of blocks is not modelled', offValues: OFF },
  { status: 'approximated', names: ['thinktime_blocks_type'], how: 'the pause follows the issue of the thinktime_blocks-th I/O; fio (type complete) first waits for in-flight I/O to drain' },
  { status: 'approximated', names: ['random_generator'], how: 'mulberry32 and a keyed permutation instead of tausworthe/lfsr: same distributions, other sequences' },
  { status: 'approximated', names: ['percentage_random', 'percentage_sequential'], how: 'each I/O is random with that probability, otherwise continues sequentially' },
  // ---- not simulated (announced)
  { status: 'approximated', names: ['iodepth_batch', 'iodepth_batch_submit', 'iodepth_batch_complete', 'iodepth_batch_complete_min', 'iodepth_batch_complete_max'], how: 'the platform profile charges one submission call per batch and one reap per iodepth_batch_complete_max completions, and a thread at full depth waits for iodepth_batch_complete_min; the I/Os of a batch still go down one by one (plug merging across a batch is not modelled)' },
  { status: 'not simulated', names: ['iodepth_low'], how: 'threads refill one I/O at a time' },
  { status: 'simulated', names: ['hipri'], how: 'polled completion: the completion work (and the unmap) runs on the submitting CPU, with no interrupt', offValues: OFF },
  { status: 'not simulated', names: ['hipri_percentage'], how: 'every I/O of a hipri job is polled', offValues: OFF },
  { status: 'approximated', names: ['sqthread_poll'], how: 'the job\'s CPU makes no submission call; the SQ thread\'s own CPU is not modelled', offValues: OFF },
  { status: 'not simulated', names: ['fixedbufs', 'registerfiles', 'sqthread_poll_cpu', 'nonvectored', 'force_async', 'nowait', 'uncached', 'userspace_reap'], how: 'io_uring / libaio submission details: the CPU cost and submitting CPU are not modelled', offValues: OFF },
  { status: 'not simulated', names: ['latency_target', 'latency_window', 'latency_percentile', 'latency_run', 'max_latency'], how: 'fio searches for the queue depth meeting a latency target; threads keep the given iodepth' },
  { status: 'not simulated', names: ['rate_iops_min', 'rate_min', 'ratemin', 'rate_cycle', 'ratecycle', 'rate_ignore_thinktime'], how: 'minimum-rate checks and the rate cycle change when fio gives up or paces; not modelled', offValues: OFF },
  { status: 'not simulated', names: ['flow', 'flow_id', 'flow_watermark', 'flow_sleep'], how: 'flow control between jobs is not modelled', offValues: OFF },
  { status: 'not simulated', names: ['trim_percentage', 'trim_backlog', 'trim_backlog_batch', 'trim_verify_zero', 'num_range'], how: 'trims issued after verified writes are not generated', offValues: OFF },
  { status: 'not simulated', names: ['fsync', 'fdatasync', 'sync_file_range', 'end_fsync', 'fsync_on_close', 'write_barrier', 'sync'], how: 'flushes and O_SYNC add no data transfer but change device timing; not modelled', offValues: ['0', 'none', 'psync'] },
  { status: 'not simulated', names: ['nrfiles', 'nr_files', 'file_service_type', 'openfiles', 'file_append', 'opendir', 'filename_format', 'unique_filename', 'lockfile'], how: 'one device per job: several files change the offsets fio issues', offValues: ['1', 'none'] },
  { status: 'not simulated', names: ['bs_is_seq_rand', 'offset_align'], how: 'block size by sequential/random I/O and a separate offset alignment are not modelled', offValues: OFF },
  { status: 'not simulated', names: ['zonerange', 'zoneskip', 'zonecapacity', 'zone_reset_threshold', 'zone_reset_frequency', 'read_beyond_wp', 'ignore_zone_limits'], how: 'strided zones, zone capacity below the zone size and zone-reset heuristics are not modelled', offValues: OFF },
  { status: 'not simulated', names: ['verify_backlog', 'verify_backlog_batch', 'verify_interval', 'verify_offset', 'experimental_verify', 'verify_state_load', 'verify_write_sequence'], how: 'interleaved verification and verify block sizes are not modelled: the read-back covers each written block once, after the writes', offValues: OFF },
  { status: 'not simulated', names: ['exitall', 'exitall_on_error', 'exit_what'], how: 'jobs are not stopped when another one ends' },
  { status: 'not simulated', names: ['steadystate', 'ss', 'steadystate_duration', 'ss_dur', 'steadystate_ramp_time', 'ss_ramp', 'steadystate_check_interval'], how: 'steady-state detection would end the job early; the job runs to its runtime' },
  { status: 'not simulated', names: ['serialize_overlap'], how: 'overlapping in-flight I/Os are not held back', offValues: OFF },
  { status: 'not simulated', names: ['read_iolog', 'read_iolog_chunked', 'replay_no_stall', 'replay_redirect', 'replay_scale', 'replay_time_scale', 'replay_align', 'replay_skip', 'merge_blktrace_file', 'merge_blktrace_iters', 'merge_blktrace_scalars'], how: 'replay an iolog with `iovasim replay` instead; a job file that replays one is not generated from its options', offValues: OFF },
  { status: 'not simulated', names: ['fill_device', 'fill_fs', 'fallocate', 'create_on_open', 'create_only', 'create_serialize', 'create_fsync', 'pre_read', 'overwrite'], how: 'file layout and pre-reading issue I/O before the job that is not generated', offValues: ['0', 'none', 'native', 'posix'] },
  { status: 'not simulated', names: ['mem', 'iomem', 'mem_align', 'iomem_align', 'hugepage-size', 'lockmem', 'thp'], how: 'buffers are taken as page-aligned and physically scattered; huge-page or offset buffers map to fewer or more IOVA granules', offValues: ['0', 'malloc'] },
  { status: 'not simulated', names: ['nice', 'prio', 'prioclass', 'cmdprio', 'cmdprio_class', 'cmdprio_percentage', 'cmdprio_bssplit', 'ioscheduler', 'write_hint', 'stream_id', 'fdp', 'fdp_pli', 'fdp_pli_select', 'dataplacement', 'plids', 'plid_select'], how: 'priorities, the I/O scheduler and placement hints do not reorder the simulated queue', offValues: OFF },
  { status: 'not simulated', names: ['atomic', 'readfua', 'writefua', 'sg_write_mode', 'cmd_type', 'pi_act', 'pi_chk', 'apptag', 'apptag_mask'], how: 'command flavours (atomic, FUA, WRITE SAME, passthrough, protection information) change what the device maps; data transfers are simulated as plain reads and writes', offValues: ['0', 'write', 'nvme'] },
  { status: 'not simulated', names: ['cpuload', 'cpuchunks', 'cpumode', 'exit_on_io_done'], how: 'cpuio burns CPU without device I/O; the CPU load is not modelled' },
  { status: 'not simulated', names: ['numa_cpu_nodes', 'numa_mem_policy', 'gtod_cpu'], how: 'NUMA placement is not modelled' },
  { status: 'not simulated', names: ['io_submit_mode'], how: 'offloaded submission moves the submitting CPU; threads submit inline', offValues: ['inline'] },
  { status: 'not simulated', names: ['continue_on_error', 'ignore_error', 'error_dump'], how: 'errors do not happen in the simulation', offValues: ['0', 'none'] },
  { status: 'not simulated', names: ['rwmixcycle', 'verifysort', 'verifysort_nr', 'softrandommap'], how: 'deprecated in fio and ignored by it as well' },
  // ---- no effect on DMA mapping
  { status: 'no effect', names: ['buffer_pattern', 'buffer_compress_percentage', 'buffer_compress_chunk', 'refill_buffers', 'scramble_buffers', 'zero_buffers', 'dedupe_percentage', 'dedupe_mode', 'dedupe_working_set_percentage', 'dedupe_global', 'verify_pattern', 'verify_fatal', 'verify_dump', 'verify_async', 'verify_async_cpus', 'verify_state_save'], how: 'buffer contents and how verification compares them' },
  { status: 'no effect', names: ['group_reporting', 'gtod_reduce', 'clocksource', 'unified_rw_reporting', 'stats', 'unit_base', 'significant_figures', 'per_job_logs', 'lat_percentiles', 'clat_percentiles', 'slat_percentiles', 'percentile_list', 'block_error_percentiles', 'disable_lat', 'disable_clat', 'disable_slat', 'disable_bw', 'disable_bw_measurement', 'bwavgtime', 'iopsavgtime', 'disk_util'], how: 'reporting' },
  { status: 'no effect', names: ['write_bw_log', 'write_lat_log', 'write_iops_log', 'write_hist_log', 'write_iolog', 'log_avg_msec', 'log_hist_msec', 'log_hist_coarseness', 'log_max_value', 'log_offset', 'log_prio', 'log_compression', 'log_compression_cpus', 'log_store_compressed', 'log_unix_epoch', 'log_alternate_epoch', 'log_alternate_epoch_clock_id', 'log_entries', 'log_issue_time', 'job_start_clock_id'], how: 'logging' },
  { status: 'no effect', names: ['thread', 'threads'], how: 'threads and processes issue the same I/O' },
  { status: 'no effect', names: ['invalidate', 'fadvise_hint', 'unlink', 'unlink_each_loop', 'allow_file_create', 'allow_mounted_write', 'exec_prerun', 'exec_postrun', 'uid', 'gid', 'cgroup', 'cgroup_weight', 'cgroup_nodelete', 'profile', 'skip_bad'], how: 'process and file housekeeping outside the I/O stream' },
  { status: 'no effect', names: ['libblkio_driver', 'libblkio_path', 'xnvme_async', 'hostname', 'port', 'protocol', 'interface', 'listen', 'bindname', 'nodelay', 'window_size', 'mss', 'pingpong', 'ttl', 'clientname', 'clustername', 'pool', 'rbdname', 'busy_poll', 'conf', 'brick', 'volume', 'touch_objects', 'single-instance', 'uri', 'donorname', 'inplace', 'program', 'arguments', 'grace_time', 'std_redirect', 'stat_type', 'verb'], how: 'engine connection settings (the engine itself decides whether there is device I/O)' },
];

const BY_NAME = new Map<string, FioOptionGroup>();
for (const group of FIO_OPTION_GROUPS) {
  for (const name of group.names) {
    if (BY_NAME.has(name)) throw new Error(`fio option ${name} is listed twice`);
    BY_NAME.set(name, group);
  }
}

/** The table entry of a fio option name, or undefined when fio has no such option. */
export function fioOptionGroup(name: string): FioOptionGroup | undefined {
  return BY_NAME.get(name);
}

/** Every fio option name we know, sorted. */
export function fioOptionNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

/** The known option names closest to a misspelt one (edit distance ≤ 2, best first), for "did you mean". */
export function closestFioOptions(name: string, max = 3): string[] {
  const scored: { name: string; distance: number }[] = [];
  for (const candidate of BY_NAME.keys()) {
    // A name inside a real one (`unaligned` in `bs_unaligned`) is as close as two typos.
    const d = name.length >= 4 && candidate.includes(name) ? Math.min(2, editDistance(name, candidate)) : editDistance(name, candidate);
    if (d <= 2) scored.push({ name: candidate, distance: d });
  }
  scored.sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1));
  return scored.slice(0, max).map((s) => s.name);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** docs/workloads.md's table of fio options, generated from FIO_OPTION_GROUPS. */
export function fioOptionsMarkdownTable(): string {
  const lines = ['| fio options | status | how / why |', '|---|---|---|'];
  const order: FioOptionStatus[] = ['simulated', 'approximated', 'not simulated', 'no effect'];
  const groups = [...FIO_OPTION_GROUPS].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  for (const group of groups) {
    const names = group.names.map((n) => `\`${n}\``).join(', ');
    lines.push(`| ${names} | ${group.status} | ${group.how.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n');
}
