/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel/user boundary of pierce: every struct that crosses it, the
 * verdict list, the pin names and the ABI version. This header is included
 * by the BPF program (bpf/relay.bpf.c) and by user space alike, so it uses
 * only fixed-width types from <linux/types.h>.
 *
 * Byte order is named in field names: *_be is network order, everything
 * else is host order.
 */
#ifndef PIERCE_ABI_H
#define PIERCE_ABI_H

#include <linux/types.h>

/* Bump on any change to a struct, map or reason below. A relay refuses to
 * adopt pinned maps whose cfg.abi_version differs. */
#define PIERCE_ABI_VERSION 4 /* 4: the legs map is BPF_F_MMAPABLE */

#define PIERCE_PIN_DIR_DEFAULT "/sys/fs/bpf/pierce"
#define PIERCE_PIN_LEGS     "legs"      /* BPF_MAP_TYPE_ARRAY of struct pierce_leg */
#define PIERCE_PIN_CFG      "cfg"       /* BPF_MAP_TYPE_ARRAY[1] of struct pierce_cfg */
#define PIERCE_PIN_STATS    "stats"     /* PERCPU_ARRAY[1] of struct pierce_stats */
#define PIERCE_PIN_SLOWPATH "slowpath"  /* RINGBUF of struct pierce_slow_hdr + frame */
#define PIERCE_PIN_DEVMAP   "devmap"    /* DEVMAP_HASH ifindex -> ifindex */
#define PIERCE_PIN_LINK_FMT "link_%s"   /* bpf_link per attached interface name */

#define PIERCE_MAX_ADDRS    16          /* relay local addresses (v4 and v6) */
/* cfg.addr_by_last[][] entry when two or more relay addresses of a family end
 * in that byte: the program scans cfg.addrs. 0 there means none does. */
#define PIERCE_ADDR_SCAN    0xff
#define PIERCE_SLOW_MAX_FRAME 2048      /* longest frame copied to the slow path (longer: XDP_PASS) */
#define PIERCE_SLOWPATH_BYTES (1U << 22)
#define PIERCE_NH_TTL_NS    1000000000ULL /* cached next hop is re-looked-up after this */
/* A slow-path consumer that stamped cfg.slow_alive_ns longer ago than this
 * is taken for dead (crashed with PIERCE_CFG_SLOWPATH set): XDP_PASS. */
#define PIERCE_SLOW_ALIVE_NS 5000000000ULL

/*
 * Verdicts and reasons: one list, used for the BPF enum, the per-CPU
 * counters and every string user space prints.
 *   X(enum-suffix, "metric_name", "what it means")
 */
#define PIERCE_REASONS(X)                                                         \
	X(NOT_OURS,        "not_ours",        "not a relay address/port: XDP_PASS")   \
	X(FWD_TX,          "fwd_tx",          "forwarded with XDP_TX")                \
	X(FWD_REDIRECT,    "fwd_redirect",    "forwarded with XDP_REDIRECT")          \
	X(DROP_SRC,        "drop_src_mismatch", "source not allowed: dropped (RTP Bleed)") \
	X(DROP_MALFORMED,  "drop_malformed",  "bad lengths on a relay port: dropped") \
	X(DROP_INACTIVE,   "drop_inactive",   "relay port with no session: dropped")  \
	X(PASS_MALFORMED,  "pass_malformed",  "truncated/odd frame, not ours: XDP_PASS") \
	X(PASS_NOT_UDP,    "pass_not_udp",    "non-UDP to a relay address: XDP_PASS") \
	X(PASS_FRAGMENT,   "pass_fragment",   "IPv4/IPv6 fragment to a relay address: XDP_PASS (the kernel reassembles)") \
	X(SLOW_IP_OPTIONS, "slow_ip_options", "IPv4 options: slow path")              \
	X(SLOW_IPV6_EXT,   "slow_ipv6_ext",   "IPv6 extension header: slow path")     \
	X(SLOW_XFAMILY,    "slow_xfamily",    "v4<->v6 destination: slow path")       \
	X(SLOW_NO_NEIGH,   "slow_no_neigh",   "next hop not resolved: slow path")     \
	X(SLOW_FIB,        "slow_fib",        "fib lookup failed: slow path")         \
	X(SLOW_NO_DEVMAP,  "slow_no_devmap",  "egress ifindex not in devmap: slow path") \
	X(SLOW_NO_DEST,    "slow_no_dest",    "leg has no destination yet: dropped")  \
	X(SLOW_RING_FULL,  "slow_ring_full",  "slow-path ring full: XDP_PASS")        \
	X(PASS_SLOW,       "pass_slow",       "slow-path candidate, no ring consumer: XDP_PASS") \
	X(DROP_TTL,        "drop_ttl",        "TTL / hop limit would reach 0: dropped") \
	X(SLOW_VLAN,       "slow_vlan",       "VLAN-tagged frame whose next hop is another interface: slow path") \
	X(PASS_TOO_BIG,    "pass_too_big",    "slow-path frame longer than the ring's copy: XDP_PASS") \
	X(PASS_SLOW_COPY,  "pass_slow_copy",  "copying a frame into the slow-path ring failed: XDP_PASS")

enum pierce_reason {
#define PIERCE_X_ENUM(name, metric, help) PIERCE_R_##name,
	PIERCE_REASONS(PIERCE_X_ENUM)
#undef PIERCE_X_ENUM
	PIERCE_R__COUNT
};

/* Leg flags */
enum pierce_leg_flags {
	PIERCE_LEG_ACTIVE    = 1 << 0, /* entry is in use */
	PIERCE_LEG_LATCHED   = 1 << 1, /* src_allow_* holds the exact latched source */
	PIERCE_LEG_ANY_SRC   = 1 << 2, /* no allowed address known: latch first packet */
	PIERCE_LEG_SET_DSCP  = 1 << 3, /* rewrite DSCP to .dscp */
	PIERCE_LEG_HAS_DEST  = 1 << 4, /* dst_* is valid */
	PIERCE_LEG_HAS_PEER  = 1 << 5, /* peer_index names the opposite leg */
	/* On an RTP leg: legs[index + 1] is its RTCP leg. When this leg latches
	 * and the RTCP leg is ANY_SRC, the RTCP leg is narrowed to the latched
	 * IP (any port), so nobody else can latch it (RTP Bleed via RTCP). */
	PIERCE_LEG_RTCP_NEXT = 1 << 6,
};

/* An ANY_SRC leg latches only on a datagram shaped like RTP or RTCP:
 * version 2 and at least this many bytes of UDP payload. */
#define PIERCE_RTP_MIN_LATCH 12

/* What to do with a packet whose source does not match. */
enum pierce_src_policy {
	PIERCE_SRC_STRICT = 0, /* latch once from the allowed IP, then drop others */
	PIERCE_SRC_TRUST  = 1, /* forward anything, never latch */
	PIERCE_SRC_RELATCH = 2,/* allowed IP, any port, re-latch on port change (NAT rebinding) */
};

/* Address families as stored in maps (not AF_* which differ in BPF-land headers). */
enum pierce_family {
	PIERCE_AF_NONE = 0,
	PIERCE_AF_INET = 4,
	PIERCE_AF_INET6 = 6,
};

/* An address: IPv4 in the first 4 bytes of addr_be, rest zero. */
struct pierce_addr {
	__u8 addr_be[16];
};

/*
 * One direction of a relayed stream, indexed by
 *   slot * cfg.port_count + (udp_dport - cfg.port_min)
 * where slot is the position of the packet's destination IP in cfg.addrs.
 * Two cache lines; the first holds everything the fast path reads.
 */
struct pierce_leg {
	/* line 0: forwarding state */
	struct pierce_addr dst;        /* 0: where to send */
	struct pierce_addr src;        /* 16: relay address to send from */
	struct pierce_addr allow;      /* 32: allowed source IP; after latching the exact source */
	__be16 dst_port_be;            /* 48 */
	__be16 src_port_be;            /* 50: relay port to send from (the opposite leg's port) */
	__be16 allow_port_be;          /* 52: 0 = any port (until latched) */
	__u8  dst_family;              /* 54: enum pierce_family */
	__u8  allow_family;            /* 55 */
	__u8  flags;                   /* 56: enum pierce_leg_flags */
	__u8  policy;                  /* 57: enum pierce_src_policy */
	__u8  dscp;                    /* 58: 6-bit DSCP when PIERCE_LEG_SET_DSCP */
	__u8  _pad0;                   /* 59 */
	__u32 peer_index;              /* 60: opposite leg; gets dst on latch */
	/* line 1: next-hop cache and counters (written by the fast path) */
	__u8  nh_dmac[6];              /* 64 */
	__u8  nh_smac[6];              /* 70 */
	__u32 nh_ifindex;              /* 76: egress ifindex of the cached next hop */
	__u64 nh_stamp_ns;             /* 80: 0 = no cached next hop */
	__u64 packets;                 /* 88: atomic adds */
	__u64 bytes;                   /* 96 */
	__u64 last_seen_ns;            /* 104: bpf_ktime_get_coarse_ns of last packet */
	__u64 first_seen_ns;           /* 112: set once on the first forwarded packet */
	__u64 _pad1;                   /* 120 */
};

struct pierce_local {
	struct pierce_addr addr;       /* relay address as it appears in packets */
	__u8  family;                  /* enum pierce_family; 0 = unused slot */
	__u8  _pad[3];
	__u32 slot;                    /* index base = slot * port_count */
};

/* The relay-wide configuration the program reads on every packet. */
struct pierce_cfg {
	__u32 abi_version;             /* PIERCE_ABI_VERSION */
	__u32 n_addrs;                 /* used entries of addrs[] */
	__u16 port_min;                /* first relay port (host order) */
	__u16 _pad0;
	__u32 port_count;              /* ports per address in the legs map */
	/* ifindex given to bpf_fib_lookup; 0 = the ingress interface. pierce_dp_open
	 * writes 1 (lo, see dp_fib.c) unless told; pierce_dp_cfg_set can write 0. */
	__u32 fib_ifindex;
	__u32 flags;                   /* enum pierce_cfg_flags */
	/* next-hop cache lifetime; 0 = look up every packet. pierce_dp_open writes
	 * PIERCE_NH_TTL_NS unless told; pierce_dp_cfg_set can write 0. */
	__u64 nh_ttl_ns;
	/* CLOCK_MONOTONIC (coarse) ns of the slow-path consumer's last heartbeat
	 * (pierce_dp_slowpath_alive); 0 = the consumer does not send any, then
	 * PIERCE_CFG_SLOWPATH alone says it runs. */
	__u64 slow_alive_ns;
	struct pierce_local addrs[PIERCE_MAX_ADDRS];
	/* addr_by_last[v6][last byte of the address]: index in addrs + 1 of the
	 * one relay address of that family ending in that byte, 0 for none,
	 * PIERCE_ADDR_SCAN for several. Saves the program a scan of addrs per
	 * packet; it still compares the whole address. Built from addrs[0..n_addrs)
	 * by pierce_dp_open and pierce_dp_cfg_set, whatever the caller passes. */
	__u8 addr_by_last[2][256];
};

enum pierce_cfg_flags {
	PIERCE_CFG_SLOWPATH = 1 << 0,  /* a consumer reads the slow-path ring */
	/* Forward with the TTL / hop limit unchanged (drop_ttl for 0 only): only for
	 * BPF_PROG_TEST_RUN benchmarks that cycle one frame through legs in place. */
	PIERCE_CFG_KEEP_TTL = 1 << 1,
};

struct pierce_stats {
	__u64 packets[PIERCE_R__COUNT];
	__u64 bytes[PIERCE_R__COUNT];
};

/* Record header in the slow-path ring buffer; the frame follows. */
struct pierce_slow_hdr {
	__u32 reason;                  /* enum pierce_reason */
	__u32 ifindex;                 /* ingress */
	__u32 leg_index;               /* legs[] index, or ~0U when none */
	__u16 frame_len;               /* bytes of frame that follow */
	__u16 orig_len;                /* length of the frame on the wire */
	__u64 ts_ns;
};

#ifdef __cplusplus
#define PIERCE_STATIC_ASSERT static_assert
#else
#define PIERCE_STATIC_ASSERT _Static_assert
#endif
PIERCE_STATIC_ASSERT(sizeof(struct pierce_addr) == 16, "pierce_addr size");
PIERCE_STATIC_ASSERT(sizeof(struct pierce_leg) == 128, "pierce_leg must be two cache lines");
PIERCE_STATIC_ASSERT(__builtin_offsetof(struct pierce_leg, nh_dmac) == 64, "pierce_leg line split");
PIERCE_STATIC_ASSERT(sizeof(struct pierce_local) == 24, "pierce_local size");
PIERCE_STATIC_ASSERT(sizeof(struct pierce_cfg) == 40 + 24 * PIERCE_MAX_ADDRS + 2 * 256, "pierce_cfg size");
PIERCE_STATIC_ASSERT(__builtin_offsetof(struct pierce_cfg, addr_by_last) == 40 + 24 * PIERCE_MAX_ADDRS,
		     "pierce_cfg addr_by_last follows addrs");
PIERCE_STATIC_ASSERT(PIERCE_MAX_ADDRS < PIERCE_ADDR_SCAN, "addr_by_last holds index + 1 below PIERCE_ADDR_SCAN");
PIERCE_STATIC_ASSERT(sizeof(struct pierce_slow_hdr) == 24, "pierce_slow_hdr size");

#endif
