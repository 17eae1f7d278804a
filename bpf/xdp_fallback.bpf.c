// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Listens to the kernel's own reports of failed XDP transmits and takes the
 * device off the fast path (clears MG_IF_XMIT in mg_ifaces) at the first one, so
 * xdp_lan leaves the next packets to TC and the kernel. A veth in another
 * namespace can lose its peer's NAPI at any time (the peer's XDP program
 * removed), and a kernel without xdp-features cannot tell us beforehand.
 *
 *   xdp:xdp_exception    XDP_TX (or another action) failed on the ingress device
 *   xdp:xdp_bulk_tx      a veth's XDP_TX batch partly dropped
 *   xdp:xdp_redirect_err a redirect refused (target cannot take XDP frames)
 *   xdp:xdp_devmap_xmit  a redirected batch partly dropped by the target
 *
 * The tracepoints fire for every network namespace: only devices of the one the
 * loader ran in (own_netns) with an mg_ifaces entry are ours. The daemon turns
 * MG_IF_XMIT back on when the kernel says the device can transmit again. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "lib/maps.h"
#include "lib/obj_id.h"

volatile const __u32 own_netns = 0;	/* inode of the loader's network namespace */

/* Counts frames the kernel failed to transmit into ifindex of the namespace of
 * dev, and takes it off the fast path. */
static __always_inline void xmit_failed(const struct net_device *dev, __u32 ifindex, enum mg_fallback why,
				 __u64 frames)
{
	__u32 k = ifindex & (MG_IF_SLOTS - 1);
	struct mg_if_slot *s;
	struct mg_iface *i;

	if (BPF_CORE_READ(dev, nd_net.net, ns.inum) != own_netns)
		return;
	i = bpf_map_lookup_elem(&mg_ifaces, &ifindex);
	if (!i)
		return;
	__sync_fetch_and_add(&i->fallbacks[why], frames);
	if (i->flags & MG_IF_XMIT) {
		i->flags &= ~(MG_IF_XMIT | MG_IF_TX);	/* a lost race only repeats it */
		i->why = MG_WHY_RUNTIME;
	}
	/* The programs read the slot: cleared whatever mg_ifaces said (a rebuild
	 * from userspace that raced with the line above may have set it again). */
	s = bpf_map_lookup_elem(&mg_if_slots, &k);
	if (s && s->ifindex == ifindex && (s->flags & MG_IF_XMIT))
		s->flags &= ~(MG_IF_XMIT | MG_IF_TX);
}

SEC("tp_btf/xdp_exception")
int BPF_PROG(mg_fb_exception, const struct net_device *dev, const struct bpf_prog *xdp, __u32 act)
{
	if (act == XDP_TX)
		xmit_failed(dev, BPF_CORE_READ(dev, ifindex), MG_FB_TX, 1);
	return 0;
}

SEC("tp_btf/xdp_bulk_tx")
int BPF_PROG(mg_fb_bulk_tx, const struct net_device *dev, int sent, int drops, int err)
{
	if (drops > 0)
		xmit_failed(dev, BPF_CORE_READ(dev, ifindex), MG_FB_TX, drops);
	return 0;
}

/* For bpf_redirect (no map) the kernel passes the target's ifindex as index. */
SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(mg_fb_redirect_err, const struct net_device *dev, const struct bpf_prog *xdp,
	     const void *tgt, int err, enum bpf_map_type map_type, __u32 map_id, __u32 index)
{
	if (map_type == BPF_MAP_TYPE_UNSPEC)
		xmit_failed(dev, index, MG_FB_REDIRECT, 1);
	return 0;
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(mg_fb_devmap_xmit, const struct net_device *from_dev, const struct net_device *to_dev,
	     int sent, int drops, int err)
{
	if (drops > 0)
		xmit_failed(to_dev, BPF_CORE_READ(to_dev, ifindex), MG_FB_REDIRECT, drops);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
