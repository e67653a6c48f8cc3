// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay/reserve_ports.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
}

static void test_reserve_and_restore_empty(void **state)
{
	char path[] = "/tmp/pierce-reserve-XXXXXX", buf[256];
	struct port_reservation r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	put(path, "\n");
	assert_int_equal(ports_reserve(&r, path, 30000, 40000), 0);
	get(path, buf, sizeof(buf));
	assert_string_equal(buf, "30000-40000\n");
	assert_int_equal(ports_unreserve(&r), 0);
	/* an empty list is written back as a newline: a zero-byte write to a
	 * sysctl would leave the range reserved */
	get(path, buf, sizeof(buf));
	assert_string_equal(buf, "\n");
	unlink(path);
}

static void test_reserve_keeps_existing(void **state)
{
	char path[] = "/tmp/pierce-reserve-XXXXXX", buf[256];
	struct port_reservation r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	put(path, "100-200\n");
	assert_int_equal(ports_reserve(&r, path, 30000, 30999), 0);
	get(path, buf, sizeof(buf));
	assert_string_equal(buf, "100-200,30000-30999\n");
	assert_int_equal(ports_unreserve(&r), 0);
	get(path, buf, sizeof(buf));
	assert_string_equal(buf, "100-200\n");
	/* a range a predecessor left reserved is kept, and not removed on exit */
	put(path, "30000-30999\n");
	assert_int_equal(ports_reserve(&r, path, 30000, 30999), 0);
	assert_int_equal(ports_unreserve(&r), 0);
	get(path, buf, sizeof(buf));
	assert_string_equal(buf, "30000-30999\n");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_and_restore_empty),
		cmocka_unit_test(test_reserve_keeps_existing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
