#ifndef SKYNET_TIMER_H
#define SKYNET_TIMER_H

#include <stdint.h>

/* advances the wheel to the current time, firing what is due */
void skynet_updatetime(void);
/* UTC seconds when the node started */
uint32_t skynet_starttime(void);
/* microseconds of the monotonic (wall) clock, read in user space: times the
 * dispatch batches behind stat "cpu" and "time" */
uint64_t skynet_monotonic_usec(void);

void skynet_timer_init(void);
void skynet_timer_exit(void);

#endif
