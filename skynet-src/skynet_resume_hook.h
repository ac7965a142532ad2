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

/* snlua's resume, which keeps track of the running thread (for the signal
 * that interrupts an endless loop) and calls the hook above: the
 * dispatcher (lualib-src/lua-dispatch.c) resumes handler threads with it.
 * Published in the registry under SKYNET_RESUMER (a light userdata).
 * resume moves narg values from L to co and resumes it; it returns the
 * number of results, moved to L, or -1 with the error on top of L. */

#define SKYNET_RESUMER "skynet_resumer"

struct skynet_resumer {
	int (*resume)(void *ud, struct lua_State *L, struct lua_State *co, int narg);
	void *ud;
};

#endif
