#ifndef C_SWITCH_SYNC_H
#define C_SWITCH_SYNC_H

// What SwitchCore's MAC table needs to be shared by threads, without importing Glibc into SwitchCore:
// - atomic loads, stores and fences on words in raw storage (lock-free readers and a locked writer
//   share the table's buckets and slots). Static inline, so the Swift optimizer inlines them (on
//   x86-64 an acquire load or release store is a plain mov); the compiler emits real atomic
//   instructions, which ThreadSanitizer sees.
// - the writers' lock: a pthread mutex (ThreadSanitizer intercepts it; it cannot see the futex
//   under Synchronization.Mutex).

#include <stdint.h>

static inline uint64_t tp_sw_load_acquire_u64(const void *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_ACQUIRE); }
static inline uint64_t tp_sw_load_relaxed_u64(const void *p) { return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED); }
static inline void tp_sw_store_release_u64(void *p, uint64_t v) { __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELEASE); }
static inline void tp_sw_store_relaxed_u64(void *p, uint64_t v) { __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); }
static inline uint32_t tp_sw_load_relaxed_u32(const void *p) { return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED); }
static inline void tp_sw_store_relaxed_u32(void *p, uint32_t v) { __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED); }
static inline void tp_sw_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void tp_sw_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }

/// A hint to the CPU inside a spin-wait loop (PAUSE on x86).
static inline void tp_sw_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// An opaque pthread mutex (heap-allocated; NULL when out of memory).
typedef struct tp_sw_mutex tp_sw_mutex;
tp_sw_mutex *tp_sw_mutex_create(void);
void tp_sw_mutex_destroy(tp_sw_mutex *m);
void tp_sw_mutex_lock(tp_sw_mutex *m);
void tp_sw_mutex_unlock(tp_sw_mutex *m);

#endif
