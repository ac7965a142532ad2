/*
 * The one spinlock of the project, for short critical sections (C11
 * atomics).  Waiters spin on a plain load (test and test-and-set: the
 * cache line is not written while someone holds it) and yield the CPU
 * after a while, since a holder may be preempted or in a system call
 * (a socket's lock is held for a write).
 */
#ifndef SKYNET_SPINLOCK_H
#define SKYNET_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>

#define SPINLOCK_SPINS_BEFORE_YIELD 64

struct spinlock {
	atomic_int locked;
};

static inline void spinlock_init(struct spinlock *lock) {
	atomic_init(&lock->locked, 0);
}

static inline void spinlock_lock(struct spinlock *lock) {
	while (atomic_exchange_explicit(&lock->locked, 1, memory_order_acquire)) {
		int spins = 0;
		while (atomic_load_explicit(&lock->locked, memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			if (++spins == SPINLOCK_SPINS_BEFORE_YIELD) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static inline void spinlock_unlock(struct spinlock *lock) {
	atomic_store_explicit(&lock->locked, 0, memory_order_release);
}

#endif
