/* A test-and-set spinlock for short critical sections (C11 atomics). */
#ifndef SKYNET_SPINLOCK_H
#define SKYNET_SPINLOCK_H

#include <stdatomic.h>

struct spinlock {
	atomic_flag flag;
};

static inline void spinlock_init(struct spinlock *lock) {
	atomic_flag_clear(&lock->flag);
}

static inline void spinlock_lock(struct spinlock *lock) {
	while (atomic_flag_test_and_set_explicit(&lock->flag, memory_order_acquire)) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
}

static inline void spinlock_unlock(struct spinlock *lock) {
	atomic_flag_clear_explicit(&lock->flag, memory_order_release);
}

#endif
