// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bencode: decode any bytes; what decodes must encode back to exactly the
 * input (the decoder accepts only canonical integers and lengths and keeps
 * key order), and the typed lookups must stay inside the tree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "fuzz_util.h"

#define NODES 1024

static void encode(struct bencode_buf *b, const struct bencode_node *n)
{
	switch (n->type) {
	case BENCODE_INT:
		bencode_put_int(b, n->num);
		break;
	case BENCODE_STR:
		bencode_put_str(b, n->str, n->len);
		break;
	case BENCODE_LIST:
	case BENCODE_DICT: {
		size_t members = 0;

		if (n->type == BENCODE_LIST)
			bencode_put_list(b);
		else
			bencode_put_dict(b);
		for (const struct bencode_node *m = n->child; m; m = m->next) {
			if (n->type == BENCODE_DICT)
				bencode_put_str(b, m->key, m->key_len);
			encode(b, m);
			members++;
		}
		FUZZ_CHECK(members == n->len, "container len %zu, %zu members", n->len, members);
		bencode_put_end(b);
		break;
	}
	default:
		FUZZ_CHECK(0, "node type %d", (int)n->type);
	}
}

/* Every lookup helper on every dictionary, with each of its own keys. */
static void lookups(const struct bencode_node *n)
{
	if (n->type == BENCODE_DICT) {
		for (const struct bencode_node *m = n->child; m; m = m->next) {
			char key[64], out[32];
			size_t len;
			long long v;

			if (m->key_len >= sizeof(key) || memchr(m->key, 0, m->key_len))
				continue;
			memcpy(key, m->key, m->key_len);
			key[m->key_len] = '\0';
			FUZZ_CHECK(bencode_dict_get(n, key) != NULL, "own key not found");
			if (bencode_dict_get_str(n, key, &len))
				FUZZ_CHECK(len <= SIZE_MAX / 2, "string length");
			if (bencode_dict_get_strz(n, key, out, sizeof(out)) == 0)
				FUZZ_CHECK(strlen(out) < sizeof(out), "strz not terminated");
			(void)bencode_dict_get_int(n, key, &v);
			(void)bencode_str_eq(m, "offer");
			(void)bencode_str_caseeq(m, "OFFER");
		}
	}
	if (n->type == BENCODE_LIST || n->type == BENCODE_DICT)
		for (const struct bencode_node *m = n->child; m; m = m->next)
			lookups(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bencode_node nodes[NODES];
	struct bencode_tree t = { .nodes = nodes, .cap = NODES };
	struct bencode_node *root = NULL;
	struct bencode_buf b;
	/* an exact-size copy: ASan sees any read past the end */
	char *in = fuzz_dup(data, size);
	int err = bencode_decode(&t, in, size, &root);

	FUZZ_CHECK(err == 0 || err == -EINVAL || err == -E2BIG || err == -ELOOP, "decode returned %d", err);
	FUZZ_CHECK(bencode_strerror(err) != NULL, "no error text");
	if (err)
		goto out;
	FUZZ_CHECK(root && t.used <= NODES, "root %p, %zu nodes", (void *)root, t.used);
	lookups(root);
	bencode_buf_init(&b, 1 << 20);
	encode(&b, root);
	FUZZ_CHECK(b.err == 0, "encode error %d", b.err);
	FUZZ_CHECK(b.len == size && memcmp(b.data, in, size) == 0,
		   "re-encoding differs from the input (%zu vs %zu bytes)", b.len, size);
	bencode_buf_free(&b);
	/* the encoder's size limit is a hard bound */
	bencode_buf_init(&b, size / 2);
	encode(&b, root);
	FUZZ_CHECK(size / 2 >= size || b.err != 0 || b.len <= size / 2, "limit %zu passed: %zu", size / 2, b.len);
	FUZZ_CHECK(b.len <= size / 2, "buffer grew past its limit: %zu > %zu", b.len, size / 2);
	bencode_buf_free(&b);
out:
	free(in);
	return 0;
}
