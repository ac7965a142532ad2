/*
 * ltls.c (luaclib/ltls.so): TLS on OpenSSL for http.tlshelper, with the
 * API skynet applications know.  The library never touches a socket: each
 * connection runs over two memory BIOs, so the Lua side moves bytes between
 * the socket and the TLS engine with skynet.socket's ordinary reads and
 * writes, and a coroutine waiting for the peer parks instead of a worker.
 *
 *   newctx()                    an SSL_CTX for either side
 *     ctx:set_cert(certfile, keyfile)   PEM certificate chain and key
 *     ctx:set_ciphers(list)             OpenSSL cipher list (TLS <= 1.2)
 *     ctx:load_verify([cafile])  verify the server's certificate (client
 *                                side): against cafile, else the system store
 *   newtls("client"|"server", ctx [, hostname])   one connection
 *     tls:set_ext_host_name(name)  SNI (and the name checked when verifying)
 *     tls:handshake([bytes])    feed the peer's bytes; returns the bytes to
 *                               send, or nothing
 *     tls:finished()            true once the handshake is complete
 *     tls:read([bytes])         feed ciphertext, return the plaintext ready
 *     tls:write([text])         encrypt text; returns the ciphertext to send
 *                               (with any pending handshake bytes)
 *     tls:close()               frees the connection (also on collection)
 * Failures raise a Lua error carrying OpenSSL's reason.
 */
#define LUA_LIB

#include <lauxlib.h>
#include <lua.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <string.h>

#define CTX_META "ltls.ctx"
#define TLS_META "ltls.tls"
#define READ_CHUNK 16384

struct tls_ctx {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
	BIO *in;  /* bytes from the peer, written by us, read by OpenSSL */
	BIO *out; /* bytes for the peer, written by OpenSSL, read by us */
};

/* raises what, with the first queued OpenSSL reason; clears the queue */
static int tls_error(lua_State *L, const char *what) {
	char reason[256] = "";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	ERR_clear_error();
	return luaL_error(L, "%s%s%s", what, e ? ": " : "", reason);
}

static struct tls_ctx *check_ctx(lua_State *L) {
	struct tls_ctx *c = luaL_checkudata(L, 1, CTX_META);
	if (c->ctx == NULL)
		luaL_error(L, "tls context is freed");
	return c;
}

static struct tls_conn *check_conn(lua_State *L) {
	struct tls_conn *t = luaL_checkudata(L, 1, TLS_META);
	if (t->ssl == NULL)
		luaL_error(L, "tls connection is closed");
	return t;
}

/* ---------------------------------------------------------------- context */

static int ctx_set_cert(lua_State *L) {
	struct tls_ctx *c = check_ctx(L);
	const char *cert = luaL_checkstring(L, 2);
	const char *key = luaL_checkstring(L, 3);
	if (SSL_CTX_use_certificate_chain_file(c->ctx, cert) != 1)
		return tls_error(L, lua_pushfstring(L, "certificate file %s", cert));
	if (SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM) != 1)
		return tls_error(L, lua_pushfstring(L, "key file %s", key));
	if (SSL_CTX_check_private_key(c->ctx) != 1)
		return tls_error(L, "the key does not match the certificate");
	return 0;
}

static int ctx_set_ciphers(lua_State *L) {
	struct tls_ctx *c = check_ctx(L);
	const char *list = luaL_checkstring(L, 2);
	if (SSL_CTX_set_cipher_list(c->ctx, list) != 1)
		return tls_error(L, lua_pushfstring(L, "cipher list %s", list));
	return 0;
}

static int ctx_load_verify(lua_State *L) {
	struct tls_ctx *c = check_ctx(L);
	const char *cafile = luaL_optstring(L, 2, NULL);
	int ok = cafile ? SSL_CTX_load_verify_locations(c->ctx, cafile, NULL)
	                : SSL_CTX_set_default_verify_paths(c->ctx);
	if (ok != 1)
		return tls_error(L, lua_pushfstring(L, "verify locations %s", cafile ? cafile : "(system)"));
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

static int ctx_gc(lua_State *L) {
	struct tls_ctx *c = luaL_checkudata(L, 1, CTX_META);
	if (c->ctx) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	return 0;
}

static int lnewctx(lua_State *L) {
	struct tls_ctx *c = lua_newuserdatauv(L, sizeof(*c), 0);
	c->ctx = NULL;
	luaL_setmetatable(L, CTX_META);
	c->ctx = SSL_CTX_new(TLS_method());
	if (c->ctx == NULL)
		return tls_error(L, "SSL_CTX_new");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	/* a peer that leaves without close_notify is an ordinary end of stream */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	return 1;
}

/* ------------------------------------------------------------- connection */

static void feed(lua_State *L, struct tls_conn *t, int arg) {
	size_t n;
	const char *s = luaL_optlstring(L, arg, "", &n);
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		int w = BIO_write(t->in, s, chunk);
		if (w <= 0)
			luaL_error(L, "tls: buffering %d bytes failed", chunk);
		s += w;
		n -= (size_t)w;
	}
}

/* pushes the ciphertext waiting for the peer (maybe ""); returns its length */
static size_t push_pending(lua_State *L, struct tls_conn *t) {
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t total = 0;
	size_t pending;
	while ((pending = BIO_ctrl_pending(t->out)) > 0) {
		int want = pending > READ_CHUNK ? READ_CHUNK : (int)pending;
		char *p = luaL_prepbuffsize(&b, (size_t)want);
		int r = BIO_read(t->out, p, want);
		if (r <= 0)
			luaL_error(L, "tls: draining the output buffer failed");
		luaL_addsize(&b, (size_t)r);
		total += (size_t)r;
	}
	luaL_pushresult(&b);
	return total;
}

/* an SSL_* call returned r: fine when it only waits for more bytes */
static void check_io(lua_State *L, struct tls_conn *t, int r, const char *what) {
	int err = SSL_get_error(t->ssl, r);
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return;
	}
	if (err == SSL_ERROR_SSL) {
		long v = SSL_get_verify_result(t->ssl);
		if (v != X509_V_OK) {
			ERR_clear_error();
			luaL_error(L, "%s: certificate verify failed: %s", what, X509_verify_cert_error_string(v));
		}
	}
	tls_error(L, lua_pushfstring(L, "%s failed (ssl error %d)", what, err));
}

static int conn_handshake(lua_State *L) {
	struct tls_conn *t = check_conn(L);
	if (SSL_is_init_finished(t->ssl))
		return luaL_error(L, "handshake is finished");
	feed(L, t, 2);
	int r = SSL_do_handshake(t->ssl);
	if (r != 1)
		check_io(L, t, r, "tls handshake");
	if (push_pending(L, t) == 0) {
		lua_pop(L, 1);
		return 0;
	}
	return 1;
}

static int conn_finished(lua_State *L) {
	struct tls_conn *t = check_conn(L);
	lua_pushboolean(L, SSL_is_init_finished(t->ssl));
	return 1;
}

static int conn_read(lua_State *L) {
	struct tls_conn *t = check_conn(L);
	feed(L, t, 2);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (;;) {
		char *p = luaL_prepbuffsize(&b, READ_CHUNK);
		int r = SSL_read(t->ssl, p, READ_CHUNK);
		if (r <= 0) {
			check_io(L, t, r, "tls read");
			break;
		}
		luaL_addsize(&b, (size_t)r);
	}
	luaL_pushresult(&b);
	return 1;
}

static int conn_write(lua_State *L) {
	struct tls_conn *t = check_conn(L);
	size_t n;
	const char *s = luaL_optlstring(L, 2, "", &n);
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		int w = SSL_write(t->ssl, s, chunk);
		if (w <= 0) {
			check_io(L, t, w, "tls write");
			return luaL_error(L, "tls write before the handshake finished");
		}
		s += w;
		n -= (size_t)w;
	}
	push_pending(L, t);
	return 1;
}

static int conn_set_host(lua_State *L) {
	struct tls_conn *t = check_conn(L);
	const char *name = luaL_checkstring(L, 2);
	if (SSL_set_tlsext_host_name(t->ssl, name) != 1 || SSL_set1_host(t->ssl, name) != 1)
		return tls_error(L, lua_pushfstring(L, "host name %s", name));
	return 0;
}

static int conn_close(lua_State *L) {
	struct tls_conn *t = luaL_checkudata(L, 1, TLS_META);
	if (t->ssl) {
		SSL_free(t->ssl); /* frees both BIOs too */
		t->ssl = NULL;
		t->in = t->out = NULL;
	}
	return 0;
}

static int lnewtls(lua_State *L) {
	const char *method = luaL_checkstring(L, 1);
	int server = strcmp(method, "server") == 0;
	if (!server && strcmp(method, "client") != 0)
		return luaL_error(L, "tls method must be \"client\" or \"server\", not %s", method);
	struct tls_ctx *c = luaL_checkudata(L, 2, CTX_META);
	if (c->ctx == NULL)
		return luaL_error(L, "tls context is freed");
	const char *hostname = luaL_optstring(L, 3, NULL);

	struct tls_conn *t = lua_newuserdatauv(L, sizeof(*t), 1);
	t->ssl = NULL;
	luaL_setmetatable(L, TLS_META);
	lua_pushvalue(L, 2); /* the context lives as long as its connections */
	lua_setiuservalue(L, -2, 1);
	t->ssl = SSL_new(c->ctx);
	if (t->ssl == NULL)
		return tls_error(L, "SSL_new");
	t->in = BIO_new(BIO_s_mem());
	t->out = BIO_new(BIO_s_mem());
	if (t->in == NULL || t->out == NULL) {
		BIO_free(t->in);
		BIO_free(t->out);
		return tls_error(L, "BIO_new");
	}
	SSL_set_bio(t->ssl, t->in, t->out);
	if (server) {
		SSL_set_accept_state(t->ssl);
	} else {
		SSL_set_connect_state(t->ssl);
		if (hostname && (SSL_set_tlsext_host_name(t->ssl, hostname) != 1 || SSL_set1_host(t->ssl, hostname) != 1))
			return tls_error(L, lua_pushfstring(L, "host name %s", hostname));
	}
	return 1;
}

static void new_meta(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc) {
	luaL_newmetatable(L, name);
	lua_newtable(L);
	luaL_setfuncs(L, methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
}

LUAMOD_API int luaopen_ltls_c(lua_State *L) {
	luaL_checkversion(L);
	static const luaL_Reg ctx_methods[] = {
		{"set_cert", ctx_set_cert},
		{"set_ciphers", ctx_set_ciphers},
		{"load_verify", ctx_load_verify},
		{NULL, NULL},
	};
	static const luaL_Reg tls_methods[] = {
		{"handshake", conn_handshake},
		{"finished", conn_finished},
		{"read", conn_read},
		{"write", conn_write},
		{"set_ext_host_name", conn_set_host},
		{"close", conn_close},
		{NULL, NULL},
	};
	static const luaL_Reg funcs[] = {
		{"newctx", lnewctx},
		{"newtls", lnewtls},
		{NULL, NULL},
	};
	new_meta(L, CTX_META, ctx_methods, ctx_gc);
	new_meta(L, TLS_META, tls_methods, conn_close);
	luaL_newlib(L, funcs);
	return 1;
}
