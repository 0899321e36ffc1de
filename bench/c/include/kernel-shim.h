/* SPDX-License-Identifier: MIT */
/*
 * The kernel, as far as drivers/iommu/iova.c and lib/rbtree.c need it, for a single-threaded
 * userspace replay of the conformance traces (../shared/conformance/README.md describes the
 * harness the golden outputs came from; this is our own re-creation of it).
 *
 * Every linux/NAME.h that iova.c, iova.h and the rbtree headers include (except iova.h and the
 * rbtree headers themselves, which come from the kernel tree) is a one-line file in this folder
 * that includes this header, so the kernel sources compile unmodified. The rules:
 *
 *   - locks do nothing (one thread);
 *   - "this CPU" is harness_current_cpu, set by the trace's `cpu N`; possible and online CPUs are
 *     0 .. harness_cpu_count - 1, set by `cpus N`;
 *   - per-CPU memory is one zeroed array of harness_cpu_count elements (per_cpu_ptr indexes it);
 *   - kmem_cache, kzalloc/kcalloc and kfree are malloc, calloc and free, and never fail;
 *   - delayed work runs on a simulated clock with HZ = 1000 (one jiffy is one millisecond), and
 *     only when the harness advances the clock (the trace's `tick MS`, harness_run_delayed_work);
 *   - CPU-hotplug registration succeeds and calls nothing; the teardown runs when the trace says;
 *   - WARN prints to stderr and goes on; BUG prints to stderr and aborts.
 *
 * What is not the kernel's: malloc instead of the slab allocator (object addresses, and so cache
 * behaviour, differ), no preemption or interrupts, no lock costs. These change timings, never
 * results: iova.c's decisions depend only on pfns and tree order.
 */
#ifndef IOVASIM_KERNEL_SHIM_H
#define IOVASIM_KERNEL_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- types ---------------------------------------------------------------------------- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef u64 dma_addr_t;
typedef unsigned int gfp_t;

struct hlist_node {
	struct hlist_node *next, **pprev;
};

/* ---- compiler ------------------------------------------------------------------------- */
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __percpu
#define __init
#define __ref
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, val) ((x) = (val))
#define rcu_assign_pointer(p, v) ((p) = (v))
#define rcu_dereference_raw(p) (p)
#define __static_assert(expr, msg, ...) _Static_assert(expr, msg)
#define static_assert(expr, ...) __static_assert(expr, ##__VA_ARGS__, #expr)
#define IS_ENABLED(option) 1
#define IS_REACHABLE(option) 1

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define hlist_entry_safe(ptr, type, member) \
	({ typeof(ptr) ____ptr = (ptr); ____ptr ? container_of(____ptr, type, member) : NULL; })

/* ---- module, export, errors ----------------------------------------------------------- */
#define EXPORT_SYMBOL(sym) extern int iovasim_shim_export_unused
#define EXPORT_SYMBOL_GPL(sym) extern int iovasim_shim_export_unused
#define MODULE_AUTHOR(text) extern int iovasim_shim_module_unused
#define MODULE_LICENSE(text) extern int iovasim_shim_module_unused
#define MODULE_DESCRIPTION(text) extern int iovasim_shim_module_unused
#define ENOMEM 12
#define ENODEV 19
#define ENOTSUPP 524
#define ERR_PTR(error) ((void *)(long)(error))

/* The format may hold kernel-only conversions (%pe): print it as it is, not through printf. */
static inline void pr_err(const char *format, ...)
{
	fputs(format, stderr);
}

#define WARN_ON(condition) ({ \
	int __warned = !!(condition); \
	if (__warned) \
		fprintf(stderr, "WARNING: %s:%d: WARN_ON(%s)\n", __FILE__, __LINE__, #condition); \
	__warned; })
#define WARN_ON_ONCE(condition) WARN_ON(condition)
#define BUG_ON(condition) do { \
	if (condition) { \
		fprintf(stderr, "BUG: %s:%d: BUG_ON(%s)\n", __FILE__, __LINE__, #condition); \
		abort(); \
	} } while (0)

/* ---- arithmetic (include/linux/log2.h, bitops.h, minmax.h, align.h) ------------------- */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((typeof(x))(a) - 1))
#define min(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); __a < __b ? __a : __b; })
#define max(a, b) ({ typeof(a) __a = (a); typeof(b) __b = (b); __a > __b ? __a : __b; })
#define min_t(type, a, b) min((type)(a), (type)(b))
#define max_t(type, a, b) max((type)(a), (type)(b))
#define swap(a, b) do { typeof(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

static inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

static inline int fls_long(unsigned long x)
{
	return x == 0 ? 0 : (int)(sizeof(long) * 8) - __builtin_clzl(x);
}

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static inline int ilog2(unsigned long n)
{
	return fls_long(n) - 1;
}

static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return 1UL << fls_long(n - 1);
}

/* include/linux/log2.h: order_base_2(n) = n > 1 ? ilog2(n - 1) + 1 : 0 */
static inline int order_base_2(unsigned long n)
{
	return n > 1 ? ilog2(n - 1) + 1 : 0;
}

/* ---- locks: one thread, so they do nothing -------------------------------------------- */
typedef struct {
	int unused;
} spinlock_t;
struct mutex {
	int unused;
};
#define spin_lock_init(lock) ((void)(lock))
#define spin_lock(lock) ((void)(lock))
#define spin_unlock(lock) ((void)(lock))
#define spin_lock_irqsave(lock, flags) ((void)(lock), (flags) = 0)
#define spin_unlock_irqrestore(lock, flags) ((void)(lock), (void)(flags))
#define assert_spin_locked(lock) ((void)(lock))
#define DEFINE_MUTEX(name) struct mutex name = { 0 }
#define mutex_lock(lock) ((void)(lock))
#define mutex_unlock(lock) ((void)(lock))

/* ---- CPUs and per-CPU memory ------------------------------------------------------------ */
#define HARNESS_MAX_CPUS 64
extern unsigned int harness_cpu_count;
extern unsigned int harness_current_cpu;

#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < harness_cpu_count; (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)
#define num_online_cpus() harness_cpu_count
#define smp_processor_id() harness_current_cpu
#define per_cpu_ptr(ptr, cpu) (&(ptr)[cpu])
#define raw_cpu_ptr(ptr) per_cpu_ptr(ptr, harness_current_cpu)
#define this_cpu_ptr(ptr) raw_cpu_ptr(ptr)
#define cache_line_size() 64

static inline void *__alloc_percpu(size_t size, size_t align)
{
	(void)align;
	return calloc(harness_cpu_count, size);
}

#define alloc_percpu(type) ((type *)__alloc_percpu(sizeof(type), __alignof__(type)))

static inline void free_percpu(void *ptr)
{
	free(ptr);
}

/* ---- CPU hotplug: registration succeeds; the trace's `cpudead N` calls the teardown --- */
enum cpuhp_state {
	CPUHP_IOMMU_IOVA_DEAD,
};

static inline int cpuhp_setup_state_multi(enum cpuhp_state state, const char *name,
					  int (*startup)(unsigned int, struct hlist_node *),
					  int (*teardown)(unsigned int, struct hlist_node *))
{
	(void)state, (void)name, (void)startup, (void)teardown;
	return 0;
}

static inline int cpuhp_state_add_instance_nocalls(enum cpuhp_state state, struct hlist_node *node)
{
	(void)state, (void)node;
	return 0;
}

static inline int cpuhp_state_remove_instance_nocalls(enum cpuhp_state state, struct hlist_node *node)
{
	(void)state, (void)node;
	return 0;
}

static inline void cpuhp_remove_multi_state(enum cpuhp_state state)
{
	(void)state;
}

/* ---- slab ------------------------------------------------------------------------------- */
#define GFP_KERNEL 0x1u
#define GFP_ATOMIC 0x2u
#define __GFP_NOWARN 0x4u
#define SLAB_HWCACHE_ALIGN 0x1u

struct kmem_cache {
	const char *name;
	size_t size;
};

static inline struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
						   unsigned int flags, void (*ctor)(void *))
{
	struct kmem_cache *cache = malloc(sizeof(*cache));

	(void)align, (void)flags, (void)ctor;
	if (cache == NULL)
		abort();
	cache->name = name;
	cache->size = size;
	return cache;
}

static inline void kmem_cache_destroy(struct kmem_cache *cache)
{
	free(cache);
}

static inline void *harness_allocation(void *ptr)
{
	if (ptr == NULL) {
		fputs("iova-harness: out of memory\n", stderr);
		exit(3);
	}
	return ptr;
}

static inline void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t flags)
{
	(void)flags;
	return harness_allocation(malloc(cache->size));
}

static inline void *kmem_cache_zalloc(struct kmem_cache *cache, gfp_t flags)
{
	(void)flags;
	return harness_allocation(calloc(1, cache->size));
}

static inline void kmem_cache_free(struct kmem_cache *cache, void *ptr)
{
	(void)cache;
	free(ptr);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	(void)flags;
	return harness_allocation(calloc(n, size));
}

static inline void *kzalloc(size_t size, gfp_t flags)
{
	(void)flags;
	return harness_allocation(calloc(1, size));
}

static inline void *kmalloc(size_t size, gfp_t flags)
{
	(void)flags;
	return harness_allocation(malloc(size));
}

/* 7.0's typed allocators (kzalloc_objs(TYPE, COUNT) with an optional gfp, GFP_KERNEL by default). */
#define kzalloc_objs(type, count, ...) ((type *)kcalloc((count), sizeof(type), GFP_KERNEL))
#define kzalloc_obj(type, ...) ((type *)kzalloc(sizeof(type), GFP_KERNEL))

static inline void kfree(const void *ptr)
{
	free((void *)ptr);
}

static inline void kmemleak_transient_leak(const void *ptr)
{
	(void)ptr;
}

/* ---- delayed work on the simulated clock ------------------------------------------------ */
#define HZ 1000
#define msecs_to_jiffies(ms) ((unsigned long)(ms))

struct work_struct {
	void (*func)(struct work_struct *work);
};

struct delayed_work {
	struct work_struct work;
	bool pending;
	/** Jiffies (ms) at which it runs, while pending. */
	unsigned long due;
	/** Order of scheduling, for work due at the same jiffy. */
	unsigned long sequence;
};

#define to_delayed_work(w) container_of(w, struct delayed_work, work)
#define INIT_DELAYED_WORK(dwork, function) harness_init_delayed_work((dwork), (function))

void harness_init_delayed_work(struct delayed_work *dwork, void (*func)(struct work_struct *));
bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay);
bool cancel_delayed_work_sync(struct delayed_work *dwork);

#endif /* IOVASIM_KERNEL_SHIM_H */
