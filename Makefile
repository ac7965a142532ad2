# Builds ./skynet, cservice/*.so and luaclib/*.so.
#   make            build (jemalloc allocator)
#   make SANITIZE=1 build with AddressSanitizer + UBSan and the libc allocator
#   make SANITIZE=thread  build with ThreadSanitizer and the libc allocator
#   make run        install dependencies if missing, build, start examples/config.lua
#   make test       build and run the whole suite
#   make bench      run the benchmarks

CC ?= gcc
LUA_INC ?= /usr/include/lua5.4
LUA_STATICLIB ?= -l:liblua5.4.a
SANITIZE ?= 0

# -Wvla: no variable-length arrays (sizes that users control blow the stack)
CFLAGS = -std=c11 -D_GNU_SOURCE -g -Wall -Wextra -Wvla -I skynet-src -I $(LUA_INC)
LDLIBS = -lpthread -lm -ldl
ifeq ($(SANITIZE),1)
  MODE = sanitize
  CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -DNOUSE_JEMALLOC
  LDFLAGS += -fsanitize=address,undefined
else ifeq ($(SANITIZE),thread)
  MODE = tsan
  CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=thread -DNOUSE_JEMALLOC
  LDFLAGS += -fsanitize=thread
  TSAN_OBJ = $(OBJDIR)/test/tsan_longjmp.o
else
  MODE = release
  CFLAGS += -O2
  LDLIBS += -Wl,-Bstatic -ljemalloc -Wl,-Bdynamic
endif

OBJDIR = build/$(MODE)
CORE_SRC = $(filter-out skynet-src/skynet_main.c,$(wildcard skynet-src/*.c))
CORE_OBJ = $(patsubst skynet-src/%.c,$(OBJDIR)/%.o,$(CORE_SRC))
# header dependencies: the compiler writes them (-MMD) as DEPDIR/*.d; -MP
# keeps a deleted header from breaking the build.  A target without its .d
# file yet (built before this) depends on the missing file, so it is rebuilt
# once and gets one.
DEPDIR = $(OBJDIR)/deps
DEPFLAGS = -MMD -MP -MF $(DEPDIR)/$(subst /,_,$@).d -MT $@
DEPFILE = $(DEPDIR)/$(subst /,_,$@).d
CSERVICES = $(patsubst service-src/service_%.c,cservice/%.so,$(wildcard service-src/service_*.c))
LUACLIB_OBJ = $(patsubst lualib-src/%.c,$(OBJDIR)/lualib/%.o,$(wildcard lualib-src/*.c))
# lualib-src/ROOT/*.c make luaclib/ROOT.so, for modules named ROOT.* (sproto.core,
# client.socket, md5, ...); ROOT_EXTRA adds sources shared with skynet.so (client.so
# carries crypt).  Never unloaded (-z nodelete): sproto's global slots and
# client.socket's stdin thread outlive a lua_State.
LUACLIB_ROOTS = $(patsubst lualib-src/%/,luaclib/%.so,$(wildcard lualib-src/*/))
client_EXTRA = $(wildcard lualib-src/lua-crypt.c lualib-src/crypt_*.c)
ltls_LIBS = -lssl
CRYPTO_LIBS = -lcrypto
# the echo load generator and the bare C echo server it is compared with
NET_TOOLS = $(patsubst test/%.c,$(OBJDIR)/test/%,$(wildcard test/loadgen.c test/echo_bare.c))
# C services only the benchmarks load (the echo benchmark's ceiling)
BENCH_CSERVICES = $(patsubst test/bench/service_%.c,$(OBJDIR)/test/cservice/%.so,$(wildcard test/bench/service_*.c))
EXAMPLES = $(patsubst examples/%.c,$(OBJDIR)/examples/%,$(wildcard examples/*.c))
CTESTS = $(patsubst test/c/%.c,$(OBJDIR)/test/%,$(wildcard test/c/test_*.c))
STAMP = build/.mode-$(MODE)

# prerequisites may name $$@ (DEPFILE) or $$* (the luaclib roots)
.SECONDEXPANSION:

all: skynet $(CSERVICES) luaclib/skynet.so $(LUACLIB_ROOTS) $(CTESTS) $(NET_TOOLS) $(BENCH_CSERVICES) $(EXAMPLES)

$(STAMP):
	@mkdir -p build
	@rm -f build/.mode-*
	@touch $@

$(OBJDIR)/%.o: skynet-src/%.c $$(DEPFILE)
	@mkdir -p $(OBJDIR) $(DEPDIR)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

skynet: $(STAMP) $(CORE_OBJ) $(OBJDIR)/skynet_main.o $(TSAN_OBJ)
	$(CC) $(LDFLAGS) -Wl,-E -o $@ $(CORE_OBJ) $(OBJDIR)/skynet_main.o $(TSAN_OBJ) $(LUA_STATICLIB) $(LDLIBS)

cservice/%.so: service-src/service_%.c $$(DEPFILE) $(STAMP)
	@mkdir -p cservice $(DEPDIR)
	$(CC) $(CFLAGS) $(DEPFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

$(OBJDIR)/test/cservice/%.so: test/bench/service_%.c $$(DEPFILE) $(STAMP)
	@mkdir -p $(@D) $(DEPDIR)
	$(CC) $(CFLAGS) $(DEPFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

$(OBJDIR)/lualib/%.o: lualib-src/%.c $$(DEPFILE)
	@mkdir -p $(@D) $(DEPDIR)
	$(CC) $(CFLAGS) $(DEPFLAGS) -fPIC -I lualib-src -c -o $@ $<

luaclib/skynet.so: $(STAMP) $(LUACLIB_OBJ)
	@mkdir -p luaclib
	$(CC) -shared $(LDFLAGS) -o $@ $(LUACLIB_OBJ) $(CRYPTO_LIBS)

luaclib/%.so: $$(wildcard lualib-src/$$*/*.c) $$(wildcard lualib-src/$$*/*.h) $$($$*_EXTRA) $(STAMP)
	@mkdir -p luaclib
	$(CC) $(CFLAGS) -I lualib-src -fPIC -shared -Wl,-z,nodelete $(LDFLAGS) -o $@ $(filter %.c,$^) $($*_LIBS) $(CRYPTO_LIBS)

# C unit tests link the core and the Lua C modules directly
$(OBJDIR)/test/%: test/c/%.c $(CORE_OBJ) $(LUACLIB_OBJ) $(TSAN_OBJ) $$(DEPFILE)
	@mkdir -p $(OBJDIR)/test $(DEPDIR)
	$(CC) $(CFLAGS) $(DEPFLAGS) -I lualib-src -Wl,-E -o $@ $< $(CORE_OBJ) $(LUACLIB_OBJ) $(TSAN_OBJ) $(LUA_STATICLIB) $(LDFLAGS) $(LDLIBS) $(CRYPTO_LIBS)

$(OBJDIR)/test/tsan_longjmp.o: test/tsan_longjmp.c
	@mkdir -p $(OBJDIR)/test
	$(CC) $(CFLAGS) -c -o $@ $<

$(NET_TOOLS): $(OBJDIR)/test/%: test/%.c
	@mkdir -p $(OBJDIR)/test
	$(CC) $(CFLAGS) -O2 -o $@ $< $(LDFLAGS) -lpthread

$(OBJDIR)/examples/%: examples/%.c
	@mkdir -p $(OBJDIR)/examples
	$(CC) $(CFLAGS) -O2 -o $@ $< $(LDFLAGS)

DEPFILES = $(foreach t,$(CORE_OBJ) $(OBJDIR)/skynet_main.o $(LUACLIB_OBJ) $(CSERVICES) $(BENCH_CSERVICES) $(CTESTS),$(DEPDIR)/$(subst /,_,$(t)).d)
$(DEPFILES):
-include $(wildcard $(DEPFILES))

deps:
	@sh 3rd/install-deps.sh

run: deps all
	./skynet examples/config.lua

test: deps all
	@OBJDIR=$(OBJDIR) SANITIZE=$(if $(filter 0,$(SANITIZE)),0,1) bash test/run.sh

bench: deps all
	@OBJDIR=$(OBJDIR) bash test/bench.sh

clean:
	rm -rf build skynet cservice luaclib

.PHONY: all deps run test bench clean
