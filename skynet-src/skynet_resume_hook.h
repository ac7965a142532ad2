#ifndef SKYNET_RESUME_HOOK_H
#define SKYNET_RESUME_HOOK_H

/* snlua calls this hook around every coroutine resume of its service (the
 * dispatcher's and the service's own), so that skynet.profile can count the
 * time a coroutine runs and leave out the time it is suspended.  snlua
 * keeps one slot per service and publishes its address in the Lua registry
 * under SKYNET_RESUME_HOOK (a light userdata); the profiler fills it while
 * it has something to time and empties it otherwise. */

#define SKYNET_RESUME_HOOK "skynet_resume_hook"

struct lua_State;

struct skynet_resume_hook {
	/* running: 1 just before co runs, 0 once it has yielded, ended or failed */
	void (*call)(void *ud, struct lua_State *co, int running);
	void *ud;
};

#endif
