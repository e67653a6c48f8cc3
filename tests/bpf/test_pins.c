// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The loader against what it finds pinned: maps of another build, an
 * adopt-and-attach without addresses, stale links, pin directories that
 * are not a bpffs, half-finished pins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "harness.h"

static char pin_dir[64];

static void pin_opts(struct pierce_dp_opts *o, struct pierce_local *addrs)
{
	t_local(&addrs[0], T_RELAY4);
	t_local(&addrs[1], T_RELAY6);
	*o = (struct pierce_dp_opts){ .pin_dir = pin_dir, .addrs = addrs, .n_addrs = 2, .port_min = T_PORT_MIN,
				      .port_count = T_PORTS };
}

static int create_pinned(const char *name, enum bpf_map_type type, __u32 key, __u32 value, __u32 max)
{
	char path[PATH_MAX];
	int fd = bpf_map_create(type, name, key, value, max, NULL), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	if (bpf_obj_pin(fd, path) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The five maps as this build makes them, but with cfg_value/stats_value
 * bytes of value; cfg filled with this ABI and garbage. */
static void pin_foreign_maps(__u32 cfg_value, __u32 stats_value)
{
	static uint8_t big[8192];
	char path[PATH_MAX];
	__u32 zero = 0, abi = PIERCE_ABI_VERSION;
	int fd;

	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(create_pinned(PIERCE_PIN_LEGS, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pierce_leg), 10), 0);
	assert_int_equal(create_pinned(PIERCE_PIN_CFG, BPF_MAP_TYPE_ARRAY, 4, cfg_value, 1), 0);
	assert_int_equal(create_pinned(PIERCE_PIN_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, 4, stats_value, 1), 0);
	assert_int_equal(create_pinned(PIERCE_PIN_SLOWPATH, BPF_MAP_TYPE_RINGBUF, 0, 0, PIERCE_SLOWPATH_BYTES), 0);
	assert_int_equal(create_pinned(PIERCE_PIN_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 64), 0);
	memset(big, 0x41, sizeof(big));
	memcpy(big, &abi, sizeof(abi));
	snprintf(path, sizeof(path), "%s/%s", pin_dir, PIERCE_PIN_CFG);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &zero, big, BPF_ANY), 0);
	close(fd);
}

/* Review item 3: a pinned cfg or stats map with a larger value is refused
 * before it is read (it used to be copied into a stack struct). */
static void test_foreign_pinned_maps_refused(void **state)
{
	struct pierce_dp_opts o = { .pin_dir = pin_dir, .adopt_only = true };
	struct pierce_local addrs[2];
	struct pierce_dp *dp = NULL;

	pin_foreign_maps(4096, sizeof(struct pierce_stats));
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -EPROTO);
	assert_null(dp);
	pin_opts(&o, addrs);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -EPROTO);
	assert_null(dp);

	pin_foreign_maps(sizeof(struct pierce_cfg), 4096);
	o = (struct pierce_dp_opts){ .pin_dir = pin_dir, .adopt_only = true };
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -EPROTO);
	assert_null(dp);
	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
}

static __u32 xdp_prog_id(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query((int)if_nametoindex(ifname), 0, &q))
		return 0;
	return q.prog_id;
}

static bool pinned(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return access(path, F_OK) == 0;
}

/* Review item 4: attaching another interface to the pinned data plane
 * without repeating its addresses (piercectl attach IFNAME). */
static void test_attach_adopts_without_addresses(void **state)
{
	struct pierce_dp_opts o = { .pin_dir = pin_dir }, full;
	struct pierce_local addrs[2];
	struct pierce_dp *dp = NULL, *first = NULL;
	bool adopted = true;

	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(pierce_dp_open(&o, &dp, &adopted), -ENOENT); /* nothing to adopt */
	assert_null(dp);
	assert_false(pinned(PIERCE_PIN_LEGS));

	pin_opts(&full, addrs);
	assert_int_equal(pierce_dp_open(&full, &first, &adopted), 0);
	assert_false(adopted);
	assert_int_equal(pierce_dp_attach(first, "pd0", false), 0);
	pierce_dp_close(first);

	assert_int_equal(pierce_dp_open(&o, &dp, &adopted), 0);
	assert_true(adopted);
	assert_true(pierce_dp_prog_fd(dp) >= 0);
	assert_int_equal(pierce_dp_leg_count(dp), 2 * T_PORTS);
	assert_int_equal(pierce_dp_attach(dp, "pe0", false), 0);
	assert_true(pinned("link_pe0"));
	assert_true(xdp_prog_id("pe0") != 0);
	pierce_dp_close(dp);
	assert_true(xdp_prog_id("pe0") != 0); /* the pin holds it */
	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(xdp_prog_id("pe0"), 0);
	assert_int_equal(xdp_prog_id("pd0"), 0);
}

static __u32 pinned_link_prog(const char *name)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		info.prog_id = 0;
	close(fd);
	return info.prog_id;
}

static __u32 prog_id_of(struct pierce_dp *dp)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(pierce_dp_prog_fd(dp), &info, &len), 0);
	return info.id;
}

/* Review item 5: the interface was deleted and made again under the same
 * name; its pinned link is dead and attach must make a new one. Item 15:
 * an adopting handle puts its own program on a live pinned link. */
static void test_stale_link_and_program_swap(void **state)
{
	struct pierce_dp_opts o;
	struct pierce_local addrs[2];
	struct pierce_dp *dp = NULL, *dp2 = NULL;

	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(t_sh("ip link add pf0 type veth peer name pf1 && ip link set pf0 up && ip link set pf1 up"), 0);
	pin_opts(&o, addrs);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), 0);
	assert_int_equal(pierce_dp_attach(dp, "pf0", false), 0);
	assert_int_equal(xdp_prog_id("pf0"), prog_id_of(dp));

	/* a second handle (a restarted relay) loads its program: the link runs it */
	assert_int_equal(pierce_dp_open(&o, &dp2, NULL), 0);
	assert_int_not_equal(prog_id_of(dp2), prog_id_of(dp));
	assert_int_equal(pierce_dp_attach(dp2, "pf0", false), 0);
	assert_int_equal(xdp_prog_id("pf0"), prog_id_of(dp2));
	assert_int_equal(pinned_link_prog("link_pf0"), prog_id_of(dp2));
	pierce_dp_close(dp);

	assert_int_equal(t_sh("ip link del pf0 && ip link add pf0 type veth peer name pf1 && "
			      "ip link set pf0 up && ip link set pf1 up"), 0);
	assert_int_equal(xdp_prog_id("pf0"), 0);
	assert_true(pinned("link_pf0")); /* the pin outlives the interface */
	assert_int_equal(pierce_dp_attach(dp2, "pf0", false), 0);
	assert_int_equal(xdp_prog_id("pf0"), prog_id_of(dp2));
	assert_true(pinned("link_pf0"));
	assert_int_equal(pierce_dp_detach(dp2, "pf0"), 0);
	assert_int_equal(xdp_prog_id("pf0"), 0);
	pierce_dp_close(dp2);
	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(t_sh("ip link del pf0"), 0);
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Review item 6: no bpffs is mounted over a directory that has files, and
 * read-only commands (adopt_only) mount nothing at all. */
static void test_no_bpffs_over_a_used_directory(void **state)
{
	struct pierce_dp_opts o = { .adopt_only = true };
	struct pierce_local addrs[2];
	struct pierce_dp *dp = NULL;
	char dir[80], file[96], empty[80];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/pierce-shadow-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/data.txt", dir);
	snprintf(empty, sizeof(empty), "/tmp/pierce-empty-%d", (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("important\n", f);
	fclose(f);

	o.pin_dir = dir;
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -ENOENT);
	assert_false(is_bpffs(dir));
	assert_int_equal(access(file, R_OK), 0);
	assert_int_equal(pierce_dp_ensure_bpffs(dir), -ENOTEMPTY);
	pin_opts(&o, addrs);
	o.pin_dir = dir;
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -ENOTEMPTY);
	assert_false(is_bpffs(dir));
	assert_int_equal(access(file, R_OK), 0);

	/* adopt_only on a directory that does not exist creates nothing */
	o = (struct pierce_dp_opts){ .pin_dir = empty, .adopt_only = true };
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -ENOENT);
	assert_int_not_equal(access(empty, F_OK), 0);
	/* an empty directory gets its bpffs */
	assert_int_equal(mkdir(empty, 0700), 0);
	assert_int_equal(pierce_dp_ensure_bpffs(empty), 0);
	assert_true(is_bpffs(empty));
	assert_int_equal(umount(empty), 0);
	assert_int_equal(rmdir(empty), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void unpin(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	assert_int_equal(unlink(path), 0);
}

/* Review item 15: legs pinned but not cfg (a start that died while
 * pinning) used to block every later start with "other addresses or
 * ports"; now the partial pin is cleared. With links pinned it is refused
 * with its own error. */
static void test_partial_pin_recovered(void **state)
{
	struct pierce_dp_opts o;
	struct pierce_local addrs[2];
	struct pierce_dp *dp = NULL;
	bool adopted = true;

	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	pin_opts(&o, addrs);
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), 0);
	pierce_dp_close(dp);
	unpin(PIERCE_PIN_CFG);
	assert_int_equal(pierce_dp_open(&o, &dp, &adopted), 0);
	assert_false(adopted);
	assert_true(pinned(PIERCE_PIN_CFG) && pinned(PIERCE_PIN_LEGS));
	assert_int_equal(pierce_dp_attach(dp, "pd0", false), 0);
	pierce_dp_close(dp);

	unpin(PIERCE_PIN_CFG); /* by hand, with a link in place */
	assert_int_equal(pierce_dp_open(&o, &dp, NULL), -ESTALE);
	assert_null(dp);
	assert_true(pinned("link_pd0"));
	assert_int_equal(pierce_dp_unpin_all(pin_dir), 0);
	assert_int_equal(xdp_prog_id("pd0"), 0);
}

static int setup(void **state)
{
	(void)state;
	if (t_netns_setup())
		return -1;
	snprintf(pin_dir, sizeof(pin_dir), "/tmp/pierce-pins-%d", (int)getpid());
	if (mkdir(pin_dir, 0700) < 0 || mount("bpf", pin_dir, "bpf", 0, "mode=0700") < 0) {
		perror("FAIL: bpffs for the test");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pierce_dp_unpin_all(pin_dir);
	umount(pin_dir);
	rmdir(pin_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreign_pinned_maps_refused),
		cmocka_unit_test(test_attach_adopts_without_addresses),
		cmocka_unit_test(test_stale_link_and_program_swap),
		cmocka_unit_test(test_no_bpffs_over_a_used_directory),
		cmocka_unit_test(test_partial_pin_recovered),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
