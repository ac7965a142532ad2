/*
** Loading a binary schema (the output of sprotoparser) into struct sproto.
** The binary schema is itself a sproto message of this type:
**
**   .field { name 0 : string  buildin 1 : integer  type 2 : integer
**            tag 3 : integer  array 4 : boolean  key 5 : integer  map 6 : boolean }
**   .type { name 0 : string  fields 1 : *field }
**   .protocol { name 0 : string  tag 1 : integer  request 2 : integer
**               response 3 : integer  confirm 4 : boolean }
**   .group { type 0 : *type  protocol 1 : *protocol }
**
** Every length and index is checked: a malformed schema yields NULL.
** All of a schema's memory comes from one arena, released at once.
*/
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "sproto.h"

#define ARENA_BLOCK 4096
#define MAX_DECIMAL_DIGITS 18 /* 10^18 still fits an int64 */

struct sproto_arena {
	struct sproto_arena *next;
	size_t used;
	size_t cap;
	alignas(max_align_t) unsigned char data[];
};

static void *arena_alloc(struct sproto_arena **head, size_t sz) {
	struct sproto_arena *a = *head;
	sz = (sz + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (a == NULL || a->cap - a->used < sz) {
		size_t cap = sz > ARENA_BLOCK ? sz : ARENA_BLOCK;
		a = malloc(sizeof(*a) + cap);
		if (a == NULL)
			return NULL;
		a->used = 0;
		a->cap = cap;
		a->next = *head;
		*head = a;
	}
	void *p = a->data + a->used;
	a->used += sz;
	return p;
}

static void arena_free(struct sproto_arena *a) {
	while (a) {
		struct sproto_arena *next = a->next;
		free(a);
		a = next;
	}
}

/* the struct reader, shared with the decoder */

int sproto_reader_init(struct sproto_reader *r, const uint8_t *buf, size_t sz) {
	if (sz < 2)
		return -1;
	r->nrecord = (int)sproto_u16(buf);
	if (sz - 2 < (size_t)r->nrecord * 2)
		return -1;
	r->record = buf + 2;
	r->next = 0;
	r->tag = -1;
	r->data = buf + 2 + (size_t)r->nrecord * 2;
	r->left = sz - 2 - (size_t)r->nrecord * 2;
	return 0;
}

int sproto_reader_next(struct sproto_reader *r, struct sproto_value *v) {
	while (r->next < r->nrecord) {
		uint32_t rec = sproto_u16(r->record + 2 * r->next++);
		r->tag++;
		if (rec & 1) {
			r->tag += (int)(rec / 2);
			continue;
		}
		v->tag = r->tag;
		v->is_inline = rec != 0;
		v->blob = NULL;
		v->len = 0;
		if (v->is_inline) {
			v->number = rec / 2 - 1;
			return 1;
		}
		if (r->left < 4)
			return -1;
		v->len = sproto_u32(r->data);
		if (r->left - 4 < v->len)
			return -1;
		v->blob = r->data + 4;
		r->data += 4 + (size_t)v->len;
		r->left -= 4 + (size_t)v->len;
		return 1;
	}
	return 0;
}

/* import */

struct loader {
	struct sproto *sp;
	struct sproto_arena *arena;
};

/* number of length-prefixed elements in an array blob, -1 when malformed */
static int count_elements(const uint8_t *p, size_t sz) {
	int n = 0;
	while (sz > 0) {
		if (sz < 4 || sz - 4 < sproto_u32(p))
			return -1;
		size_t step = 4 + (size_t)sproto_u32(p);
		p += step;
		sz -= step;
		n++;
	}
	return n;
}

/* the next element of an array blob (count_elements has checked the lengths) */
static const uint8_t *next_element(const uint8_t **p, uint32_t *len) {
	const uint8_t *elem = *p + 4;
	*len = sproto_u32(*p);
	*p = elem + *len;
	return elem;
}

static const char *import_string(struct loader *ld, const struct sproto_value *v) {
	if (v->is_inline)
		return NULL;
	char *s = arena_alloc(&ld->arena, (size_t)v->len + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, v->blob, v->len);
	s[v->len] = '\0';
	return s;
}

/* record 2 of a field: decimal digits, the string subtype or a type index */
static int import_field_type(struct loader *ld, struct sproto_field *f, uint32_t n, bool kind_set) {
	if (kind_set && f->kind == SPROTO_INTEGER) {
		if (n > MAX_DECIMAL_DIGITS)
			return -1;
		f->decimal = 1;
		while (n-- > 0)
			f->decimal *= 10;
		return 0;
	}
	if (kind_set && f->kind == SPROTO_STRING) {
		f->binary = n == 1;
		return 0;
	}
	if (kind_set || n >= (uint32_t)ld->sp->ntype)
		return -1;
	f->kind = SPROTO_STRUCT;
	f->sub = &ld->sp->type[n];
	return 0;
}

static int import_field(struct loader *ld, struct sproto_field *f, const uint8_t *buf, uint32_t sz) {
	struct sproto_reader r;
	struct sproto_value v;
	bool kind_set = false, has_key = false;
	int st;
	memset(f, 0, sizeof(*f));
	f->tag = -1;
	f->key = -1;
	if (sproto_reader_init(&r, buf, sz) < 0)
		return -1;
	while ((st = sproto_reader_next(&r, &v)) > 0) {
		if (v.tag == 0) {
			if ((f->name = import_string(ld, &v)) == NULL)
				return -1;
			continue;
		}
		if (!v.is_inline)
			return -1;
		switch (v.tag) {
		case 1:
			if (v.number >= SPROTO_STRUCT)
				return -1;
			f->kind = (enum sproto_kind)v.number;
			kind_set = true;
			break;
		case 2:
			if (import_field_type(ld, f, v.number, kind_set) < 0)
				return -1;
			kind_set = true;
			break;
		case 3: f->tag = (int)v.number; break;
		case 4: f->array = v.number != 0; break;
		case 5: f->key = (int)v.number; has_key = true; break;
		case 6: f->map = v.number != 0; break;
		default: return -1;
		}
	}
	if (st < 0 || f->name == NULL || f->tag < 0 || !kind_set)
		return -1;
	/* a main index or a map needs an array of structs */
	if ((has_key || f->map) && !(f->array && f->kind == SPROTO_STRUCT && has_key))
		return -1;
	return 0;
}

static int import_fields(struct loader *ld, struct sproto_type *t, const uint8_t *p, uint32_t sz) {
	int n = count_elements(p, sz);
	if (n <= 0)
		return n;
	t->field = arena_alloc(&ld->arena, sizeof(struct sproto_field) * (size_t)n);
	if (t->field == NULL)
		return -1;
	int last = -1;
	t->maxrecords = n;
	for (int i = 0; i < n; i++) {
		uint32_t len;
		const uint8_t *elem = next_element(&p, &len);
		struct sproto_field *f = &t->field[i];
		if (import_field(ld, f, elem, len) < 0 || f->tag <= last)
			return -1;
		if (f->tag > last + 1)
			t->maxrecords++; /* a skip record before this field */
		last = f->tag;
	}
	if (t->maxrecords > 0xffff)
		return -1;
	t->nfield = n;
	t->base = t->field[n - 1].tag - t->field[0].tag + 1 == n ? t->field[0].tag : -1;
	return 0;
}

static int import_type(struct loader *ld, struct sproto_type *t, const uint8_t *buf, uint32_t sz) {
	struct sproto_reader r;
	struct sproto_value v;
	int st;
	memset(t, 0, sizeof(*t));
	t->base = -1;
	if (sproto_reader_init(&r, buf, sz) < 0)
		return -1;
	while ((st = sproto_reader_next(&r, &v)) > 0) {
		if (v.is_inline)
			return -1;
		if (v.tag == 0) {
			if ((t->name = import_string(ld, &v)) == NULL)
				return -1;
		} else if (v.tag == 1) {
			if (import_fields(ld, t, v.blob, v.len) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return st < 0 || t->name == NULL ? -1 : 0;
}

static int import_protocol(struct loader *ld, struct sproto_protocol *p, const uint8_t *buf, uint32_t sz) {
	struct sproto_reader r;
	struct sproto_value v;
	int st;
	memset(p, 0, sizeof(*p));
	p->tag = -1;
	if (sproto_reader_init(&r, buf, sz) < 0)
		return -1;
	while ((st = sproto_reader_next(&r, &v)) > 0) {
		if (v.tag == 0) {
			if ((p->name = import_string(ld, &v)) == NULL)
				return -1;
			continue;
		}
		if (!v.is_inline)
			return -1;
		switch (v.tag) {
		case 1: p->tag = (int)v.number; break;
		case 2:
		case 3:
			if (v.number >= (uint32_t)ld->sp->ntype)
				return -1;
			p->type[v.tag - 2] = &ld->sp->type[v.number];
			break;
		case 4: p->confirm = v.number != 0; break;
		default: return -1;
		}
	}
	return st < 0 || p->name == NULL || p->tag < 0 ? -1 : 0;
}

static int compare_protocol(const void *a, const void *b) {
	const struct sproto_protocol *x = a, *y = b;
	return (x->tag > y->tag) - (x->tag < y->tag);
}

/* after every type is known: a map's struct must have its key and value fields */
static int check_maps(const struct sproto *sp) {
	for (int i = 0; i < sp->ntype; i++) {
		const struct sproto_type *t = &sp->type[i];
		for (int j = 0; j < t->nfield; j++) {
			if (t->field[j].map && t->field[j].sub->nfield < 2)
				return -1;
		}
	}
	return 0;
}

/* allocates an array for the elements of a group's blob; returns their count or -1 */
static int alloc_elements(struct loader *ld, const struct sproto_value *v, size_t elemsz, void **out) {
	if (v->is_inline)
		return -1;
	int n = count_elements(v->blob, v->len);
	if (n > 0 && (*out = arena_alloc(&ld->arena, elemsz * (size_t)n)) == NULL)
		return -1;
	return n;
}

static int import_group(struct loader *ld, const uint8_t *buf, size_t sz) {
	struct sproto_reader r;
	struct sproto_value v, types = { 0 }, protocols = { 0 };
	struct sproto *sp = ld->sp;
	int st;
	if (sproto_reader_init(&r, buf, sz) < 0)
		return -1;
	while ((st = sproto_reader_next(&r, &v)) > 0) {
		if (v.tag == 0)
			types = v;
		else if (v.tag == 1)
			protocols = v;
		else
			return -1;
	}
	if (st < 0)
		return -1;
	if (types.blob && (sp->ntype = alloc_elements(ld, &types, sizeof(*sp->type), (void **)&sp->type)) < 0)
		return -1;
	if (protocols.blob && (sp->nprotocol = alloc_elements(ld, &protocols, sizeof(*sp->protocol), (void **)&sp->protocol)) < 0)
		return -1;
	const uint8_t *p = types.blob;
	for (int i = 0; i < sp->ntype; i++) {
		uint32_t len;
		const uint8_t *elem = next_element(&p, &len);
		if (import_type(ld, &sp->type[i], elem, len) < 0)
			return -1;
	}
	p = protocols.blob;
	for (int i = 0; i < sp->nprotocol; i++) {
		uint32_t len;
		const uint8_t *elem = next_element(&p, &len);
		if (import_protocol(ld, &sp->protocol[i], elem, len) < 0)
			return -1;
	}
	if (sp->nprotocol > 1)
		qsort(sp->protocol, (size_t)sp->nprotocol, sizeof(*sp->protocol), compare_protocol);
	for (int i = 1; i < sp->nprotocol; i++) {
		if (sp->protocol[i].tag == sp->protocol[i - 1].tag)
			return -1;
	}
	return check_maps(sp);
}

struct sproto *sproto_create(const void *bin, size_t sz) {
	struct loader ld = { NULL, NULL };
	ld.sp = arena_alloc(&ld.arena, sizeof(struct sproto));
	if (ld.sp == NULL)
		return NULL;
	memset(ld.sp, 0, sizeof(*ld.sp));
	if (import_group(&ld, bin, sz) < 0) {
		arena_free(ld.arena);
		return NULL;
	}
	ld.sp->arena = ld.arena;
	return ld.sp;
}

void sproto_release(struct sproto *sp) {
	if (sp)
		arena_free(sp->arena);
}

/* queries */

struct sproto_type *sproto_type(const struct sproto *sp, const char *name) {
	for (int i = 0; i < sp->ntype; i++) {
		if (strcmp(sp->type[i].name, name) == 0)
			return &sp->type[i];
	}
	return NULL;
}

const struct sproto_protocol *sproto_protocol_byname(const struct sproto *sp, const char *name) {
	for (int i = 0; i < sp->nprotocol; i++) {
		if (strcmp(sp->protocol[i].name, name) == 0)
			return &sp->protocol[i];
	}
	return NULL;
}

const struct sproto_protocol *sproto_protocol_bytag(const struct sproto *sp, int tag) {
	struct sproto_protocol key = { .tag = tag };
	if (sp->nprotocol == 0)
		return NULL;
	return bsearch(&key, sp->protocol, (size_t)sp->nprotocol, sizeof(key), compare_protocol);
}

static int compare_field(const void *a, const void *b) {
	const struct sproto_field *x = a, *y = b;
	return (x->tag > y->tag) - (x->tag < y->tag);
}

const struct sproto_field *sproto_field(const struct sproto_type *t, int tag) {
	if (t->base >= 0) {
		int i = tag - t->base;
		return i >= 0 && i < t->nfield ? &t->field[i] : NULL;
	}
	struct sproto_field key = { .tag = tag };
	if (t->nfield == 0)
		return NULL;
	return bsearch(&key, t->field, (size_t)t->nfield, sizeof(key), compare_field);
}
