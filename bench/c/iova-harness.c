/* SPDX-License-Identifier: MIT */
/*
 * iova-harness: replays a conformance trace (../shared/conformance/README.md, "Trace format")
 * against the kernel's own drivers/iommu/iova.c and prints what the kernel printed, so that
 * iovasim's model and the C it models can be timed side by side on the same machine.
 *
 *   iova-harness FILE                print the trace's output (compare it with the golden .out)
 *   iova-harness FILE --bench RUNS   the same output, then parse and replay timings on stderr
 *
 * How it is built (bench/c/build.sh): this file includes the kernel's iova.c itself (the kernel
 * tree is named at build time and never copied into this repository), so the harness can call
 * iova.c's static functions (the CPU-hotplug teardown) and read its private structures (the
 * magazines, for `rcdump`) without a line of iova.c changing. include/kernel-shim.h is the rest
 * of the kernel; include/harness-hooks.h, forced in before everything, wraps rb_prev(),
 * rb_insert_color() and rb_erase() to count walk steps and tree nodes. lib/rbtree.c is compiled
 * on its own, so tree shapes are the kernel's.
 *
 * A run has two phases, as `iovasim iova-trace --bench` has (src/bench/replay-bench.ts):
 *   parse   the file's bytes (already in memory) to an array of operations, every line checked
 *           before anything runs; a bad line is one message `FILE:LINE: problem` and exit 1;
 *   replay  a fresh domain, the operations in order, the output built in a memory buffer
 *           (formatting the output is part of the replay, as it is in the model).
 * With --bench: one untimed parse and replay (its output is what stdout gets), then RUNS times a
 * timed parse and a timed replay; the figures are medians, per operation (operations = lines
 * holding an operation, the model's trace.length), of wall time (CLOCK_MONOTONIC) and of this
 * process's CPU time (CLOCK_PROCESS_CPUTIME_ID). Tearing a domain down (put_iova_domain) is not
 * timed.
 *
 * A walk that never ends (5.11-6.1's retry overflow, the trace format's `hang`): any walk that
 * terminates takes at most 2 x (ranges + 1) steps per alloc_iova(), so past that bound (twice it
 * for alloc_iova_fast(), which may call alloc_iova() twice) the step hook jumps back here
 * (longjmp), the step count of that operation is dropped and the operation prints `hang`.
 * Fixed kernels (6.2+, 7.0) never get there.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "drivers/iommu/iova.c"

#undef rb_prev
#undef rb_insert_color
#undef rb_erase
struct rb_node *rb_prev(const struct rb_node *node);
void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);

/* ================================================================================================
 * The kernel's environment: CPUs, the simulated clock and its delayed work, the hooks
 * ============================================================================================== */

unsigned int harness_cpu_count = 1;
unsigned int harness_current_cpu;

/** Simulated jiffies (HZ = 1000, so milliseconds). */
static unsigned long clock_ms;
static unsigned long work_sequence;
/** Delayed work waiting to run; iova.c has at most one per size class of one domain. */
static struct delayed_work *pending_work[64];
static unsigned int pending_count;

void harness_init_delayed_work(struct delayed_work *dwork, void (*func)(struct work_struct *))
{
	dwork->work.func = func;
	dwork->pending = false;
	dwork->due = 0;
	dwork->sequence = 0;
}

/* Like the kernel's: does nothing and returns false when the work is already pending. */
bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay)
{
	if (dwork->pending)
		return false;
	if (pending_count == sizeof(pending_work) / sizeof(pending_work[0])) {
		fputs("iova-harness: too many delayed works pending\n", stderr);
		exit(3);
	}
	dwork->pending = true;
	dwork->due = clock_ms + delay;
	dwork->sequence = ++work_sequence;
	pending_work[pending_count++] = dwork;
	return true;
}

static void unqueue_work(unsigned int slot)
{
	pending_work[slot]->pending = false;
	pending_work[slot] = pending_work[--pending_count];
}

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	for (unsigned int i = 0; i < pending_count; i++) {
		if (pending_work[i] == dwork) {
			unqueue_work(i);
			return true;
		}
	}
	return false;
}

/*
 * `tick MS`: the clock moves MS jiffies; due work runs at its due time, earliest first, ties in
 * scheduling order, and work it schedules inside the window runs within it too.
 */
static void run_delayed_work(unsigned long ms)
{
	unsigned long target = clock_ms + ms;

	for (;;) {
		unsigned int best = pending_count;

		for (unsigned int i = 0; i < pending_count; i++) {
			struct delayed_work *w = pending_work[i];

			if (w->due > target)
				continue;
			if (best == pending_count || w->due < pending_work[best]->due ||
			    (w->due == pending_work[best]->due && w->sequence < pending_work[best]->sequence))
				best = i;
		}
		if (best == pending_count)
			break;
		struct delayed_work *run = pending_work[best];

		unqueue_work(best);
		clock_ms = run->due;
		run->work.func(&run->work);
	}
	clock_ms = target;
}

/** Steps of the allocation walk in the current operation, and the most a terminating walk takes. */
static unsigned long walk_steps;
static unsigned long walk_step_limit = ULONG_MAX;
/** Nodes in the domain's tree, the anchor included. */
static unsigned long tree_nodes;
static jmp_buf walk_escape;

static void __attribute__((noreturn, noinline, cold)) abandon_walk(void)
{
	longjmp(walk_escape, 1);
}

struct rb_node *harness_rb_prev(const struct rb_node *node)
{
	if (unlikely(++walk_steps > walk_step_limit))
		abandon_walk();
	return rb_prev(node);
}

void harness_rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	tree_nodes++;
	rb_insert_color(node, root);
}

void harness_rb_erase(struct rb_node *node, struct rb_root *root)
{
	tree_nodes--;
	rb_erase(node, root);
}

/* ================================================================================================
 * Parsing
 * ============================================================================================== */

enum op_code {
	OP_CPUS, OP_DOMAIN, OP_RCACHE, OP_CPU, OP_ALLOC, OP_FREE, OP_FIND, OP_RESERVE,
	OP_ALLOC_FAST, OP_FREE_FAST, OP_TICK, OP_STATS, OP_DUMP, OP_RCDUMP, OP_CPUDEAD,
	OP_COUNT
};

struct op_spec {
	const char *name;
	unsigned int argument_count;
	/** Argument names as the README's table gives them. */
	const char *arguments[3];
};

static const struct op_spec op_specs[OP_COUNT] = {
	[OP_CPUS] = { "cpus", 1, { "N" } },
	[OP_DOMAIN] = { "domain", 2, { "G", "S" } },
	[OP_RCACHE] = { "rcache", 0, { 0 } },
	[OP_CPU] = { "cpu", 1, { "N" } },
	[OP_ALLOC] = { "alloc", 3, { "SIZE", "LIMIT", "A" } },
	[OP_FREE] = { "free", 1, { "PFN" } },
	[OP_FIND] = { "find", 1, { "PFN" } },
	[OP_RESERVE] = { "reserve", 2, { "LO", "HI" } },
	[OP_ALLOC_FAST] = { "alloc_fast", 3, { "SIZE", "LIMIT", "F" } },
	[OP_FREE_FAST] = { "free_fast", 2, { "PFN", "SIZE" } },
	[OP_TICK] = { "tick", 1, { "MS" } },
	[OP_STATS] = { "stats", 0, { 0 } },
	[OP_DUMP] = { "dump", 0, { 0 } },
	[OP_RCDUMP] = { "rcdump", 0, { 0 } },
	[OP_CPUDEAD] = { "cpudead", 1, { "N" } },
};

struct trace_op {
	u64 values[3];
	/** For a PFN given as `@k`: k; otherwise -1. */
	int32_t handle;
	uint32_t line;
	uint8_t code;
};

struct trace {
	const char *file;
	struct trace_op *ops;
	size_t count;
};

static void __attribute__((noreturn, format(printf, 3, 4)))
trace_error(const char *file, unsigned long line, const char *format, ...)
{
	va_list args;

	if (line > 0)
		fprintf(stderr, "%s:%lu: ", file, line);
	else
		fprintf(stderr, "%s: ", file);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	exit(1);
}

/** The bytes [start, end) for an error message: control bytes as \xNN, at most 40 of them. */
static const char *printable(const unsigned char *start, const unsigned char *end)
{
	static char text[4 * 40 + 8];
	size_t at = 0;

	for (const unsigned char *p = start; p < end && p < start + 40; p++) {
		if (*p < 0x20 || *p == 0x7f)
			at += (size_t)snprintf(text + at, sizeof(text) - at, "\\x%02x", *p);
		else
			text[at++] = (char)*p;
	}
	if (end - start > 40)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "...");
	text[at] = '\0';
	return text;
}

/** Decimal digits [start, end) as an unsigned 64-bit number; false when not a number or too large. */
static bool parse_u64(const unsigned char *start, const unsigned char *end, u64 *value)
{
	u64 v = 0;

	if (start == end)
		return false;
	for (const unsigned char *p = start; p < end; p++) {
		unsigned int digit = (unsigned int)*p - '0';

		if (digit > 9)
			return false;
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	return true;
}

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/** Order and range rules across lines (the README's table). */
struct trace_checker {
	u64 cpus;
	bool cpus_given;
	unsigned long domain_line;
	unsigned long rcache_line;
	u64 allocs;
};

static void check_op(const char *file, unsigned long line, struct trace_checker *c, enum op_code code,
		     const u64 *v)
{
	const char *name = op_specs[code].name;

	switch (code) {
	case OP_CPUS:
		if (c->rcache_line)
			trace_error(file, line, "cpus after \"rcache\" (line %lu)", c->rcache_line);
		if (v[0] < 1 || v[0] > HARNESS_MAX_CPUS)
			trace_error(file, line, "N %llu is outside 1..%d", (unsigned long long)v[0], HARNESS_MAX_CPUS);
		c->cpus = v[0];
		c->cpus_given = true;
		return;
	case OP_DOMAIN:
		if (c->domain_line)
			trace_error(file, line, "second \"domain\" (the first is on line %lu)", c->domain_line);
		if (v[0] < 1 || v[0] > 4096 || (v[0] & (v[0] - 1)) != 0)
			trace_error(file, line, "G %llu is not a power of two up to 4096", (unsigned long long)v[0]);
		c->domain_line = line;
		return;
	case OP_RCACHE:
		if (!c->domain_line)
			trace_error(file, line, "%s before \"domain\"", name);
		if (c->rcache_line)
			trace_error(file, line, "second \"rcache\" (the first is on line %lu)", c->rcache_line);
		c->rcache_line = line;
		return;
	case OP_CPU:
		if (v[0] >= c->cpus)
			trace_error(file, line, "N %llu is not below the CPU count %llu%s", (unsigned long long)v[0],
				    (unsigned long long)c->cpus, c->cpus_given ? "" : " (default; set it with \"cpus N\")");
		return;
	case OP_ALLOC:
	case OP_ALLOC_FAST:
		if (!c->domain_line)
			trace_error(file, line, "%s before \"domain\"", name);
		if (code == OP_ALLOC_FAST && !c->rcache_line)
			trace_error(file, line, "%s before \"rcache\"", name);
		if (v[0] < 1)
			trace_error(file, line, "SIZE must be at least 1");
		if (v[1] > UINT64_MAX - 1)
			trace_error(file, line, "LIMIT %llu is above 2^64 - 2", (unsigned long long)v[1]);
		if (v[2] > 1)
			trace_error(file, line, "%s must be 0 or 1, got %llu", op_specs[code].arguments[2],
				    (unsigned long long)v[2]);
		c->allocs++;
		return;
	case OP_RESERVE:
		if (!c->domain_line)
			trace_error(file, line, "%s before \"domain\"", name);
		if (v[0] > v[1])
			trace_error(file, line, "LO %llu is above HI %llu", (unsigned long long)v[0], (unsigned long long)v[1]);
		return;
	case OP_FREE_FAST:
		if (!c->rcache_line)
			trace_error(file, line, "%s before \"rcache\"", name);
		if (v[1] < 1)
			trace_error(file, line, "SIZE must be at least 1");
		return;
	case OP_RCDUMP:
		if (!c->rcache_line)
			trace_error(file, line, "%s before \"rcache\"", name);
		return;
	case OP_CPUDEAD:
		if (!c->rcache_line)
			trace_error(file, line, "%s before \"rcache\"", name);
		if (v[0] >= c->cpus)
			trace_error(file, line, "N %llu is not below the CPU count %llu", (unsigned long long)v[0],
				    (unsigned long long)c->cpus);
		return;
	case OP_TICK:
		if (v[0] > (1ULL << 53) - 1)
			trace_error(file, line, "MS %llu is too large", (unsigned long long)v[0]);
		return;
	default:
		if (!c->domain_line)
			trace_error(file, line, "%s before \"domain\"", name);
		return;
	}
}

static void parse_trace(const char *file, const unsigned char *bytes, size_t length, struct trace *trace)
{
	const unsigned char *p = bytes, *end = bytes + length;
	struct trace_checker checker = { .cpus = 1 };
	size_t capacity = length / 16 + 16;
	unsigned long line = 0;

	if (length == 0)
		trace_error(file, 0, "empty file (a trace has at least a \"domain\" line)");
	if (memchr(bytes, 0, length) != NULL)
		trace_error(file, 0, "not a text file (NUL byte at offset %zu)",
			    (size_t)((const unsigned char *)memchr(bytes, 0, length) - bytes));
	if (length >= 3 && bytes[0] == 0xef && bytes[1] == 0xbb && bytes[2] == 0xbf)
		p += 3;
	trace->file = file;
	trace->count = 0;
	trace->ops = harness_allocation(malloc(capacity * sizeof(*trace->ops)));
	while (p < end) {
		const unsigned char *token_start[4], *token_end[4];
		unsigned int tokens = 0;

		line++;
		while (p < end && *p != '\n') {
			if (is_blank(*p)) {
				p++;
				continue;
			}
			if (*p == '#') {
				const unsigned char *newline = memchr(p, '\n', (size_t)(end - p));

				p = newline ? newline : end;
				break;
			}
			const unsigned char *start = p;

			while (p < end && *p != '\n' && *p != '#' && !is_blank(*p))
				p++;
			if (tokens < 4) {
				token_start[tokens] = start;
				token_end[tokens] = p;
			}
			tokens++;
		}
		p++; /* past the newline */
		if (tokens == 0)
			continue;

		size_t name_length = (size_t)(token_end[0] - token_start[0]);
		int code = -1;

		for (int k = 0; k < OP_COUNT; k++) {
			if (strlen(op_specs[k].name) == name_length &&
			    memcmp(op_specs[k].name, token_start[0], name_length) == 0) {
				code = k;
				break;
			}
		}
		if (code < 0)
			trace_error(file, line, "unknown operation \"%s\" (expected one of cpus, domain, rcache, cpu, "
				    "alloc, free, find, reserve, alloc_fast, free_fast, tick, stats, dump, rcdump, cpudead)",
				    printable(token_start[0], token_end[0]));

		const struct op_spec *spec = &op_specs[code];

		if (tokens - 1 != spec->argument_count)
			trace_error(file, line, "%s takes %u argument%s, got %u", spec->name, spec->argument_count,
				    spec->argument_count == 1 ? "" : "s", tokens - 1);
		if (trace->count == capacity) {
			capacity *= 2;
			trace->ops = harness_allocation(realloc(trace->ops, capacity * sizeof(*trace->ops)));
		}

		struct trace_op *op = &trace->ops[trace->count];

		op->code = (uint8_t)code;
		op->line = (uint32_t)line;
		op->handle = -1;
		op->values[0] = op->values[1] = op->values[2] = 0;
		for (unsigned int i = 0; i < spec->argument_count; i++) {
			const unsigned char *start = token_start[i + 1], *stop = token_end[i + 1];
			const char *field = spec->arguments[i];

			if (strcmp(field, "PFN") == 0 && *start == '@') {
				u64 k;

				if (!parse_u64(start + 1, stop, &k))
					trace_error(file, line, "%s handle \"%s\" is not @ followed by a decimal number", field,
						    printable(start, stop));
				if (k >= checker.allocs)
					trace_error(file, line, "%s handle %s names alloc #%llu, but only %llu alloc/alloc_fast "
						    "came before it", field, printable(start, stop), (unsigned long long)k,
						    (unsigned long long)checker.allocs);
				op->handle = (int32_t)k;
				continue;
			}
			if (!parse_u64(start, stop, &op->values[i]))
				trace_error(file, line, "%s \"%s\" is not an unsigned decimal number below 2^64", field,
					    printable(start, stop));
		}
		check_op(file, line, &checker, (enum op_code)code, op->values);
		trace->count++;
	}
	if (trace->count == 0)
		trace_error(file, 0, "no operations in %lu line%s (only comments and blank lines)", line,
			    line == 1 ? "" : "s");
}

/* ================================================================================================
 * Output: one growing buffer, numbers formatted by hand
 * ============================================================================================== */

struct output {
	char *data;
	size_t length;
	size_t capacity;
};

static void output_reserve(struct output *out, size_t more)
{
	if (out->length + more <= out->capacity)
		return;
	while (out->length + more > out->capacity)
		out->capacity = out->capacity ? out->capacity * 2 : 1 << 16;
	out->data = harness_allocation(realloc(out->data, out->capacity));
}

static inline void put_text(struct output *out, const char *text)
{
	size_t n = strlen(text);

	output_reserve(out, n);
	memcpy(out->data + out->length, text, n);
	out->length += n;
}

static inline void put_char(struct output *out, char c)
{
	output_reserve(out, 1);
	out->data[out->length++] = c;
}

static inline void put_u64(struct output *out, u64 value)
{
	char digits[20];
	int n = 0;

	output_reserve(out, 20);
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	while (n > 0)
		out->data[out->length++] = digits[--n];
}

/* ================================================================================================
 * Replay
 * ============================================================================================== */

/** A handle whose alloc failed (no allocation ends at pfn ULONG_MAX: limits stop at 2^64 - 2). */
#define FAILED_HANDLE ULONG_MAX

/* The replay's state lives here, not in locals, because a hung walk comes back by longjmp. */
static struct {
	const struct trace *trace;
	size_t next;
	struct iova_domain *domain;
	bool has_rcache;
	unsigned long *results;
	size_t result_count;
	unsigned long visits;
	struct output out;
} replay;

static void magazine_text(struct output *out, unsigned long size, const unsigned long *pfns)
{
	put_u64(out, size);
	for (unsigned long i = 0; i < size; i++) {
		put_char(out, ' ');
		put_u64(out, pfns[i]);
	}
	put_char(out, '\n');
}

static void rc_prefix(struct output *out, int order, const char *what)
{
	put_text(out, "rc ");
	put_u64(out, (u64)order);
	put_char(out, ' ');
	put_text(out, what);
}

/* `rcdump`: the README's format; reads iova.c's own structures. */
static void dump_rcache(struct output *out, struct iova_domain *iovad)
{
	for (int i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; i++) {
		struct iova_rcache *rcache = &iovad->rcaches[i];

		rc_prefix(out, i, "depot ");
		put_u64(out, rcache->depot_size);
		put_char(out, '\n');
		for (unsigned int cpu = 0; cpu < harness_cpu_count; cpu++) {
			struct iova_cpu_rcache *cpu_rcache = per_cpu_ptr(rcache->cpu_rcaches, cpu);

			rc_prefix(out, i, "cpu ");
			put_u64(out, cpu);
			put_text(out, " loaded ");
			magazine_text(out, cpu_rcache->loaded->size, cpu_rcache->loaded->pfns);
			rc_prefix(out, i, "cpu ");
			put_u64(out, cpu);
			put_text(out, " prev ");
			magazine_text(out, cpu_rcache->prev->size, cpu_rcache->prev->pfns);
		}
#ifdef IOVA_DEPOT_DELAY
		/* 6.7+: a list, popped from its head; depot magazines are full and `size` holds the link. */
		unsigned long k = 0;

		for (struct iova_magazine *mag = rcache->depot; mag != NULL; mag = mag->next, k++) {
			rc_prefix(out, i, "mag ");
			put_u64(out, k);
			put_char(out, ' ');
			magazine_text(out, IOVA_MAG_SIZE, mag->pfns);
		}
		rc_prefix(out, i, "work ");
		put_u64(out, rcache->work.pending ? 1 : 0);
		put_char(out, ' ');
		put_u64(out, rcache->work.pending ? rcache->work.due : 0);
		put_char(out, '\n');
#else
		/* Before 6.7: an array of MAX_GLOBAL_MAGS, popped from its end. */
		for (unsigned long k = 0; k < rcache->depot_size; k++) {
			struct iova_magazine *mag = rcache->depot[rcache->depot_size - 1 - k];

			rc_prefix(out, i, "mag ");
			put_u64(out, k);
			put_char(out, ' ');
			magazine_text(out, mag->size, mag->pfns);
		}
#endif
	}
	put_text(out, "end\n");
}

static void put_range(struct output *out, const struct iova *iova)
{
	put_u64(out, iova->pfn_lo);
	put_char(out, ' ');
	put_u64(out, iova->pfn_hi);
	put_char(out, '\n');
}

/** The PFN argument: the value, or the result its handle names (FAILED_HANDLE for a failed alloc). */
static unsigned long pfn_argument(const struct trace_op *op)
{
	return op->handle >= 0 ? replay.results[op->handle] : (unsigned long)op->values[0];
}

static void run_op(const struct trace_op *op)
{
	struct iova_domain *d = replay.domain;
	struct output *out = &replay.out;
	const u64 *v = op->values;

	switch ((enum op_code)op->code) {
	case OP_CPUS:
		harness_cpu_count = (unsigned int)v[0];
		break;
	case OP_DOMAIN:
		d = replay.domain = harness_allocation(calloc(1, sizeof(*d)));
		tree_nodes = 0;
		init_iova_domain(d, (unsigned long)v[0], (unsigned long)v[1]);
		break;
	case OP_RCACHE:
		clock_ms = 0;
		if (iova_domain_init_rcaches(d) != 0) {
			fputs("iova-harness: iova_domain_init_rcaches failed\n", stderr);
			exit(3);
		}
		replay.has_rcache = true;
		break;
	case OP_CPU:
		harness_current_cpu = (unsigned int)v[0];
		break;
	case OP_ALLOC: {
		walk_steps = 0;
		walk_step_limit = 2 * tree_nodes;
		struct iova *iova = alloc_iova(d, (unsigned long)v[0], (unsigned long)v[1], v[2] == 1);

		replay.visits += walk_steps;
		if (iova == NULL) {
			replay.results[replay.result_count++] = FAILED_HANDLE;
			put_text(out, "fail\n");
		} else {
			replay.results[replay.result_count++] = iova->pfn_lo;
			put_range(out, iova);
		}
		break;
	}
	case OP_ALLOC_FAST: {
		walk_steps = 0;
		walk_step_limit = 4 * tree_nodes;
		unsigned long pfn = alloc_iova_fast(d, (unsigned long)v[0], (unsigned long)v[1], v[2] == 1);

		replay.visits += walk_steps;
		replay.results[replay.result_count++] = pfn != 0 ? pfn : FAILED_HANDLE;
		put_u64(out, pfn);
		put_char(out, '\n');
		break;
	}
	case OP_FREE: {
		unsigned long pfn = pfn_argument(op);

		if (op->handle >= 0 && pfn == FAILED_HANDLE) {
			put_text(out, "skip\n");
			break;
		}
		struct iova *iova = find_iova(d, pfn);

		if (iova == NULL) {
			put_text(out, "missing\n");
		} else if (iova == &d->anchor) {
			put_text(out, "anchor\n");
		} else {
			/* free_iova(pfn) would look the range up again; __free_iova frees the one found. */
			__free_iova(d, iova);
			put_text(out, "ok\n");
		}
		break;
	}
	case OP_FIND: {
		unsigned long pfn = pfn_argument(op);

		if (op->handle >= 0 && pfn == FAILED_HANDLE) {
			put_text(out, "skip\n");
			break;
		}
		struct iova *iova = find_iova(d, pfn);

		if (iova == NULL)
			put_text(out, "none\n");
		else
			put_range(out, iova);
		break;
	}
	case OP_RESERVE:
		put_text(out, reserve_iova(d, (unsigned long)v[0], (unsigned long)v[1]) ? "ok\n" : "fail\n");
		break;
	case OP_FREE_FAST: {
		unsigned long pfn = pfn_argument(op);

		if (op->handle >= 0 && pfn == FAILED_HANDLE) {
			put_text(out, "skip\n");
			break;
		}
		free_iova_fast(d, pfn, (unsigned long)v[1]);
		put_text(out, "ok\n");
		break;
	}
	case OP_TICK:
		/* The clock belongs to the rcaches (their delayed work); before them nothing is due. */
		if (replay.has_rcache)
			run_delayed_work((unsigned long)v[0]);
		break;
	case OP_STATS:
		put_text(out, "nodes ");
		put_u64(out, tree_nodes - 1);
		put_text(out, "\nvisits ");
		put_u64(out, replay.visits);
		put_char(out, '\n');
		break;
	case OP_DUMP:
		for (struct rb_node *node = rb_first(&d->rbroot); node != NULL; node = rb_next(node)) {
			struct iova *iova = rb_entry(node, struct iova, node);

			if (iova != &d->anchor)
				put_range(out, iova);
		}
		put_text(out, "end\n");
		break;
	case OP_RCDUMP:
		dump_rcache(out, d);
		break;
	case OP_CPUDEAD:
		/* What the CPU-hotplug core calls when a CPU dies; the CPU stays in the online count. */
		iova_cpuhp_dead((unsigned int)v[0], &d->cpuhp_dead);
		break;
	case OP_COUNT:
		break;
	}
}

/** Replays the whole trace on a fresh domain; the text is in replay.out. */
static void replay_trace(const struct trace *trace)
{
	replay.trace = trace;
	replay.next = 0;
	replay.domain = NULL;
	replay.has_rcache = false;
	replay.result_count = 0;
	replay.visits = 0;
	replay.out.length = 0;
	replay.results = harness_allocation(realloc(replay.results, (trace->count + 1) * sizeof(*replay.results)));
	harness_cpu_count = 1;
	harness_current_cpu = 0;
	clock_ms = 0;
	if (setjmp(walk_escape) != 0) {
		/* A walk passed the most steps a terminating walk takes: the operation hangs. */
		const struct trace_op *op = &trace->ops[replay.next];

		if (op->code == OP_ALLOC || op->code == OP_ALLOC_FAST)
			replay.results[replay.result_count++] = FAILED_HANDLE;
		put_text(&replay.out, "hang\n");
		walk_step_limit = ULONG_MAX;
		replay.next++;
	}
	for (; replay.next < trace->count; replay.next++)
		run_op(&trace->ops[replay.next]);
	walk_step_limit = ULONG_MAX;
}

/** Frees the replayed domain (not timed). */
static void tear_down(void)
{
	if (replay.domain == NULL)
		return;
	put_iova_domain(replay.domain);
	free(replay.domain);
	replay.domain = NULL;
	while (pending_count > 0)
		unqueue_work(0);
}

/* ================================================================================================
 * Timing and main
 * ============================================================================================== */

static u64 clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/** The median, as src/stats/summary.ts takes it (the mean of the middle two for an even count). */
static double median(u64 *values, size_t n)
{
	qsort(values, n, sizeof(*values), compare_u64);
	return n % 2 ? (double)values[n / 2] : ((double)values[n / 2 - 1] + (double)values[n / 2]) / 2;
}

static unsigned char *read_file(const char *file, size_t *length)
{
	FILE *f = fopen(file, "rb");
	struct stat st;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "iova-harness: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "iova-harness: %s: not a regular file\n", file);
		exit(1);
	}
	unsigned char *bytes = harness_allocation(malloc((size_t)st.st_size + 1));

	*length = fread(bytes, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		fprintf(stderr, "iova-harness: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	fclose(f);
	return bytes;
}

static void write_output(const struct output *out)
{
	if (fwrite(out->data, 1, out->length, stdout) != out->length || fflush(stdout) != 0) {
		fprintf(stderr, "iova-harness: writing the output: %s\n", strerror(errno));
		exit(1);
	}
}

static void __attribute__((noreturn)) usage(const char *problem)
{
	fprintf(stderr, "iova-harness: %s\nusage: iova-harness FILE [--bench RUNS]\n", problem);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	long runs = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bench") == 0) {
			char *end;

			if (i + 1 >= argc)
				usage("--bench needs RUNS (a whole number from 1 to 1000)");
			errno = 0;
			runs = strtol(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || runs < 1 || runs > 1000)
				usage("--bench: RUNS must be a whole number from 1 to 1000");
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "iova-harness: unknown option %s\n", argv[i]);
			usage("options are --bench RUNS");
		} else if (file == NULL) {
			file = argv[i];
		} else {
			usage("needs exactly one FILE");
		}
	}
	if (file == NULL)
		usage("needs exactly one FILE");
	if (iova_cache_get() != 0) {
		fputs("iova-harness: iova_cache_get failed\n", stderr);
		return 3;
	}

	size_t length;
	unsigned char *bytes = read_file(file, &length);
	struct trace trace;

	parse_trace(file, bytes, length, &trace);
	replay_trace(&trace);
	write_output(&replay.out);
	tear_down();
	if (runs == 0)
		return 0;

	u64 *samples = harness_allocation(calloc(4 * (size_t)runs, sizeof(u64)));
	u64 *parse_wall = samples, *parse_cpu = samples + runs, *replay_wall = samples + 2 * runs,
	    *replay_cpu = samples + 3 * runs;

	for (long run = 0; run < runs; run++) {
		free(trace.ops);
		u64 cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall = clock_ns(CLOCK_MONOTONIC);

		parse_trace(file, bytes, length, &trace);
		parse_wall[run] = clock_ns(CLOCK_MONOTONIC) - wall;
		parse_cpu[run] = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
		cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		wall = clock_ns(CLOCK_MONOTONIC);
		replay_trace(&trace);
		replay_wall[run] = clock_ns(CLOCK_MONOTONIC) - wall;
		replay_cpu[run] = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
		tear_down();
	}

	double ops = (double)trace.count;
	double pw = median(parse_wall, (size_t)runs), pc = median(parse_cpu, (size_t)runs);
	double rw = median(replay_wall, (size_t)runs), rc = median(replay_cpu, (size_t)runs);

	/* The line `iovasim iova-trace --bench` prints (src/bench/replay-bench.ts formatTraceTiming). */
	fprintf(stderr,
		"replay %s (C iova.c): %zu ops, median of %ld runs %.2f ms, %.1f ns/op, %.0f ops/s wall; "
		"CPU %.2f ms, %.1f ns/op; parse: wall %.2f ms, %.1f ns/op, CPU %.2f ms, %.1f ns/op\n",
		file, trace.count, runs, rw / 1e6, rw / ops, ops / (rw / 1e9), rc / 1e6, rc / ops, pw / 1e6, pw / ops,
		pc / 1e6, pc / ops);
	return 0;
}
