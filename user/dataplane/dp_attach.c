// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP attachment through bpf_links: native mode unless generic is asked
 * for, the link pinned as link_<ifname> so it outlives this process, and
 * the interface added to the devmap so other legs can redirect to it.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dp_internal.h"
#include "log.h"

static int link_pin_path(struct pierce_dp *dp, const char *ifname, char *path, size_t len)
{
	char name[IF_NAMESIZE + 8];

	snprintf(name, sizeof(name), PIERCE_PIN_LINK_FMT, ifname);
	return dp_pin_path(path, len, dp->pin_dir, name);
}

static const char *attach_hint(int err)
{
	switch (err) {
	case EBUSY:
	case EEXIST:
		return " (another XDP program is attached to it; detach that first)";
	case EOPNOTSUPP:
		return " (the driver has no native XDP; use generic mode)";
	case EINVAL:
		return " (the kernel or driver refused the mode or an XDP link)";
	default:
		return "";
	}
}

static int devmap_add(struct pierce_dp *dp, int ifindex)
{
	__u32 key = (__u32)ifindex, val = (__u32)ifindex;

	if (bpf_map_update_elem(dp->devmap_fd, &key, &val, BPF_ANY) < 0) {
		int err = -errno;

		log_err("dataplane: cannot add ifindex %d to the devmap: %s", ifindex, strerror(errno));
		return err;
	}
	return 0;
}

static struct dp_link *unpinned_link(struct pierce_dp *dp, int ifindex)
{
	for (size_t i = 0; i < DP_MAX_UNPINNED_LINKS; i++)
		if (dp->links[i].fd >= 0 && dp->links[i].ifindex == ifindex)
			return &dp->links[i];
	return NULL;
}

static int prog_id(int prog_fd, __u32 *id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	*id = info.id;
	return 0;
}

/* The link pinned at path: 1 when it is attached to ifindex (now running
 * this handle's program: an adopting relay brings its own build), 0 when
 * there is none or it is stale (its interface was deleted, maybe recreated
 * under the same name: it is unpinned), or -errno. */
static int pinned_link_live(struct pierce_dp *dp, const char *path, int ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info), id = 0;
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		err = -errno;
		goto out;
	}
	if (info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex != (__u32)ifindex) {
		log_warn("dataplane: %s is stale (attached to ifindex %u, the interface is %d now): attaching anew",
			 path, info.xdp.ifindex, ifindex);
		bpf_link_detach(fd); /* fails on a link already dead: fine */
		err = unlink(path) < 0 ? -errno : 0;
		goto out;
	}
	err = prog_id(dp->prog_fd, &id);
	if (err)
		goto out;
	if (info.prog_id != id && bpf_link_update(fd, dp->prog_fd, NULL) < 0) {
		err = -errno;
		log_err("dataplane: cannot put this program on %s: %s", path, strerror(errno));
		goto out;
	}
	err = 1;
out:
	close(fd);
	return err;
}

int pierce_dp_attach(struct pierce_dp *dp, const char *ifname, bool generic)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	int ifindex = (int)if_nametoindex(ifname);
	struct dp_link *slot = NULL;
	char path[PATH_MAX];
	int fd = -1, err;

	if (!ifindex)
		return -ENODEV;
	if (dp->prog_fd < 0)
		return -EOPNOTSUPP; /* a maps-only handle has no program */
	if (dp->pin_dir[0]) {
		err = link_pin_path(dp, ifname, path, sizeof(path));
		if (err)
			return err;
		err = pinned_link_live(dp, path, ifindex);
		if (err < 0)
			return err;
		if (err == 1)
			return devmap_add(dp, ifindex); /* adopted: keep the running link */
	} else {
		if (unpinned_link(dp, ifindex))
			return 0;
		for (size_t i = 0; i < DP_MAX_UNPINNED_LINKS && !slot; i++)
			if (dp->links[i].fd < 0)
				slot = &dp->links[i];
		if (!slot)
			return -ENOSPC;
	}
	fd = bpf_link_create(dp->prog_fd, ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		err = -errno;
		log_err("dataplane: cannot attach XDP (%s mode) to %s: %s%s", generic ? "generic" : "native", ifname,
			strerror(errno), attach_hint(errno));
		goto out;
	}
	err = devmap_add(dp, ifindex);
	if (err)
		goto out;
	if (dp->pin_dir[0]) {
		if (bpf_obj_pin(fd, path) < 0) {
			err = -errno;
			log_err("dataplane: cannot pin %s: %s", path, strerror(errno));
			goto out;
		}
	} else {
		slot->fd = fd;
		slot->ifindex = ifindex;
		fd = -1;
	}
	log_info("dataplane: XDP attached to %s (%s mode)", ifname, generic ? "generic" : "native");
out:
	if (fd >= 0)
		close(fd); /* pinned: the pin holds the link; on error: detaches */
	return err;
}

int pierce_dp_detach(struct pierce_dp *dp, const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);
	__u32 key = (__u32)ifindex;
	struct dp_link *l;
	char path[PATH_MAX];
	int fd, err = 0;

	if (!ifindex)
		return -ENODEV;
	if (dp->pin_dir[0]) {
		err = link_pin_path(dp, ifname, path, sizeof(path));
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0)
			return errno == ENOENT ? -ENOENT : -errno;
		if (bpf_link_detach(fd) < 0)
			err = -errno;
		close(fd);
		if (unlink(path) < 0 && !err)
			err = -errno;
	} else {
		l = unpinned_link(dp, ifindex);
		if (!l)
			return -ENOENT;
		close(l->fd);
		l->fd = -1;
	}
	if (dp->devmap_fd >= 0)
		bpf_map_delete_elem(dp->devmap_fd, &key); /* absent is fine */
	log_info("dataplane: XDP detached from %s", ifname);
	return err;
}
