/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The data plane's counters, each named once: the totals by verdict (mg_stats),
 * the per-peer counters (mg_peer_stats) and their drop reasons. meshgw_bpf.h
 * generates the enums and the struct from these lists; userspace takes from them
 * the names `meshgw show -j` prints, the metric names, labels and HELP texts of
 * `meshgw metrics`, and the names the test helpers print.
 * selftests/show_metrics_cmp.py reads this file too.
 *
 * mg_stats is a per-CPU array indexed by enum mg_stat.
 * X(ENUM, prog, verdict, help): MG_STAT_<ENUM> is the index; prog (xdp or tc)
 * picks the metric family meshgw_<prog>_packets_total / _bytes_total, verdict is
 * its label, and "<prog>_<verdict>" the counter's name elsewhere. The index is
 * the key in the pinned map, which outlives a reload: append, never reorder. */
#pragma once

#define MG_STATS(X) \
	X(XDP_PASS, xdp, pass, "nothing for us, to the kernel") \
	X(XDP_MESH, xdp, mesh, "mesh-bound, passed on to tc_lan") \
	X(XDP_WG, xdp, wireguard, "UDP to our WireGuard port, counted and passed") \
	X(XDP_FWD_TX, xdp, forward_tx, "fast path, out of the same interface (XDP_TX)") \
	X(XDP_FWD_REDIRECT, xdp, forward_redirect, "fast path, out of another interface") \
	X(XDP_SLOW, xdp, slow_path, "forwardable but left to the kernel (neighbour, MTU, TTL)") \
	X(XDP_MALFORMED, xdp, malformed, "did not parse, passed to the kernel to judge") \
	X(XDP_PROBE_ANSWERED, xdp, probe_answered, "probe request answered (XDP_TX)") \
	X(XDP_PROBE_BAD, xdp, probe_refused, "probe request refused (tag, source or size) and dropped") \
	X(XDP_PROBE_REPLY, xdp, probe_reply, "probe reply recorded and dropped") \
	X(TC_LAN_REDIRECT, tc, lan_redirect, "mesh-bound, redirected into the WireGuard device") \
	X(TC_LAN_OK, tc, lan_pass, "LAN ingress, not ours") \
	X(TC_WG_TX, tc, wg_tx, "WireGuard egress, counted for a peer") \
	X(TC_WG_RX, tc, wg_rx, "WireGuard ingress, counted for a peer") \
	X(TC_WG_RX_REDIRECT, tc, wg_rx_redirect, "WireGuard ingress, delivered to the LAN by redirect_neigh") \
	X(TC_WG_OK, tc, wg_pass, "WireGuard device, not matched, left to the stack") \
	X(XDP_NO_XMIT, xdp, no_xmit, "fast path found a route whose device cannot take XDP frames (mg_ifaces), left to TC and the kernel") \
	X(TC_MESH, tc, mesh, "mesh-bound, counted here (no XDP on the NIC)") \
	X(TC_WG, tc, wireguard, "UDP to our WireGuard port, counted here (no XDP on the NIC)") \
	X(TC_PROBE_ANSWERED, tc, probe_answered, "probe request answered (redirect to egress)") \
	X(TC_PROBE_BAD, tc, probe_refused, "probe request refused and dropped") \
	X(TC_PROBE_REPLY, tc, probe_reply, "probe reply recorded and dropped") \
	X(TC_FWD, tc, forward, "fast path, fib_lookup and redirect") \
	X(XDP_EXIT, xdp, exit, "bound for the internet exit through another site, passed on to tc_lan") \
	X(TC_EXIT, tc, exit, "internet exit through another site, redirected into the WireGuard device") \
	X(XDP_PROBE_UNQUEUED, xdp, probe_unqueued, "probe reply recorded but not queued for the daemon (mg_probe_ring full): it reads mg_probes whole") \
	X(TC_PROBE_UNQUEUED, tc, probe_unqueued, "probe reply recorded but not queued for the daemon (mg_probe_ring full): it reads mg_probes whole") \
	X(TC_WG_OWN, tc, wg_own_reply, "the gateway's own packet from a non-mesh address (mg_own_addr), sent out of that address's device instead of the tunnel") \
	X(XDP_RPF, xdp, rp_filter, "its source fails the ingress NIC's rp_filter (or the check cannot say): left to the kernel to judge, before any route lookup") \
	X(TC_RPF, tc, rp_filter, "its source fails the ingress NIC's rp_filter (or the check cannot say): left to the kernel to judge, not forwarded or steered") \
	X(XDP_MARTIAN, xdp, martian_source, "from a source the kernel never forwards from (0/8, 127/8, multicast, broadcast; ::, ::1, multicast, link-local): left to the kernel, before any route lookup") \
	X(TC_MARTIAN, tc, martian_source, "from a source the kernel never forwards from: left to the kernel, not forwarded or steered")

/* Why a packet of a given peer was dropped or not delivered (mg_peer_stats.drops[],
 * the reason label of meshgw_peer_drops_total). X(ENUM, label, help). */
#define MG_DROPS(X) \
	X(REDIRECT, redirect, "bpf_redirect* refused (no device)") \
	X(MALFORMED, malformed, "headers did not parse")

/* The __u64 fields of struct mg_peer_stats in order (the pinned map's value
 * layout: append only), exported as meshgw_peer_<metric>_total{site}.
 * X(field, metric, help). rx/tx are measured on the WireGuard device (decrypted
 * in, cleartext out); lan_* is what left the LAN toward that peer, counted by XDP
 * or tc_lan on the LAN NIC, or by tc_wg egress where the LAN NIC has no program
 * (MG_IF_KERNEL: the same packets and bytes). */
#define MG_PEER_COUNTERS(X) \
	X(rx_packets, receive_packets, "Packets received from the peer through the tunnel (BPF, WireGuard device ingress).") \
	X(rx_bytes, receive_bytes, "Bytes of decrypted packets received from the peer (BPF, WireGuard device ingress).") \
	X(tx_packets, transmit_packets, "Packets sent to the peer through the tunnel (BPF, WireGuard device egress).") \
	X(tx_bytes, transmit_bytes, "Bytes of cleartext packets sent to the peer (BPF, WireGuard device egress).") \
	X(lan_packets, lan_packets, "Packets from the LAN steered toward the peer (BPF, LAN interface).") \
	X(lan_bytes, lan_bytes, "Bytes from the LAN steered toward the peer (BPF, LAN interface).")
