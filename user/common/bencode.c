// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "bencode.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cursor {
	const char *p;
	const char *end;
	struct bencode_tree *t;
	unsigned max_depth;
};

static struct bencode_node *node_new(struct cursor *c, enum bencode_type type)
{
	struct bencode_node *n;

	if (c->t->used >= c->t->cap)
		return NULL;
	n = &c->t->nodes[c->t->used++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

/* Decimal digits up to `stop`; no sign, no leading zeros (bencode's rule). */
static int parse_digits(struct cursor *c, char stop, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p != stop) {
		if (*c->p < '0' || *c->p > '9')
			return -EINVAL;
		if (v > (max - (unsigned)(*c->p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*c->p - '0');
		c->p++;
	}
	if (c->p == c->end || c->p == start)
		return -EINVAL;
	if (*start == '0' && c->p - start > 1)
		return -EINVAL;
	c->p++; /* the stop character */
	*out = v;
	return 0;
}

static int parse_int(struct cursor *c, long long *out)
{
	unsigned long long v;
	bool neg = false;
	int err;

	c->p++; /* 'i' */
	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	err = parse_digits(c, 'e', neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX, &v);
	if (err)
		return err;
	if (neg && v == 0)
		return -EINVAL; /* "i-0e" */
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static int parse_str(struct cursor *c, const char **s, size_t *len)
{
	unsigned long long v;
	int err = parse_digits(c, ':', SIZE_MAX, &v);

	if (err)
		return err;
	if (v > (unsigned long long)(c->end - c->p))
		return -EINVAL;
	*s = c->p;
	*len = (size_t)v;
	c->p += v;
	return 0;
}

static int parse_value(struct cursor *c, unsigned depth, struct bencode_node **out)
{
	struct bencode_node *n, **tail;
	int err;

	if (c->p >= c->end)
		return -EINVAL;
	if (depth >= c->max_depth)
		return -ELOOP;
	switch (*c->p) {
	case 'i':
		if (!(n = node_new(c, BENCODE_INT)))
			return -E2BIG;
		err = parse_int(c, &n->num);
		break;
	case 'l':
	case 'd':
		if (!(n = node_new(c, *c->p == 'l' ? BENCODE_LIST : BENCODE_DICT)))
			return -E2BIG;
		c->p++;
		tail = &n->child;
		err = 0;
		while (!err) {
			const char *key = NULL;
			size_t key_len = 0;

			if (c->p >= c->end) {
				err = -EINVAL;
				break;
			}
			if (*c->p == 'e') {
				c->p++;
				break;
			}
			if (n->type == BENCODE_DICT) {
				if (*c->p < '0' || *c->p > '9') {
					err = -EINVAL;
					break;
				}
				err = parse_str(c, &key, &key_len);
				if (err)
					break;
			}
			err = parse_value(c, depth + 1, tail);
			if (err)
				break;
			(*tail)->key = key;
			(*tail)->key_len = key_len;
			tail = &(*tail)->next;
			n->len++;
		}
		break;
	default:
		if (*c->p < '0' || *c->p > '9')
			return -EINVAL;
		if (!(n = node_new(c, BENCODE_STR)))
			return -E2BIG;
		err = parse_str(c, &n->str, &n->len);
		break;
	}
	if (err)
		return err;
	*out = n;
	return 0;
}

int bencode_decode(struct bencode_tree *t, const char *buf, size_t len, struct bencode_node **root)
{
	struct cursor c = {
		.p = buf, .end = buf + len, .t = t,
		.max_depth = t->max_depth ? t->max_depth : BENCODE_MAX_DEPTH_DEFAULT,
	};
	int err;

	t->used = 0;
	err = parse_value(&c, 0, root);
	if (!err && c.p != c.end)
		err = -EINVAL;
	return err;
}

const char *bencode_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case -E2BIG: return "too many bencode elements";
	case -ELOOP: return "bencode nested too deep";
	default: return "malformed bencode";
	}
}

const struct bencode_node *bencode_dict_get(const struct bencode_node *dict, const char *key)
{
	size_t klen = strlen(key);

	if (!dict || dict->type != BENCODE_DICT)
		return NULL;
	for (const struct bencode_node *n = dict->child; n; n = n->next)
		if (n->key_len == klen && !memcmp(n->key, key, klen))
			return n;
	return NULL;
}

const char *bencode_dict_get_str(const struct bencode_node *dict, const char *key, size_t *len)
{
	const struct bencode_node *n = bencode_dict_get(dict, key);

	if (!n || n->type != BENCODE_STR)
		return NULL;
	*len = n->len;
	return n->str;
}

int bencode_dict_get_strz(const struct bencode_node *dict, const char *key, char *out, size_t size)
{
	const struct bencode_node *n = bencode_dict_get(dict, key);

	if (!n)
		return -ENOENT;
	if (n->type != BENCODE_STR)
		return -EINVAL;
	if (n->len >= size)
		return -ENAMETOOLONG;
	if (memchr(n->str, '\0', n->len))
		return -EILSEQ;
	memcpy(out, n->str, n->len);
	out[n->len] = '\0';
	return 0;
}

int bencode_dict_get_int(const struct bencode_node *dict, const char *key, long long *out)
{
	const struct bencode_node *n = bencode_dict_get(dict, key);
	char tmp[24], *end;

	if (!n)
		return -ENOENT;
	if (n->type == BENCODE_INT) {
		*out = n->num;
		return 0;
	}
	if (n->type != BENCODE_STR || n->len == 0 || n->len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, n->str, n->len);
	tmp[n->len] = '\0';
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	return (errno || *end) ? -EINVAL : 0;
}

bool bencode_str_eq(const struct bencode_node *n, const char *s)
{
	size_t len = strlen(s);

	return n && n->type == BENCODE_STR && n->len == len && !memcmp(n->str, s, len);
}

bool bencode_str_caseeq(const struct bencode_node *n, const char *s)
{
	size_t len = strlen(s);

	return n && n->type == BENCODE_STR && n->len == len && !strncasecmp(n->str, s, len);
}

void bencode_buf_init(struct bencode_buf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void bencode_buf_init_fixed(struct bencode_buf *b, char *mem, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->data = mem;
	b->cap = size;
	b->limit = size;
	b->borrowed = true;
}

void bencode_buf_truncate(struct bencode_buf *b, size_t len)
{
	if (len < b->len)
		b->len = len;
	b->err = 0;
}

void bencode_buf_free(struct bencode_buf *b)
{
	if (!b->borrowed)
		free(b->data);
	memset(b, 0, sizeof(*b));
}

void bencode_put_raw(struct bencode_buf *b, const void *p, size_t len)
{
	if (b->err || !len)
		return;
	if (len > b->limit - b->len) {
		b->err = -E2BIG;
		return;
	}
	if (b->len + len > b->cap) { /* never for a borrowed buffer: cap == limit */
		size_t cap = b->cap ? b->cap : 256;
		char *d;

		while (cap < b->len + len)
			cap *= 2;
		if (cap > b->limit)
			cap = b->limit;
		d = realloc(b->data, cap);
		if (!d) {
			b->err = -ENOMEM;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

/* Decimal digits of v ending at end (no NUL); returns where they start.
 * Every string and integer goes through here: snprintf was a tenth of the
 * relay's ng time. */
static char *put_digits(char *end, unsigned long long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void bencode_put_str(struct bencode_buf *b, const void *s, size_t len)
{
	char hdr[24];
	char *start;

	hdr[sizeof(hdr) - 1] = ':';
	start = put_digits(hdr + sizeof(hdr) - 1, len);
	bencode_put_raw(b, start, (size_t)(hdr + sizeof(hdr) - start));
	bencode_put_raw(b, s, len);
}

void bencode_put_int(struct bencode_buf *b, long long v)
{
	char tmp[24];
	char *start;

	tmp[sizeof(tmp) - 1] = 'e';
	/* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
	start = put_digits(tmp + sizeof(tmp) - 1, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
	if (v < 0)
		*--start = '-';
	*--start = 'i';
	bencode_put_raw(b, start, (size_t)(tmp + sizeof(tmp) - start));
}

void bencode_put_list(struct bencode_buf *b) { bencode_put_raw(b, "l", 1); }
void bencode_put_dict(struct bencode_buf *b) { bencode_put_raw(b, "d", 1); }
void bencode_put_end(struct bencode_buf *b) { bencode_put_raw(b, "e", 1); }
