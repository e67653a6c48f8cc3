// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pin directory: making sure it is on a bpffs, and emptying it. */
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dp_internal.h"
#include "log.h"

static bool dp_pin_private;

bool pierce_dp_pin_private(void)
{
	return dp_pin_private;
}

int dp_pin_path(char *buf, size_t len, const char *pin_dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static bool on_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == magic;
}

bool dp_on_bpffs(const char *path)
{
	return on_fs(path, BPF_FS_MAGIC);
}

static int mount_bpffs(const char *dir)
{
	if (mount("bpf", dir, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		log_err("dataplane: cannot mount bpffs at %s: %s", dir, strerror(errno));
		return err;
	}
	log_info("dataplane: mounted a bpffs at %s", dir);
	return 0;
}

/* mkdir -p; the last component only is created with mode 0700. */
static int make_dirs(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool dir_is_empty(const char *path)
{
	struct dirent *de;
	bool empty = true;
	DIR *dir = opendir(path);

	if (!dir)
		return false;
	while (empty && (de = readdir(dir)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(dir);
	return empty;
}

int pierce_dp_ensure_bpffs(const char *pin_dir)
{
	char parent[PATH_MAX];
	char *slash;
	int err;

	if (!pin_dir || !pin_dir[0])
		return -EINVAL;
	err = make_dirs(pin_dir);
	if (err == 0) {
		if (on_fs(pin_dir, BPF_FS_MAGIC))
			return 0;
		/* a bpffs mounted over a directory with files would hide them */
		if (strcmp(pin_dir, PIERCE_PIN_DIR_DEFAULT) && !dir_is_empty(pin_dir)) {
			log_err("dataplane: %s is not a bpffs and not empty: will not mount one over it", pin_dir);
			return -ENOTEMPTY;
		}
		return mount_bpffs(pin_dir);
	}
	/* `ip netns exec` remounts /sys: /sys/fs/bpf is then a bare sysfs
	 * directory where nothing can be created. Give it a bpffs. */
	if (strlen(pin_dir) >= sizeof(parent))
		return -ENAMETOOLONG;
	strcpy(parent, pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0'; /* the parent is what must be a bare sysfs directory */
	if (!slash || slash == parent || !on_fs(parent, SYSFS_MAGIC)) {
		log_err("dataplane: cannot create pin dir %s: %s", pin_dir, strerror(-err));
		return err;
	}
	err = mount_bpffs(parent);
	if (err)
		return err;
	/* this bpffs dies with the mount namespace (`ip netns exec` makes one per
	 * command), and with it the pinned maps and XDP link */
	dp_pin_private = true;
	log_warn("dataplane: the bpffs mounted at %s is private to this mount namespace: what is pinned "
		 "there goes away with it; use --pin-dir on a bpffs mounted outside /sys", parent);
	err = make_dirs(pin_dir);
	if (err)
		log_err("dataplane: cannot create pin dir %s: %s", pin_dir, strerror(-err));
	return err;
}

bool dp_has_links(const char *pin_dir)
{
	struct dirent *de;
	bool found = false;
	DIR *dir = opendir(pin_dir);

	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = !strncmp(de->d_name, "link_", 5);
	closedir(dir);
	return found;
}

int pierce_dp_unpin_all(const char *pin_dir)
{
	static const char *const maps[] = { PIERCE_PIN_LEGS, PIERCE_PIN_CFG, PIERCE_PIN_STATS,
					    PIERCE_PIN_SLOWPATH, PIERCE_PIN_DEVMAP };
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0, fd;
	DIR *dir;

	if (!pin_dir)
		pin_dir = PIERCE_PIN_DIR_DEFAULT;
	if (!pin_dir[0])
		return 0;
	dir = opendir(pin_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	/* Links first: detaching stops the traffic before the maps go. */
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "link_", 5) || dp_pin_path(path, sizeof(path), pin_dir, de->d_name))
			continue;
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_link_detach(fd) < 0)
				log_warn("dataplane: detach %s: %s", path, strerror(errno));
			close(fd);
		}
		if (unlink(path) < 0 && !err)
			err = -errno;
	}
	closedir(dir);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		if (dp_pin_path(path, sizeof(path), pin_dir, maps[i]))
			continue;
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	return err;
}
