// SPDX-License-Identifier: GPL-2.0-only
/* meshgw's programs on the TC hooks: tcx links where the kernel has them,
 * cls_bpf filters elsewhere (dp_tc.h). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dp_progs.h"
#include "dataplane/dp_tc.h"
#include "lib/log.h"

/* bpf_link_info as 6.6+ fills it for a tcx link: the device (0 once the link
 * is detached: its device deleted, or `bpftool link detach`) and the hook,
 * where the older header's union begins. */
union dp_link_info {
	struct bpf_link_info info;
	struct {
		__u32 type, id, prog_id, pad;
		__u32 ifindex, attach_type;
	} tcx;
};
_Static_assert(offsetof(struct bpf_link_info, raw_tracepoint) == 16, "the union at 16");

#define TC_PATH (PATH_MAX + 64)	/* PinPath + "/" + a pin name */

_Static_assert(MG_SLOT__MAX == 8, "a pin name per slot");
static const char *const slot_pin[MG_SLOT__MAX] = {
	[MG_SLOT_TC_LAN] = "tcx_lan", [MG_SLOT_TC_WG_INGRESS] = "tcx_wg_ingress",
	[MG_SLOT_TC_WG_EGRESS] = "tcx_wg_egress", [MG_SLOT_TC_UPLINK] = "tcx_uplink",
	[MG_SLOT_TC_UPLINK_MORE] = "tcx_uplink2", "tcx_uplink3", "tcx_uplink4", "tcx_uplink5",
};

static bool slot_egress(__u32 slot)
{
	return slot == MG_SLOT_TC_WG_EGRESS;
}

static const char *dir_name(bool egress)
{
	return egress ? "egress" : "ingress";
}

static int attach_get(int fd, __u32 slot, struct mg_attach *a)
{
	memset(a, 0, sizeof(*a));
	return bpf_map_lookup_elem(fd, &slot, a) ? -errno : 0;
}

static int attach_set(int fd, __u32 slot, const struct mg_attach *a)
{
	if (bpf_map_update_elem(fd, &slot, a, BPF_ANY)) {
		pr_err("Failed to record TC slot %u in %s: %s", slot, MG_MAP_NAME(attach),
		       strerror(errno));
		return -errno;
	}
	return 0;
}

int dp_tc_mode(enum mg_tc_hook want, int ifindex, bool *tcx)
{
	__u32 count = 0;
	/* A kernel without tcx does not know the attach type (EINVAL); one with
	 * it answers for any device, with or without programs. */
	bool has = !bpf_prog_query(ifindex, DP_TCX_INGRESS, 0, NULL, NULL, &count);

	*tcx = want != MG_TC_CLS_BPF && has;
	if (want == MG_TC_TCX && !has) {
		pr_err("TcHook = tcx: this kernel has no tcx (Linux 6.6 and later; %s): use auto or "
		       "cls_bpf", strerror(errno));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* --- tcx links ---------------------------------------------------------- */

static void pin_name(char *buf, size_t len, const char *pin, __u32 slot)
{
	snprintf(buf, len, "%s/%s", pin, slot_pin[slot]);
}

/* The link pinned for slot, and what it runs where: its fd (ours to close), or
 * -errno (-ENOENT: none). */
static int tcx_open(const struct dp_tc *t, __u32 slot, union dp_link_info *li)
{
	char path[TC_PATH];
	__u32 len = sizeof(li->info);
	int fd, err;

	memset(li, 0, sizeof(*li));
	pin_name(path, sizeof(path), t->pin, slot);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &li->info, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Detaches and unpins slot's link. */
static void tcx_remove(const struct dp_tc *t, __u32 slot)
{
	char path[TC_PATH];

	pin_name(path, sizeof(path), t->pin, slot);
	dp_link_unpin(path);
}

/* --- cls_bpf filters ------------------------------------------------------ */

/* The id of the program in the filter at meshgw's handle/priority on
 * ifindex's hook, or 0 (none, no clsact qdisc, no such interface). */
static __u32 cls_prog_id(int ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = MG_TC_HANDLE, .priority = MG_TC_PRIORITY);
	int err;

	log_libbpf_mute();
	err = bpf_tc_query(&hook, &q);
	log_libbpf_unmute();
	return err ? 0 : q.prog_id;
}

int dp_tc_check_free(bool tcx, const char *ifname, int ifindex, bool egress)
{
	char name[BPF_OBJ_NAME_LEN] = "?";
	__u32 id;

	if (tcx)
		return 0;
	id = cls_prog_id(ifindex, egress);
	if (!id)
		return 0;
	dp_prog_name(id, name, sizeof(name));
	if (!strncmp(name, "mg_", 3))
		return 0;
	pr_err("Interface %s has a TC %s filter with meshgw's handle/priority (program id %u, %s); "
	       "refusing to replace it", ifname, dir_name(egress), id, name);
	return -EBUSY;
}

/* Takes slot's filter (a) off its hook, only if it runs a program of ours (the
 * record may be stale: the interface re-created). The clsact qdisc goes with it
 * when meshgw created it, unless another filter slot of ours is on the same
 * interface: that slot inherits the record, so the last one takes it. */
static void cls_remove(const struct dp_tc *t, __u32 slot, const struct mg_attach *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)a->ifindex,
		    .attach_point = slot_egress(slot) ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = MG_TC_HANDLE, .priority = MG_TC_PRIORITY);
	char name[BPF_OBJ_NAME_LEN] = "?";
	__u32 id = cls_prog_id((int)a->ifindex, slot_egress(slot));

	if (id && !dp_prog_name(id, name, sizeof(name)) && !strncmp(name, "mg_", 3)) {
		log_libbpf_mute();
		bpf_tc_detach(&hook, &o);
		log_libbpf_unmute();
	}
	if (!(a->flags & MG_ATTACH_QDISC_CREATED))
		return;
	for (__u32 other = 0; other < MG_SLOT__MAX; other++) {
		struct mg_attach b;

		if (other == slot || attach_get(t->attach_fd, other, &b) || b.ifindex != a->ifindex ||
		    (b.flags & MG_ATTACH_TCX))
			continue;
		b.flags |= MG_ATTACH_QDISC_CREATED;
		attach_set(t->attach_fd, other, &b);
		return;
	}
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	log_libbpf_mute();		/* the interface may be gone already */
	bpf_tc_hook_destroy(&hook);
	log_libbpf_unmute();
}

/* --- one slot ------------------------------------------------------------- */

static int tcx_up(const struct dp_tc *t, __u32 slot, const char *ifname, int ifindex,
		  int prog_fd, __u32 prog_id, struct mg_attach *a)
{
	bool egress = slot_egress(slot);
	__u32 type = egress ? DP_TCX_EGRESS : DP_TCX_INGRESS;
	char path[TC_PATH];
	union dp_link_info li;
	int fd = -ENOENT, err = 0;

	if (a->flags & MG_ATTACH_TCX)
		fd = tcx_open(t, slot, &li);
	if (fd >= 0 && li.tcx.ifindex == (__u32)ifindex && li.tcx.attach_type == type) {
		/* Ours, attached here: swap the program in place if it changed. */
		if (li.info.prog_id != prog_id && bpf_link_update(fd, prog_fd, NULL)) {
			err = -errno;
			pr_err("Failed to replace the program of %s's TC %s link: %s", ifname,
			       dir_name(egress), strerror(-err));
		}
		close(fd);
		return err;
	}
	if (fd >= 0)
		close(fd);
	/* No link, or one the kernel detached (its device deleted, or by hand). */
	tcx_remove(t, slot);
	fd = bpf_link_create(prog_fd, ifindex, type, NULL);
	if (fd < 0) {
		err = -errno;
		pr_err("Failed to attach the TC %s program to %s (tcx link): %s", dir_name(egress),
		       ifname, strerror(-err));
		return err;
	}
	pin_name(path, sizeof(path), t->pin, slot);
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		pr_err("Failed to pin the TC %s link of %s at %s: %s", dir_name(egress), ifname, path,
		       strerror(-err));
		bpf_link_detach(fd);
		close(fd);
		return err;
	}
	close(fd);		/* the pin keeps it attached */
	/* A filter of ours there before (an earlier build, TcHook = cls_bpf): off
	 * only now, so the hook never runs without the program. */
	if (a->ifindex && !(a->flags & MG_ATTACH_TCX))
		cls_remove(t, slot, a);
	a->ifindex = (__u32)ifindex;
	a->flags = MG_ATTACH_TCX;
	return attach_set(t->attach_fd, slot, a);
}

static int cls_up(const struct dp_tc *t, __u32 slot, const char *ifname, int ifindex,
		  int prog_fd, __u32 prog_id, struct mg_attach *a)
{
	bool egress = slot_egress(slot), was_tcx = a->flags & MG_ATTACH_TCX;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = MG_TC_HANDLE, .priority = MG_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	bool created = false, same = !was_tcx && a->ifindex == (__u32)ifindex;
	int err;

	/* Recorded here and running this very program: nothing to do. */
	if (same && prog_id && cls_prog_id(ifindex, egress) == prog_id)
		return 0;
	log_libbpf_mute();
	err = bpf_tc_hook_create(&hook);
	log_libbpf_unmute();
	if (!err)
		created = true;
	else if (err != -EEXIST) {
		pr_err("Failed to create the clsact qdisc on %s: %s", ifname, strerror(-err));
		return err;
	}
	/* Same interface as recorded: keep the "created" flag of the earlier run. */
	if (same && (a->flags & MG_ATTACH_QDISC_CREATED))
		created = true;
	if ((err = dp_tc_check_free(false, ifname, ifindex, egress)))
		return err;
	err = bpf_tc_attach(&hook, &o);
	if (err) {
		pr_err("Failed to attach the TC %s program to %s: %s", dir_name(egress), ifname,
		       strerror(-err));
		return err;
	}
	if (was_tcx)
		tcx_remove(t, slot);
	a->ifindex = (__u32)ifindex;
	a->flags = created ? MG_ATTACH_QDISC_CREATED : 0;
	return attach_set(t->attach_fd, slot, a);
}

int dp_tc_up(const struct dp_tc *t, __u32 slot, const char *ifname, int ifindex, int prog_fd,
	     __u32 prog_id)
{
	struct mg_attach a;

	attach_get(t->attach_fd, slot, &a);
	if (a.ifindex && a.ifindex != (__u32)ifindex) {
		/* The configuration moved this slot to another interface (or the
		 * interface was re-created): off the old one first. */
		dp_tc_forget(t, slot);
		memset(&a, 0, sizeof(a));
	}
	return t->tcx ? tcx_up(t, slot, ifname, ifindex, prog_fd, prog_id, &a) :
			cls_up(t, slot, ifname, ifindex, prog_fd, prog_id, &a);
}

void dp_tc_forget(const struct dp_tc *t, __u32 slot)
{
	struct mg_attach a;

	if (attach_get(t->attach_fd, slot, &a) || !a.ifindex)
		return;
	if (a.flags & MG_ATTACH_TCX)
		tcx_remove(t, slot);
	else
		cls_remove(t, slot, &a);
	memset(&a, 0, sizeof(a));
	attach_set(t->attach_fd, slot, &a);
}

int dp_tc_wg_filters(int attach_fd, struct dp_tc_others *o)
{
	struct mg_attach a;
	bool was;

	memset(o, 0, sizeof(*o));
	if (attach_get(attach_fd, MG_SLOT_TC_WG_INGRESS, &a) || !a.ifindex)
		return 0;
	dp_tc_others_read((int)a.ifindex, o);
	was = a.flags & MG_ATTACH_FILTERS_AFTER;
	if (was == o->ingress)
		return 0;
	a.flags ^= MG_ATTACH_FILTERS_AFTER;
	return attach_set(attach_fd, MG_SLOT_TC_WG_INGRESS, &a) ?: 1;
}

__u32 dp_tc_prog_id(const struct dp_tc *t, __u32 slot)
{
	union dp_link_info li;
	struct mg_attach a;
	int fd;

	if (attach_get(t->attach_fd, slot, &a) || !a.ifindex)
		return 0;
	if (!(a.flags & MG_ATTACH_TCX))
		return cls_prog_id((int)a.ifindex, slot_egress(slot));
	fd = tcx_open(t, slot, &li);
	if (fd < 0)
		return 0;
	close(fd);
	return li.tcx.ifindex == a.ifindex ? li.info.prog_id : 0;
}

void dp_tc_down(const struct dp_tc *t)
{
	for (__u32 slot = 0; t->attach_fd >= 0 && slot < MG_SLOT__MAX; slot++)
		dp_tc_forget(t, slot);
	dp_links_sweep(t->pin, "tcx_", NULL);
}
