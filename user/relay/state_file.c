// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "state_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "log.h"
#include "relay/call_legs.h"
#include "sockaddr.h"

#define LINE_MAX_STATE 1024

static void put_hex(FILE *out, const char *s)
{
	if (!*s) {
		fputc('-', out);
		return;
	}
	for (; *s; s++)
		fprintf(out, "%02x", (unsigned char)*s);
}

static int get_hex(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);

	if (!strcmp(in, "-")) {
		out[0] = '\0';
		return 0;
	}
	if (n % 2 || n / 2 >= size)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(in + 2 * i, "%2x", &v) != 1 || !v)
			return -EINVAL;
		out[i] = (char)v;
	}
	out[n / 2] = '\0';
	return 0;
}

static void put_addr(FILE *out, const union call_addr *a)
{
	char buf[SA_STR_MAX];
	struct sockaddr_storage st, *ss = &st;

	call_addr_get(a, ss);
	if (!ss->ss_family) {
		fputs(" -", out);
		return;
	}
	fprintf(out, " %s", sa_format_ip(ss, buf, sizeof(buf)));
	fprintf(out, "/%u", sa_port(ss));
}

static int get_addr(const char *in, struct sockaddr_storage *ss)
{
	char ip[SA_STR_MAX];
	const char *slash = strrchr(in, '/');
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(in, "-"))
		return 0;
	if (!slash || (size_t)(slash - in) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, in, (size_t)(slash - in));
	ip[slash - in] = '\0';
	port = strtol(slash + 1, NULL, 10);
	if (port < 0 || port > 65535)
		return -EINVAL;
	return sa_parse_ip(ip, (uint16_t)port, ss);
}

static int get_call_addr(const char *in, union call_addr *a)
{
	struct sockaddr_storage ss;
	int err = get_addr(in, &ss);

	if (!err)
		call_addr_set(a, &ss);
	return err;
}

/* An address as the legs map holds it, into a call's record. */
static void set_from_map(union call_addr *a, const struct pierce_addr *pa, uint8_t family, uint16_t port_be)
{
	struct sockaddr_storage ss;

	if (pierce_addr_to_sockaddr(pa, family, port_be, &ss))
		memset(&ss, 0, sizeof(ss));
	call_addr_set(a, &ss);
}

int state_file_write(struct relay *r, FILE *out, uint64_t now_ns)
{
	fprintf(out, "%s\n", STATE_FILE_MAGIC);
	for (struct call *c = r->calls.head; c; c = c->next) {
		if (c->state == CALL_ENDED)
			continue;
		fputs("call ", out);
		put_hex(out, c->call_id);
		fputc(' ', out);
		put_hex(out, call_tag(c, 0));
		fputc(' ', out);
		put_hex(out, call_tag(c, 1));
		fprintf(out, " %d %u %d %llu %u\n", c->state, c->policy, c->tos,
			(unsigned long long)relay_wallclock(r, c->created_ns), c->n_media);
		for (unsigned i = 0; i < c->n_media; i++) {
			const struct call_media *m = &c->media[i];

			fputs("media ", out);
			put_hex(out, m->type);
			fputc(' ', out);
			put_hex(out, m->proto);
			fprintf(out, " %d %u %u %u %u %u %u", m->disabled, m->port[0], m->port[1], m->addr[0], m->addr[1],
				m->dest_rtcp[0], m->dest_rtcp[1]);
			for (int s = 0; s < 2; s++)
				put_addr(out, &m->dest[s]);
			for (int s = 0; s < 2; s++)
				put_addr(out, &m->allow[s]);
			fprintf(out, " %u\n", (unsigned)m->closed[0] | (unsigned)m->closed[1] << 1);
		}
	}
	return ferror(out) ? -EIO : 0;
}

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int state_file_save(struct relay *r, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int err;

	if (!path[0])
		return 0;
	err = mkdir_parent(path);
	if (err)
		goto out;
	/* per writer: a background writer and the exit-time one never share it */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		goto out;
	}
	err = state_file_write(r, f, 0);
	if (fclose(f) != 0 && !err)
		err = -errno;
	f = NULL;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
out:
	if (err)
		log_warn("state file %s: %s (restart adoption will lose Call-IDs)", path, strerror(-err));
	return err;
}

pid_t state_file_save_bg(struct relay *r, const char *path)
{
	pid_t pid;

	if (!path[0])
		return 0;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) /* the child writes its copy-on-write snapshot and goes */
		_exit(state_file_save(r, path) ? 1 : 0);
	return pid;
}

static bool leg_active(struct relay *r, unsigned addr, uint16_t port)
{
	struct pierce_leg leg;

	return port && addr < r->n_addrs && !r->dp.leg_get(r->dp.ctx, relay_leg_index(r, addr, port), &leg) &&
	       (leg.flags & PIERCE_LEG_ACTIVE);
}

/* A record without the closed mask (older files) closes the callee of a
 * call still waiting for its answer. */
static int parse_media(struct relay *r, const struct call *c, char *line, struct call_media *m)
{
	char type[64], proto[64], d0[80], d1[80], a0[80], a1[80];
	unsigned p0, p1, x0, x1, r0, r1, closed = c->state == CALL_OFFERED ? 2 : 0;
	int disabled, n;

	memset(m, 0, sizeof(*m));
	n = sscanf(line, "media %63s %63s %d %u %u %u %u %u %u %79s %79s %79s %79s %u", type, proto, &disabled, &p0,
		   &p1, &x0, &x1, &r0, &r1, d0, d1, a0, a1, &closed);
	if (n != 13 && n != 14)
		return -EINVAL;
	if (p0 > 65535 || p1 > 65535 || r0 > 65535 || r1 > 65535 || x0 >= r->n_addrs || x1 >= r->n_addrs ||
	    closed > 3)
		return -EINVAL;
	m->closed[0] = closed & 1;
	m->closed[1] = closed & 2;
	if (get_hex(type, m->type, sizeof(m->type)) || get_hex(proto, m->proto, sizeof(m->proto)) ||
	    get_call_addr(d0, &m->dest[0]) || get_call_addr(d1, &m->dest[1]) || get_call_addr(a0, &m->allow[0]) ||
	    get_call_addr(a1, &m->allow[1]))
		return -EINVAL;
	m->disabled = disabled != 0;
	m->port[0] = (uint16_t)p0;
	m->port[1] = (uint16_t)p1;
	m->addr[0] = (uint8_t)x0;
	m->addr[1] = (uint8_t)x1;
	m->dest_rtcp[0] = (uint16_t)r0;
	m->dest_rtcp[1] = (uint16_t)r1;
	/* only ports whose legs survived are taken back */
	for (int s = 0; s < 2; s++)
		if (m->port[s] && (!leg_active(r, m->addr[s], m->port[s]) || port_pool_claim(&r->ports[m->addr[s]], m->port[s])))
			m->port[s] = 0;
	return 0;
}

static int adopt_records(struct relay *r, FILE *in, uint64_t now_ns)
{
	char line[LINE_MAX_STATE];
	struct call *c = NULL;
	unsigned want_media = 0;
	int adopted = 0;

	if (!fgets(line, sizeof(line), in) || strncmp(line, STATE_FILE_MAGIC, strlen(STATE_FILE_MAGIC)))
		return -EINVAL;
	while (fgets(line, sizeof(line), in)) {
		char id[2 * CALL_ID_MAX + 2], t0[2 * CALL_TAG_MAX + 2], t1[2 * CALL_TAG_MAX + 2];
		char cid[CALL_ID_MAX + 1], tag[2][CALL_TAG_MAX + 1];
		unsigned long long created;
		int state, tos;
		unsigned policy, n;

		if (!strncmp(line, "media ", 6)) {
			if (!c || c->n_media >= want_media || parse_media(r, c, line, &c->media[c->n_media]))
				continue;
			c->n_media++;
			continue;
		}
		c = NULL;
		if (sscanf(line, "call %511s %255s %255s %d %u %d %llu %u", id, t0, t1, &state, &policy, &tos, &created,
			   &n) != 8 || n > RSDP_MAX_MEDIA || state < CALL_OFFERED || state > CALL_ANSWERED ||
		    get_hex(id, cid, sizeof(cid)) || !cid[0] || call_find(&r->calls, cid) ||
		    call_add(&r->calls, cid, now_ns, &c))
			continue;
		if (get_hex(t0, tag[0], sizeof(tag[0])) || get_hex(t1, tag[1], sizeof(tag[1])))
			tag[0][0] = tag[1][0] = '\0';
		if ((tag[0][0] && call_set_tag(c, 0, tag[0])) || (tag[1][0] && call_set_tag(c, 1, tag[1]))) {
			call_remove(&r->calls, c);
			c = NULL;
			continue;
		}
		c->state = (enum call_state)state;
		c->policy = (uint8_t)policy;
		c->tos = tos;
		c->legs_installed = true;
		if (created <= relay_wallclock(r, now_ns))
			c->created_ns = now_ns - (relay_wallclock(r, now_ns) - created) * NS_PER_SEC;
		want_media = call_media_reserve(c, n) ? 0 : n;
		adopted++;
	}
	return adopted;
}

/* Active legs no record speaks for: keep their ports booked as a call. */
static int adopt_orphans(struct relay *r, uint64_t now_ns)
{
	int adopted = 0;

	for (unsigned a = 0; a < r->n_addrs; a++) {
		for (uint32_t off = 0; off + 1 < r->port_count; off++) {
			uint16_t port = (uint16_t)(r->port_min + off);
			struct pierce_leg leg, peer;
			struct call_media *m;
			struct call *c;
			char id[48];
			uint32_t pi;
			uint16_t pport;
			unsigned paddr;

			if ((port & 1) || port_pool_in_use(&r->ports[a], port) ||
			    r->dp.leg_get(r->dp.ctx, relay_leg_index(r, a, port), &leg) ||
			    !(leg.flags & PIERCE_LEG_ACTIVE) || !(leg.flags & PIERCE_LEG_HAS_PEER))
				continue;
			pi = leg.peer_index;
			paddr = pi / r->port_count;
			pport = (uint16_t)(r->port_min + pi % r->port_count);
			if (paddr >= r->n_addrs || r->dp.leg_get(r->dp.ctx, pi, &peer))
				continue;
			snprintf(id, sizeof(id), "adopted-%u-%u", a, port);
			if (call_add(&r->calls, id, now_ns, &c))
				continue;
			c->state = CALL_ANSWERED;
			c->policy = leg.policy;
			c->tos = (leg.flags & PIERCE_LEG_SET_DSCP) ? leg.dscp << 2 : -1;
			c->legs_installed = true;
			if (call_media_reserve(c, 1)) {
				call_remove(&r->calls, c);
				continue;
			}
			c->n_media = 1;
			m = &c->media[0];
			snprintf(m->type, sizeof(m->type), "audio");
			snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
			m->port[0] = port;
			m->addr[0] = (uint8_t)a;
			port_pool_claim(&r->ports[a], port);
			if (!port_pool_claim(&r->ports[paddr], pport)) {
				m->port[1] = pport;
				m->addr[1] = (uint8_t)paddr;
			}
			if (leg.flags & PIERCE_LEG_HAS_DEST)
				set_from_map(&m->dest[1], &leg.dst, leg.dst_family, leg.dst_port_be);
			if (peer.flags & PIERCE_LEG_HAS_DEST)
				set_from_map(&m->dest[0], &peer.dst, peer.dst_family, peer.dst_port_be);
			/* strict with no allowed family: a closed leg (call_leg_build) */
			m->closed[0] = !(leg.flags & PIERCE_LEG_ANY_SRC) && !leg.allow_family;
			m->closed[1] = !(peer.flags & PIERCE_LEG_ANY_SRC) && !peer.allow_family;
			if (!(leg.flags & PIERCE_LEG_ANY_SRC) && !m->closed[0])
				set_from_map(&m->allow[0], &leg.allow, leg.allow_family, 0);
			if (!(peer.flags & PIERCE_LEG_ANY_SRC) && !m->closed[1])
				set_from_map(&m->allow[1], &peer.allow, peer.allow_family, 0);
			for (int s = 0; s < 2; s++) {
				struct sockaddr_storage d;

				call_addr_get(&m->dest[s], &d);
				m->dest_rtcp[s] = (uint16_t)(sa_port(&d) + 1);
			}
			adopted++;
		}
	}
	return adopted;
}

int state_file_adopt(struct relay *r, FILE *in, uint64_t now_ns)
{
	int records = in ? adopt_records(r, in, now_ns) : 0;
	int orphans = adopt_orphans(r, now_ns);

	if (records < 0) {
		log_warn("state file unreadable; adopting legs without Call-IDs");
		records = 0;
	}
	log_info("adopted %d calls from the state file and %d from legs alone", records, orphans);
	return records + orphans;
}

int state_adopt(struct relay *r, const char *path, uint64_t now_ns)
{
	FILE *f = path[0] ? fopen(path, "re") : NULL;
	int n = state_file_adopt(r, f, now_ns);

	if (f)
		fclose(f);
	return n;
}
