// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pierce-relay: owns the XDP data plane and speaks rtpengine's ng protocol.
 * One libev loop: the ng socket, the slow-path ring, /metrics, a 1 s tick
 * for timeouts, and signals (INT/TERM leave the pinned data plane running;
 * HUP rereads the config, never the BPF program).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <ev.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "dataplane/dataplane.h"
#include "log.h"
#include "relay/metrics.h"
#include "relay/ng_server.h"
#include "relay/relay.h"
#include "relay/relay_config.h"
#include "relay/reserve_ports.h"
#include "relay/slowpath.h"
#include "relay/state_file.h"
#include "sockaddr.h"

struct daemon {
	struct relay_config cfg;
	int argc;
	char **argv;
	struct pierce_dp *dp;
	struct relay relay;
	struct ng_server ng;
	struct metrics_server metrics;
	struct slowpath slow;
	struct port_reservation reserved;
	ev_timer tick;
	ev_signal sig_int, sig_term, sig_hup;
	pid_t saver; /* the state-file writer running, or 0 */
};

static int dp_leg_set(void *ctx, uint32_t i, const struct pierce_leg *l, bool reset)
{
	return pierce_dp_leg_set(ctx, i, l, reset);
}

static int dp_leg_clear(void *ctx, uint32_t i)
{
	return pierce_dp_leg_clear(ctx, i);
}

/* Whole legs-map entries in one BPF_MAP_UPDATE_BATCH: the legs map is an
 * array of struct pierce_leg (abi.h), so a full entry with a zero second
 * line is what pierce_dp_leg_set(reset) and pierce_dp_leg_clear write. */
static int dp_legs_write(void *ctx, const uint32_t *index, const struct pierce_leg *legs, unsigned n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o); /* elem_flags: only BPF_F_LOCK is allowed */
	uint32_t count = n;

	for (unsigned i = 0; i < n; i++)
		if (index[i] >= pierce_dp_leg_count(ctx))
			return -ENOENT;
	if (bpf_map_update_batch(pierce_dp_legs_fd(ctx), index, legs, &count, &o) < 0)
		return -errno;
	return count == n ? 0 : -EIO;
}

static int dp_leg_get(void *ctx, uint32_t i, struct pierce_leg *out)
{
	return pierce_dp_leg_get(ctx, i, out);
}

static int dp_stats(void *ctx, struct pierce_stats *out)
{
	return pierce_dp_stats(ctx, out);
}

static void apply_logging(const struct relay_config *c, bool first)
{
	enum log_level level = LOG_LVL_INFO;

	log_parse_level(c->log_level, &level);
	if (c->verbose)
		level = LOG_LVL_DEBUG;
	if (first)
		log_init("pierce-relay", level, c->syslog);
	else
		log_set_level(level);
}

static void settings_from(const struct relay_config *c, struct relay_settings *s)
{
	s->timeout_s = (uint32_t)c->timeout;
	s->silent_timeout_s = (uint32_t)c->silent_timeout;
	s->final_timeout_s = (uint32_t)c->final_timeout;
	s->delete_delay_s = (uint32_t)c->delete_delay;
	s->max_sessions = (uint32_t)c->max_sessions;
	s->tos = (int)c->tos;
}

/*
 * The state file once a second when calls changed, written by a forked child:
 * rewriting every call's record stalled the ng loop for milliseconds each
 * second (the call-setup latency tail), more with many calls. One writer at
 * a time; a failed one leaves the state dirty for the next tick.
 */
static void save_state(struct daemon *d)
{
	pid_t p;
	int st;

	if (d->saver > 0) {
		p = waitpid(d->saver, &st, WNOHANG);
		if (p == 0)
			return; /* still writing */
		if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			d->relay.state_dirty = true;
		d->saver = 0;
	}
	if (!d->relay.state_dirty)
		return;
	p = state_file_save_bg(&d->relay, d->cfg.state_file);
	if (p < 0) { /* no fork: write it here */
		if (!state_file_save(&d->relay, d->cfg.state_file))
			d->relay.state_dirty = false;
		return;
	}
	d->saver = p;
	d->relay.state_dirty = false;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	uint64_t t0 = mono_now_ns(), took;

	/* the slow-path heartbeat: without it the program takes the consumer
	 * for dead after PIERCE_SLOW_ALIVE_NS and passes such frames on */
	if (d->slow.rb && pierce_dp_slowpath_alive(d->dp))
		log_warn("slow-path heartbeat not written");
	relay_tick(&d->relay, t0);
	took = mono_now_ns() - t0;
	d->relay.cnt.tick_ns_last = took;
	if (took > d->relay.cnt.tick_ns_max)
		d->relay.cnt.tick_ns_max = took;
	save_state(d);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_info("signal %d: stopping; the pinned data plane keeps relaying media", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

/* HUP: timeouts, limits, TOS and logging change at once; what needs the
 * data plane or sockets rebuilt is reported and left alone. */
static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;
	struct relay_config *n = malloc(sizeof(*n));
	char err[OPTS_ERR_MAX];

	if (!n)
		return;
	if (relay_config_load(n, d->argc, d->argv, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
		free(n);
		return;
	}
	if (n->n_addrs != d->cfg.n_addrs || memcmp(n->addrs, d->cfg.addrs, sizeof(n->addrs)) ||
	    memcmp(&n->ports, &d->cfg.ports, sizeof(n->ports)) || !sa_equal(&n->ng, &d->cfg.ng) ||
	    strcmp(n->metrics, d->cfg.metrics) || n->n_ifaces != d->cfg.n_ifaces ||
	    memcmp(n->ifaces, d->cfg.ifaces, sizeof(n->ifaces)))
		log_warn("reload: addresses, ports, interfaces, --ng and --metrics need a restart; not changed");
	d->cfg.timeout = n->timeout;
	d->cfg.silent_timeout = n->silent_timeout;
	d->cfg.final_timeout = n->final_timeout;
	d->cfg.delete_delay = n->delete_delay;
	d->cfg.max_sessions = n->max_sessions;
	d->cfg.tos = n->tos;
	memcpy(d->cfg.ng_allow, n->ng_allow, sizeof(n->ng_allow));
	d->cfg.n_ng_allow = n->n_ng_allow;
	d->ng.n_allow = n->n_ng_allow;
	d->cfg.verbose = n->verbose;
	memcpy(d->cfg.log_level, n->log_level, sizeof(n->log_level));
	settings_from(&d->cfg, &d->relay.set);
	relay_recheck_all(&d->relay, mono_now_ns()); /* deadlines follow the new timeouts */
	apply_logging(&d->cfg, false);
	log_info("reload: configuration reread");
	free(n);
}

static int open_dataplane(struct daemon *d, bool *adopted)
{
	struct pierce_local locals[PIERCE_MAX_ADDRS];
	struct pierce_dp_opts o = { 0 };
	int err;

	memset(locals, 0, sizeof(locals));
	for (unsigned i = 0; i < d->cfg.n_addrs; i++) {
		err = pierce_addr_from_sockaddr(&d->cfg.addrs[i].local, &locals[i].addr, &locals[i].family, NULL);
		if (err)
			return err;
	}
	o.pin_dir = d->cfg.pin_dir;
	o.addrs = locals;
	o.n_addrs = d->cfg.n_addrs;
	o.port_min = d->cfg.ports.min;
	o.port_count = (uint32_t)d->cfg.ports.max - d->cfg.ports.min + 1;
	err = pierce_dp_open(&o, &d->dp, adopted);
	if (err) {
		log_err("data plane: %s", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < d->cfg.n_ifaces; i++) {
		err = pierce_dp_attach(d->dp, d->cfg.ifaces[i], !strcmp(d->cfg.xdp_mode, "generic"));
		if (err) {
			log_err("data plane: attach to %s: %s", d->cfg.ifaces[i], strerror(-err));
			return err;
		}
	}
	return 0;
}

static int set_slowpath_flag(struct pierce_dp *dp, bool on)
{
	struct pierce_cfg c;
	int err = pierce_dp_cfg_get(dp, &c);

	if (err)
		return err;
	c.flags = on ? (c.flags | PIERCE_CFG_SLOWPATH) : (c.flags & ~(uint32_t)PIERCE_CFG_SLOWPATH);
	return pierce_dp_cfg_set(dp, &c);
}

static int start(struct daemon *d, struct ev_loop *loop)
{
	struct relay_addr addrs[PIERCE_MAX_ADDRS];
	struct relay_settings set;
	struct relay_dp_ops ops = { .leg_set = dp_leg_set, .leg_clear = dp_leg_clear, .leg_get = dp_leg_get,
				    .stats = dp_stats, .legs_write = dp_legs_write };
	struct sockaddr_storage at;
	struct timespec real;
	bool adopted = false;
	uint64_t now = mono_now_ns();
	int err;

	if (d->cfg.reserve_ports)
		ports_reserve(&d->reserved, RESERVED_PORTS_PATH, d->cfg.ports.min, d->cfg.ports.max);
	err = open_dataplane(d, &adopted);
	if (err)
		return err;
	memset(addrs, 0, sizeof(addrs));
	for (unsigned i = 0; i < d->cfg.n_addrs; i++) {
		addrs[i].local = d->cfg.addrs[i].local;
		addrs[i].advertised = d->cfg.addrs[i].advertised;
		addrs[i].slot = i; /* pierce_dp_open gives address i slot i */
	}
	settings_from(&d->cfg, &set);
	ops.ctx = d->dp;
	err = relay_init(&d->relay, addrs, d->cfg.n_addrs, d->cfg.ports.min,
			 (uint32_t)d->cfg.ports.max - d->cfg.ports.min + 1, &set, &ops, now);
	if (err)
		return err;
	clock_gettime(CLOCK_REALTIME, &real);
	d->relay.real_minus_mono_s = (int64_t)real.tv_sec - (int64_t)(now / NS_PER_SEC);
	/* An adopted data plane may carry the flag of a relay that died: the
	 * ring has no reader until ours runs, so the kernel gets those frames. */
	if (adopted && set_slowpath_flag(d->dp, false))
		log_warn("data plane: clearing the slow-path flag failed");
	if (adopted)
		state_adopt(&d->relay, d->cfg.state_file, now);
	err = slowpath_start(&d->slow, loop, &d->relay, pierce_dp_slowpath_fd(d->dp));
	if (!err)
		err = pierce_dp_slowpath_alive(d->dp); /* sets the flag with the first heartbeat */
	if (err)
		log_warn("slow path unavailable (%s): such packets are passed to the kernel", strerror(-err));
	err = ng_server_start(&d->ng, loop, &d->relay, &d->cfg.ng, d->cfg.ng_allow, d->cfg.n_ng_allow);
	if (err)
		return err;
	if (strcmp(d->cfg.metrics, "off")) {
		sa_parse_hostport(d->cfg.metrics, 9812, &at);
		err = metrics_start(&d->metrics, loop, &d->relay, &at);
		if (err)
			return err;
	}
	ev_timer_init(&d->tick, on_tick, 1.0, 1.0);
	d->tick.data = d;
	ev_timer_start(loop, &d->tick);
	return 0;
}

static void stop(struct daemon *d, struct ev_loop *loop)
{
	if (d->tick.data)
		ev_timer_stop(loop, &d->tick);
	ng_server_stop(&d->ng, loop);
	metrics_stop(&d->metrics, loop);
	if (d->dp && d->slow.rb)
		set_slowpath_flag(d->dp, false);
	slowpath_stop(&d->slow, loop);
	if (d->saver > 0) /* its file is older than ours: let it finish first */
		waitpid(d->saver, NULL, 0);
	d->saver = 0;
	if (d->relay.calls.buckets)
		state_file_save(&d->relay, d->cfg.state_file);
	relay_free(&d->relay);
	pierce_dp_close(d->dp); /* maps and links stay pinned: media keeps flowing */
	ports_unreserve(&d->reserved);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct ev_loop *loop = EV_DEFAULT;
	char err[OPTS_ERR_MAX];
	int rc;

	d.ng.fd = -1;
	d.argc = argc;
	d.argv = argv;
	rc = relay_config_load(&d.cfg, argc, argv, err, sizeof(err));
	if (rc == OPTS_HELP) {
		opts_usage(relay_opts, relay_n_opts, stdout, "pierce-relay");
		return 0;
	}
	if (rc) {
		fprintf(stderr, "pierce-relay: %s\n", err);
		return 2;
	}
	apply_logging(&d.cfg, true);
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&d.sig_int, on_stop, SIGINT);
	ev_signal_init(&d.sig_term, on_stop, SIGTERM);
	ev_signal_init(&d.sig_hup, on_hup, SIGHUP);
	d.sig_hup.data = &d;
	ev_signal_start(loop, &d.sig_int);
	ev_signal_start(loop, &d.sig_term);
	ev_signal_start(loop, &d.sig_hup);
	rc = start(&d, loop);
	if (!rc) {
		log_info("running: %u addresses, ports %u-%u, %u interfaces", d.cfg.n_addrs, d.cfg.ports.min,
			 d.cfg.ports.max, d.cfg.n_ifaces);
		ev_run(loop, 0);
	}
	stop(&d, loop);
	return rc ? 1 : 0;
}
