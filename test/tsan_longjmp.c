/*
 * Linked into `make SANITIZE=thread` builds only.  Debian's liblua5.4.a is
 * built with _FORTIFY_SOURCE, so luaD_throw leaves through __longjmp_chk,
 * which GCC 12's libtsan does not intercept: every Lua error would leave
 * stale frames on ThreadSanitizer's shadow stack (test_seri's fuzz loop grew
 * past 20 GB).  Defining the symbol here sends those jumps through longjmp,
 * which libtsan intercepts and unwinds correctly.
 */
#undef _FORTIFY_SOURCE /* or longjmp below would itself become __longjmp_chk */
#include <setjmp.h>

_Noreturn void __longjmp_chk(jmp_buf env, int val);

_Noreturn void __longjmp_chk(jmp_buf env, int val) {
	longjmp(env, val);
}
