// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"

#define POOL 64
static struct bencode_node pool[POOL];

static int decode(const char *s, struct bencode_node **root)
{
	struct bencode_tree t = { .nodes = pool, .cap = POOL };

	return bencode_decode(&t, s, strlen(s), root);
}

static void test_unsorted_dict_and_lookup(void **state)
{
	/* Kamailio-style: keys out of order, an unknown key with a list value */
	const char *msg = "d7:command5:offer8:supportsl10:load limite7:call-id3:abc3:sdp4:v=0\n4:numsi-42ee";
	struct bencode_node *root;
	char buf[16];
	long long v;
	size_t len;
	const char *s;

	assert_int_equal(decode(msg, &root), 0);
	assert_int_equal(root->type, BENCODE_DICT);
	assert_int_equal(root->len, 5);
	assert_true(bencode_str_eq(bencode_dict_get(root, "command"), "offer"));
	s = bencode_dict_get_str(root, "sdp", &len);
	assert_non_null(s);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "v=0\n", 4);
	assert_int_equal(bencode_dict_get_strz(root, "call-id", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(bencode_dict_get_strz(root, "call-id", buf, 3), -ENAMETOOLONG);
	assert_int_equal(bencode_dict_get_strz(root, "missing", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(bencode_dict_get_strz(root, "supports", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(bencode_dict_get_int(root, "nums", &v), 0);
	assert_int_equal(v, -42);
	assert_null(bencode_dict_get(root, "call"));
	assert_int_equal(bencode_dict_get(root, "supports")->len, 1);
	assert_true(bencode_str_eq(bencode_dict_get(root, "supports")->child, "load limit"));
}

static void test_int_as_string(void **state)
{
	struct bencode_node *root;
	long long v;

	assert_int_equal(decode("d3:TOS3:184e", &root), 0);
	assert_int_equal(bencode_dict_get_int(root, "TOS", &v), 0);
	assert_int_equal(v, 184);
	assert_int_equal(decode("d3:TOS3:18xe", &root), 0);
	assert_int_equal(bencode_dict_get_int(root, "TOS", &v), -EINVAL);
}

static void test_integers(void **state)
{
	struct bencode_node *root;

	assert_int_equal(decode("i0e", &root), 0);
	assert_int_equal(root->num, 0);
	assert_int_equal(decode("i9223372036854775807e", &root), 0);
	assert_true(root->num == 9223372036854775807LL);
	assert_int_equal(decode("i-9223372036854775808e", &root), 0);
	assert_true(root->num == (-9223372036854775807LL - 1));
	assert_int_equal(decode("i9223372036854775808e", &root), -EINVAL);
	assert_int_equal(decode("i-0e", &root), -EINVAL);
	assert_int_equal(decode("i03e", &root), -EINVAL);
	assert_int_equal(decode("ie", &root), -EINVAL);
	assert_int_equal(decode("i12", &root), -EINVAL);
	assert_int_equal(decode("i1x2e", &root), -EINVAL);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "x", "d", "l", "de3", "d3:abce", "di1ei2ee", "5:abc", "3abc", "03:abc",
		"d3:abc", "d3:abci1e", "le e", "i1ei2e", "-1:a", "99999999999999999999999:a",
		"d1:a1:be trailing", "l1:ae1",
	};
	struct bencode_node *root;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(decode(bad[i], &root), 0);
	/* embedded NUL inside a string is data, not an end */
	{
		struct bencode_tree t = { .nodes = pool, .cap = POOL };
		char buf[8];

		assert_int_equal(bencode_decode(&t, "d1:a3:x\0ye", 10, &root), 0);
		assert_int_equal(bencode_dict_get_strz(root, "a", buf, sizeof(buf)), -EILSEQ);
	}
}

static void test_limits(void **state)
{
	struct bencode_node small[3];
	struct bencode_tree t = { .nodes = small, .cap = 3 };
	struct bencode_tree deep = { .nodes = pool, .cap = POOL, .max_depth = 4 };
	struct bencode_node *root;
	char nest[64];

	assert_int_equal(bencode_decode(&t, "li1ei2ee", 8, &root), 0);
	assert_int_equal(bencode_decode(&t, "li1ei2ei3ee", 11, &root), -E2BIG);
	memset(nest, 'l', 20);
	memset(nest + 20, 'e', 20);
	assert_int_equal(bencode_decode(&deep, nest, 40, &root), -ELOOP);
	assert_int_equal(bencode_decode(&deep, nest + 16, 8, &root), 0); /* depth 4 */
	assert_int_equal(bencode_decode(&deep, nest + 15, 10, &root), -ELOOP);
	assert_string_equal(bencode_strerror(-E2BIG), "too many bencode elements");
}

static void test_encode_roundtrip(void **state)
{
	struct bencode_buf b;
	struct bencode_node *root;
	struct bencode_tree t = { .nodes = pool, .cap = POOL };

	bencode_buf_init(&b, 4096);
	bencode_put_dict(&b);
	bencode_put_kv_str(&b, "result", "ok");
	bencode_put_kv_int(&b, "created", -5);
	bencode_put_cstr(&b, "tags");
	bencode_put_list(&b);
	bencode_put_str(&b, "a\0b", 3);
	bencode_put_end(&b);
	bencode_put_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, strlen("d6:result2:ok7:createdi-5e4:tagsl3:a") + 4);
	assert_memory_equal(b.data, "d6:result2:ok7:createdi-5e4:tagsl3:a\0bee", b.len);
	assert_int_equal(bencode_decode(&t, b.data, b.len, &root), 0);
	assert_true(bencode_str_eq(bencode_dict_get(root, "result"), "ok"));
	bencode_buf_free(&b);
}

static void test_encode_numbers(void **state)
{
	static const char want[] = "i0ei7ei-1ei9223372036854775807ei-9223372036854775808e0:10:0123456789";
	struct bencode_buf b;
	struct bencode_node *root;
	struct bencode_tree t = { .nodes = pool, .cap = POOL };

	bencode_buf_init(&b, 4096);
	bencode_put_list(&b);
	bencode_put_int(&b, 0);
	bencode_put_int(&b, 7);
	bencode_put_int(&b, -1);
	bencode_put_int(&b, LLONG_MAX);
	bencode_put_int(&b, LLONG_MIN);
	bencode_put_str(&b, "", 0);
	bencode_put_cstr(&b, "0123456789");
	bencode_put_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, strlen(want) + 2);
	assert_memory_equal(b.data + 1, want, strlen(want));
	assert_int_equal(bencode_decode(&t, b.data, b.len, &root), 0);
	assert_int_equal(root->child->next->next->next->next->num, LLONG_MIN);
	bencode_buf_free(&b);
}

static void test_encode_limit(void **state)
{
	struct bencode_buf b;
	char big[300];

	memset(big, 'x', sizeof(big));
	bencode_buf_init(&b, 100);
	bencode_put_str(&b, big, sizeof(big));
	assert_int_equal(b.err, -E2BIG);
	bencode_put_cstr(&b, "x"); /* sticky */
	assert_int_equal(b.err, -E2BIG);
	assert_true(b.len <= 100);
	bencode_buf_free(&b);
}

/* The caller's buffer: filled in place, never grown past its size (ASan
 * would catch a write beyond mem), never freed; truncate takes back a part
 * and its error. */
static void test_encode_fixed(void **state)
{
	char *mem = malloc(16);
	struct bencode_buf b;
	size_t mark;

	assert_non_null(mem);
	bencode_buf_init_fixed(&b, mem, 16);
	bencode_put_dict(&b);
	mark = b.len;
	bencode_put_kv_str(&b, "result", "ok");
	assert_int_equal(b.err, 0);
	assert_ptr_equal(b.data, mem);
	bencode_put_kv_str(&b, "error-reason", "too long for the buffer");
	assert_int_equal(b.err, -E2BIG);
	assert_true(b.len <= 16);
	bencode_buf_truncate(&b, mark);
	assert_int_equal(b.err, 0);
	bencode_put_kv_int(&b, "n", 1);
	bencode_put_end(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(mem, "d1:ni1ee", 8);
	bencode_buf_free(&b); /* leaves mem to its owner */
	assert_null(b.data);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsorted_dict_and_lookup),
		cmocka_unit_test(test_int_as_string),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode_roundtrip),
		cmocka_unit_test(test_encode_numbers),
		cmocka_unit_test(test_encode_limit),
		cmocka_unit_test(test_encode_fixed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
