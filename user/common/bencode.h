/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bencode (the encoding of the rtpengine ng control protocol): a decoder
 * into a bounded tree whose strings point into the input buffer, and an
 * encoder into a growable buffer with a hard size limit.
 *
 * The decoder accepts dictionaries with unsorted keys (Kamailio sends them)
 * and keeps duplicate keys; lookups return the first.
 */
#ifndef PIERCE_BENCODE_H
#define PIERCE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BENCODE_MAX_DEPTH_DEFAULT 16

enum bencode_type { BENCODE_INT = 1, BENCODE_STR, BENCODE_LIST, BENCODE_DICT };

struct bencode_node {
	enum bencode_type type;
	const char *str;             /* STR: into the input, not NUL-terminated */
	size_t len;                  /* STR: bytes; LIST/DICT: members */
	long long num;               /* INT */
	const char *key;             /* set when this node is a dictionary value */
	size_t key_len;
	struct bencode_node *child;  /* LIST/DICT: first member */
	struct bencode_node *next;   /* next member of the enclosing container */
};

/* The caller owns the node pool; decoding never allocates. */
struct bencode_tree {
	struct bencode_node *nodes;
	size_t cap;
	size_t used;
	unsigned max_depth;          /* nesting levels; 0: BENCODE_MAX_DEPTH_DEFAULT */
};

/* Decodes exactly buf[0..len) (trailing bytes are an error).
 * -EINVAL malformed, -E2BIG more nodes than the pool, -ELOOP too deep. */
int bencode_decode(struct bencode_tree *t, const char *buf, size_t len, struct bencode_node **root);
const char *bencode_strerror(int err);

const struct bencode_node *bencode_dict_get(const struct bencode_node *dict, const char *key);
/* A string value as pointer and length; NULL if absent or not a string. */
const char *bencode_dict_get_str(const struct bencode_node *dict, const char *key, size_t *len);
/* Copies a string value NUL-terminated: -ENOENT absent, -EINVAL not a
 * string, -ENAMETOOLONG does not fit, -EILSEQ contains a NUL byte. */
int bencode_dict_get_strz(const struct bencode_node *dict, const char *key, char *out, size_t size);
/* An integer value, also accepted as a decimal string: -ENOENT, -EINVAL. */
int bencode_dict_get_int(const struct bencode_node *dict, const char *key, long long *out);
bool bencode_str_eq(const struct bencode_node *n, const char *s);
bool bencode_str_caseeq(const struct bencode_node *n, const char *s);

/* Encoder: errors are sticky, checked once at the end. */
struct bencode_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;                /* the buffer never grows past this */
	int err;                     /* 0 or -ENOMEM / -E2BIG */
	bool borrowed;               /* data is the caller's: never reallocated or freed */
};

void bencode_buf_init(struct bencode_buf *b, size_t limit);
/* Encodes into the caller's mem[0..size) (no allocation: a hot path's
 * reply buffer); past size is -E2BIG. bencode_buf_free leaves mem alone. */
void bencode_buf_init_fixed(struct bencode_buf *b, char *mem, size_t size);
/* Drops what was written after `len` and the sticky error, so a reply
 * part that failed or overflowed can be replaced by an error reply. */
void bencode_buf_truncate(struct bencode_buf *b, size_t len);
void bencode_buf_free(struct bencode_buf *b);
void bencode_put_raw(struct bencode_buf *b, const void *p, size_t len);
void bencode_put_str(struct bencode_buf *b, const void *s, size_t len);
/* Inline: with a string literal the compiler knows its length. */
static inline void bencode_put_cstr(struct bencode_buf *b, const char *s)
{
	bencode_put_str(b, s, strlen(s));
}

void bencode_put_int(struct bencode_buf *b, long long v);
void bencode_put_list(struct bencode_buf *b);
void bencode_put_dict(struct bencode_buf *b);
void bencode_put_end(struct bencode_buf *b);
/* Dictionary members: a key followed by its value. */
static inline void bencode_put_kv_str(struct bencode_buf *b, const char *key, const char *val)
{
	bencode_put_cstr(b, key);
	bencode_put_cstr(b, val);
}

static inline void bencode_put_kv_int(struct bencode_buf *b, const char *key, long long v)
{
	bencode_put_cstr(b, key);
	bencode_put_int(b, v);
}

#endif
