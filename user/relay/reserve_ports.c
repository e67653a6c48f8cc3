// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "reserve_ports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int read_all(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int write_all(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return -errno;
	/* a newline always: writing zero bytes to a sysctl changes nothing, so an
	 * empty list could never be restored */
	if (fputs(text, f) < 0 || fputc('\n', f) == EOF)
		err = -EIO;
	if (fclose(f) != 0 && !err)
		err = -errno;
	return err;
}

int ports_reserve(struct port_reservation *r, const char *path, uint16_t min, uint16_t max)
{
	char range[16], text[sizeof(r->saved) + 32];
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", path);
	err = read_all(path, r->saved, sizeof(r->saved));
	if (err)
		goto out;
	snprintf(range, sizeof(range), "%u-%u", min, max);
	if (strstr(r->saved, range)) /* a predecessor reserved it (and we keep it) */
		return 0;
	snprintf(text, sizeof(text), "%s%s%s", r->saved, r->saved[0] ? "," : "", range);
	err = write_all(path, text);
	if (!err) {
		r->changed = true;
		log_info("reserved ports %s from the kernel's ephemeral range (%s)", range, path);
	}
out:
	if (err)
		log_warn("cannot reserve relay ports in %s: %s; local sockets may take relay ports", path,
			 strerror(-err));
	return err;
}

int ports_unreserve(struct port_reservation *r)
{
	int err;

	if (!r->changed)
		return 0;
	err = write_all(r->path, r->saved);
	if (err)
		log_warn("cannot restore %s: %s", r->path, strerror(-err));
	r->changed = false;
	return err;
}
