// SPDX-License-Identifier: GPL-2.0-only
/* Loader of the BPF data plane: `meshgw up` / `down` call dataplane_up/down.
 *
 * Maps are declared LIBBPF_PIN_BY_NAME in bpf/lib/maps.h; opening every object
 * with pin_root_path = PinPath makes libbpf reuse what is pinned there (counters
 * survive re-runs and reloads) and pin what is new, and the objects share
 * one copy of each map. A re-run keeps the programs already attached that are
 * this build's with these settings (dp_progs.h) and loads only the objects that
 * changed. XDP attachments are links pinned as PinPath/xdp_<ifname>: a re-run
 * swaps the program inside the link when it has a new one. TC programs are tcx
 * links pinned as PinPath/tcx_<slot> where the kernel has tcx, else cls_bpf
 * filters at a fixed handle/priority (dp_tc.h), each recorded in the pinned
 * mg_attach map, so `down` removes exactly what `up` made. */
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane/dataplane.h"
#include "dataplane/dp_exit.h"
#include "dataplane/dp_local4.h"
#include "dataplane/dp_own_addr.h"
#include "dataplane/dp_fill.h"
#include "dataplane/dp_iface.h"
#include "dataplane/dp_netfilter.h"
#include "dataplane/dp_pin_compat.h"
#include "dataplane/dp_progs.h"
#include "dataplane/dp_tc.h"
#include "dataplane/dp_xdp_why.h"
#include "lib/log.h"
#include "tc_lan.skel.h"
#include "tc_wg.skel.h"
#include "xdp_fallback.skel.h"
#include "xdp_lan.skel.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define DP_PATH (PATH_MAX + 64)	/* PinPath + "/" + a pin name */

/* What `down` unpins: every map of the lists, the daemon's mg_failover too (one
 * owner of the whole directory, so `down` leaves nothing pinned). */
static const char *const map_names[] = {
#define PIN_NAME(name) "mg_" #name,
	MG_PINNED_MAPS(PIN_NAME)
#undef PIN_NAME
};

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* A root directory (/proc/PID/root) whose /sys/fs/bpf is bpffs: an ancestor's
 * (the shell that ran `ip netns exec` is in the host's mount namespace), else
 * init's. 0, or -ENOENT. */
static int host_root(char *buf, size_t len)
{
	pid_t pid = getppid();
	char path[PATH_MAX];

	for (int depth = 0; pid > 1 && depth < 8; depth++, pid = parent_of(pid)) {
		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, BPFFS_ROOT);
		if (is_bpffs(path)) {
			snprintf(buf, len, "/proc/%d/root", (int)pid);
			return 0;
		}
	}
	if (is_bpffs("/proc/1/root" BPFFS_ROOT)) {
		snprintf(buf, len, "/proc/1/root");
		return 0;
	}
	return -ENOENT;
}

int dataplane_pin_resolve(const char *raw, char *buf, size_t len)
{
	char root[64];
	int n;

	/* Under `ip netns exec` /sys is private and has no bpffs; pins made on one
	 * mounted there would vanish with that mount namespace (and the XDP link
	 * with them). Use the host's bpffs through another process's root instead. */
	if (!strncmp(raw, BPFFS_ROOT "/", strlen(BPFFS_ROOT) + 1) && !is_bpffs(BPFFS_ROOT) &&
	    !host_root(root, sizeof(root)))
		n = snprintf(buf, len, "%s%s", root, raw);
	else
		n = snprintf(buf, len, "%s", raw);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int dataplane_pin_path(const struct mg_local *l, char *buf, size_t len)
{
	char raw[PATH_MAX];
	int n;

	if (l->pin_path[0])
		n = snprintf(raw, sizeof(raw), "%s", l->pin_path);
	else
		n = snprintf(raw, sizeof(raw), "%s/%s", MG_DEFAULT_PIN_ROOT,
			     l->wg_if[0] ? l->wg_if : MG_DEFAULT_WG_IF);
	if (n < 0 || (size_t)n >= sizeof(raw))
		return -ENAMETOOLONG;
	return dataplane_pin_resolve(raw, buf, len);
}

/* mkdir -p on bpffs; mounts bpffs on /sys/fs/bpf first when it is not there
 * (a fresh boot here, or inside `ip netns exec`, which remounts /sys). */
int dataplane_pin_dir_make(const char *dir)
{
	char buf[PATH_MAX];

	if (!is_bpffs(BPFFS_ROOT) && !strncmp(dir, BPFFS_ROOT "/", strlen(BPFFS_ROOT) + 1)) {
		struct stat self, init;

		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
			pr_err("Failed to mount bpffs on %s: %s", BPFFS_ROOT, strerror(errno));
			return -errno;
		}
		pr_info("mounted bpffs on %s", BPFFS_ROOT);
		/* Cannot tell (no access to init's namespace) counts as private. */
		if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init) ||
		    self.st_ino != init.st_ino)
			pr_warn("%s may be in a private mount namespace (ip netns exec?): the "
				"pins and the XDP attachment last only as long as it does; enter "
				"the network namespace with nsenter --net instead", BPFFS_ROOT);
	}
	snprintf(buf, sizeof(buf), "%s", dir);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = 0;
			if (mkdir(buf, 0700) && errno != EEXIST) {
				pr_err("Failed to create %s: %s", buf, strerror(errno));
				return -errno;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	if (!is_bpffs(dir)) {
		pr_err("PinPath %s is not on a bpf filesystem", dir);
		return -EINVAL;
	}
	return 0;
}

/* A NIC meshgw attaches to (the LAN NIC, the uplink) and how (dp_iface.h). */
struct dp_nic {
	struct dp_iface info;
	bool xdp;			/* meshgw's XDP program goes (or went) on it */
	enum mg_if_why xdp_why;		/* why not */
	bool xmit;			/* an XDP transmit target */
	enum mg_if_why xmit_why;	/* why not */
};

/* The objects, and the programs of theirs that meshgw attaches. */
enum dp_obj_no { OBJ_XDP, OBJ_TC_LAN, OBJ_TC_WG, OBJ_FB, OBJ__N };
static const char *const obj_name[OBJ__N] = {	/* as in bpf/: NAME.bpf.c */
	[OBJ_XDP] = "xdp_lan", [OBJ_TC_LAN] = "tc_lan", [OBJ_TC_WG] = "tc_wg", [OBJ_FB] = "xdp_fallback",
};
enum dp_prog_no {
	PROG_XDP,			/* OBJ_XDP */
	PROG_TC_LAN,			/* OBJ_TC_LAN */
	PROG_WG_EGRESS, PROG_WG_INGRESS,	/* OBJ_TC_WG */
	PROG_FB_EXCEPTION, PROG_FB_BULK_TX, PROG_FB_REDIRECT_ERR, PROG_FB_DEVMAP_XMIT,	/* OBJ_FB */
	PROG__N
};
static const enum dp_obj_no prog_obj[PROG__N] = {
	[PROG_XDP] = OBJ_XDP, [PROG_TC_LAN] = OBJ_TC_LAN,
	[PROG_WG_EGRESS] = OBJ_TC_WG, [PROG_WG_INGRESS] = OBJ_TC_WG,
	[PROG_FB_EXCEPTION] = OBJ_FB, [PROG_FB_BULK_TX] = OBJ_FB,
	[PROG_FB_REDIRECT_ERR] = OBJ_FB, [PROG_FB_DEVMAP_XMIT] = OBJ_FB,
};

/* A program to attach and the loaded copy this run attaches: one an earlier run
 * loaded and this run keeps (dp_progs.h; fd ours to close), or the one its
 * object loaded now (fd the skeleton's). */
struct dp_prog {
	struct bpf_program *p;		/* in its opened object */
	struct bpf_map *rodata;		/* that object's .rodata, as this run sets it */
	int fd;				/* -1: none yet */
	__u32 id;
	bool kept;
};

struct dp {
	char pin[PATH_MAX];
	struct xdp_lan_bpf *xdp;
	struct tc_lan_bpf *tcl;
	struct tc_wg_bpf *tcw;
	struct xdp_fallback_bpf *fb;
	struct bpf_object *obj[OBJ__N];
	struct dp_prog prog[PROG__N];
	struct dp_fds fds;		/* the pinned maps (dp_pins_open) */
	struct dp_pinned pinned;
	bool pins_open;
	int lan, uplink, wg;		/* ifindexes; 0 = none */
	struct dp_nic nic[DATAPLANE_NICS];	/* [0] the LAN NIC, [1 + u] uplink u (if any) */
	int n_nic;
	bool fwd_ok;			/* neither netfilter nor IPsec acts on forwarded traffic */
	int nf;				/* dp_forwarding_hooked: > 0 acts, < 0 cannot be asked */
	char nf_what[160];		/* ... and what acts */
	bool lan_kernel;		/* no program on the LAN NIC (dp_iface_lan_kernel) */
	bool tcx;			/* TC programs as tcx links (dp_tc.h) */
};

static void dp_close(struct dp *d)
{
	for (int i = 0; i < PROG__N; i++)
		if (d->prog[i].kept)
			close(d->prog[i].fd);
	if (d->pins_open)
		dp_fds_close(&d->fds);
	xdp_lan_bpf__destroy(d->xdp);
	tc_lan_bpf__destroy(d->tcl);
	tc_wg_bpf__destroy(d->tcw);
	xdp_fallback_bpf__destroy(d->fb);
}

static int ifindex_of(const char *name, const char *what, bool required)
{
	int i;

	if (!name[0]) {
		if (required)
			pr_err("No %s interface configured", what);
		return required ? -EINVAL : 0;
	}
	i = if_nametoindex(name);
	if (!i) {
		pr_err("%s interface %s: %s", what, name, strerror(errno));
		return -ENODEV;
	}
	return i;
}

int dataplane_if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq r = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &r))
		err = -errno;
	else if (r.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = -EPFNOSUPPORT;
	else
		memcpy(mac, r.ifr_hwaddr.sa_data, 6);
	if (fd >= 0)
		close(fd);
	return err;
}

/* Tells the XDP program ifname's index and MAC address (slot < MG_XDP_IFACES):
 * it handles only frames addressed to the gateway. Without a MAC (not Ethernet,
 * or unreadable) the program leaves that interface's traffic to the kernel. */
static void xdp_own_mac(struct xdp_lan_bpf *x, int slot, const char *ifname, int ifindex)
{
	uint8_t mac[6];
	int err = dataplane_if_mac(ifname, mac);

	if (err) {
		pr_warn("%s: no Ethernet address (%s): XDP leaves its traffic to the kernel",
			ifname, err == -EPFNOSUPPORT ? "not Ethernet" : strerror(-err));
		return;
	}
	x->rodata->own_ifindex[slot] = ifindex;
	memcpy((void *)x->rodata->own_mac[slot], mac, 6);
}

/* Stamps the object's identity into its .rodata (bpf/lib/obj_id.h). */
#define OBJ_STAMP(skel, name) do { \
		size_t sz_; \
		const void *elf_ = name##_bpf__elf_bytes(&sz_); \
		dp_obj_hash(elf_, sz_, (uint8_t *)(skel)->rodata->mg_obj_hash); \
	} while (0)

static void prog_set(struct dp *d, enum dp_prog_no i, struct bpf_program *p, struct bpf_map *rodata)
{
	d->prog[i] = (struct dp_prog){ .p = p, .rodata = rodata, .fd = -1 };
}

/* Opens the objects and sets their load-time constants; loads nothing. The XDP
 * ones only when a NIC gets XDP (xdp_fallback carries the kernel's BTF types
 * of its tracepoints: 0.7 MB to parse and hash for nothing on a TC-only gateway). */
static int open_objs(struct dp *d, const struct mg_config *c, const struct dp_settings *s, bool xdp)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .pin_root_path = d->pin);
	int err;

	for (int i = 0; i < PROG__N; i++)
		prog_set(d, i, NULL, NULL);	/* those of objects not opened stay so */
	d->tcl = tc_lan_bpf__open_opts(&o);
	d->tcw = tc_wg_bpf__open_opts(&o);
	if (xdp) {
		d->xdp = xdp_lan_bpf__open_opts(&o);
		d->fb = xdp_fallback_bpf__open_opts(&o);
	}
	if (!d->tcl || !d->tcw || (xdp && (!d->xdp || !d->fb))) {
		err = -errno;
		pr_err("Failed to open the BPF objects: %s", strerror(errno));
		return err;
	}
	d->tcl->rodata->wg_ifindex = d->wg;
	d->tcl->rodata->wg_port = c->mesh.listen_port;
	d->tcl->rodata->probe_port = s ? s->probe_port : 0;
	d->tcw->rodata->lan_ifindex = d->lan;
	d->tcw->rodata->lan_ether = d->n_nic ? d->nic[0].info.ether : 1;
	d->tcw->rodata->l3_off = 0;
	OBJ_STAMP(d->tcl, tc_lan);
	OBJ_STAMP(d->tcw, tc_wg);
	d->obj[OBJ_TC_LAN] = d->tcl->obj;
	d->obj[OBJ_TC_WG] = d->tcw->obj;
	prog_set(d, PROG_TC_LAN, d->tcl->progs.mg_tc_lan, d->tcl->maps.rodata);
	prog_set(d, PROG_WG_EGRESS, d->tcw->progs.mg_tc_wg_egress, d->tcw->maps.rodata);
	prog_set(d, PROG_WG_INGRESS, d->tcw->progs.mg_tc_wg_ingress, d->tcw->maps.rodata);
	if (!xdp)
		return 0;
	d->xdp->rodata->wg_port = c->mesh.listen_port;
	d->xdp->rodata->probe_port = s ? s->probe_port : 0;
	xdp_own_mac(d->xdp, 0, c->local.lan_if, d->lan);
	if (d->uplink)
		xdp_own_mac(d->xdp, 1, c->local.uplink_if, d->uplink);
	{
		struct stat ns;

		d->fb->rodata->own_netns = stat("/proc/self/ns/net", &ns) ? 0 : (__u32)ns.st_ino;
	}
	OBJ_STAMP(d->xdp, xdp_lan);
	OBJ_STAMP(d->fb, xdp_fallback);
	d->obj[OBJ_XDP] = d->xdp->obj;
	d->obj[OBJ_FB] = d->fb->obj;
	prog_set(d, PROG_XDP, d->xdp->progs.mg_xdp_lan, d->xdp->maps.rodata);
	prog_set(d, PROG_FB_EXCEPTION, d->fb->progs.mg_fb_exception, d->fb->maps.rodata);
	prog_set(d, PROG_FB_BULK_TX, d->fb->progs.mg_fb_bulk_tx, d->fb->maps.rodata);
	prog_set(d, PROG_FB_REDIRECT_ERR, d->fb->progs.mg_fb_redirect_err, d->fb->maps.rodata);
	prog_set(d, PROG_FB_DEVMAP_XMIT, d->fb->progs.mg_fb_devmap_xmit, d->fb->maps.rodata);
	return 0;
}

/* Object o ready to attach: every program of it kept, or else the object
 * loaded (one build: kept copies of its other programs are let go). Loading
 * pins the maps the objects share (LIBBPF_PIN_BY_NAME) or reuses the pinned
 * ones; d->fds are opened from the pins then. 0 or -errno (message printed). */
static int obj_ready(struct dp *d, enum dp_obj_no o)
{
	bool all = true;
	int err;

	for (int i = 0; i < PROG__N; i++)
		if (prog_obj[i] == o)
			all &= d->prog[i].fd >= 0;
	if (all) {
		pr_debug("%s: the loaded programs are this build's, with these settings: kept",
			 obj_name[o]);
		return 0;
	}
	for (int i = 0; i < PROG__N; i++)
		if (prog_obj[i] == o && d->prog[i].kept) {
			close(d->prog[i].fd);
			d->prog[i].fd = -1;
			d->prog[i].kept = false;
		}
	if ((err = dp_pins_replace_incompatible(d->obj[o])))
		return err;
	if ((err = bpf_object__load(d->obj[o]))) {
		pr_err("Failed to load the BPF programs (pins under %s): %s", d->pin, strerror(-err));
		return err;
	}
	pr_debug("%s: loaded", obj_name[o]);
	for (int i = 0; i < PROG__N; i++)
		if (prog_obj[i] == o) {
			d->prog[i].fd = bpf_program__fd(d->prog[i].p);
			d->prog[i].id = dp_prog_id(d->prog[i].fd);
		}
	if (!d->pins_open) {
		if ((err = dp_pins_open(d->pin, &d->fds, &d->pinned))) {
			pr_err("Failed to open the maps pinned under %s: %s", d->pin, strerror(-err));
			return err;
		}
		d->pins_open = true;
	}
	return 0;
}

static void xdp_pin_name(char *buf, size_t len, const char *pin, const char *ifname)
{
	snprintf(buf, len, "%s/xdp_%s", pin, ifname);
}

/* Our pinned XDP link of ifname if it is still attached to ifindex, else NULL
 * (a stale pin, left by an interface that went away or was recreated, is
 * removed). */
static struct bpf_link *xdp_our_link(const char *pin, const char *ifname, int ifindex)
{
	char path[DP_PATH];
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);
	struct bpf_link *link;

	xdp_pin_name(path, sizeof(path), pin, ifname);
	log_libbpf_mute();
	link = bpf_link__open(path);
	log_libbpf_unmute();
	if (!link)
		return NULL;
	if (!bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) &&
	    info.type == BPF_LINK_TYPE_XDP && info.xdp.ifindex == (__u32)ifindex)
		return link;
	bpf_link__unpin(link);
	bpf_link__destroy(link);
	unlink(path);
	return NULL;
}

/* 0 when meshgw may put its program on ifname: none there, or ours; -EBUSY
 * (with a warning naming it) when another program is there. meshgw never
 * replaces it: that NIC runs TC only. */
static int xdp_check_free(const char *pin, const char *ifname, int ifindex, bool warn)
{
	struct bpf_link *link = xdp_our_link(pin, ifname, ifindex);
	char name[BPF_OBJ_NAME_LEN] = "?";
	__u32 id = 0;

	if (link) {
		bpf_link__destroy(link);
		return 0;
	}
	if (bpf_xdp_query_id(ifindex, 0, &id) == 0 && id) {
		dp_prog_name(id, name, sizeof(name));
		if (warn)
			pr_warn("Interface %s already has XDP program id %u (%s) that this meshgw did not "
			"attach: leaving it alone, TC only there", ifname, id, name);
		return -EBUSY;
	}
	return 0;
}

/* xdp_up's answer when the driver refused the program for a reason of its own. */
#define XDP_REFUSED 1

/* What a driver's refusal means, where the errno alone says little. */
static const char *xdp_refusal_hint(const char *kind, int err)
{
	if (!strcmp(kind, "veth") && err == -ENOSPC)
		return ": its peer has more TX queues than it has RX queues";
	if (!strcmp(kind, "veth") && err == -ERANGE)
		return ": its peer's MTU is too large";
	return "";
}

/* Attaches (or re-points) our XDP link on ifname, in native mode only: generic
 * XDP copies every skb and TC does the same job without the copy.
 * xdp_check_free said it may. 0, -EOPNOTSUPP when the driver has no native XDP
 * (nothing printed), XDP_REFUSED when it has but refused this program (a veth
 * whose peer has more TX queues than it has RX queues, a driver out of queues or
 * memory: logged), or -errno. In both first cases the caller falls back to TC:
 * acceleration where the kernel takes it, never a gateway that does not come up
 * for want of it. */
static int xdp_up(struct dp *d, const char *ifname, int ifindex, const char *kind)
{
	const struct dp_prog *prog = &d->prog[PROG_XDP];
	struct bpf_link *link = xdp_our_link(d->pin, ifname, ifindex);
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_DRV_MODE);
	char path[DP_PATH];
	int err, fd;

	if (link) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);

		/* Our link, still on this interface: swap the program inside it,
		 * unless it runs this very one already. */
		err = bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len);
		if (err || info.prog_id != prog->id)
			err = bpf_link_update(bpf_link__fd(link), prog->fd, NULL) ? -errno : 0;
		bpf_link__destroy(link);
		if (err)
			pr_err("Failed to update the XDP program on %s: %s", ifname, strerror(-err));
		return err;
	}
	log_libbpf_mute();
	fd = bpf_link_create(prog->fd, ifindex, BPF_XDP, &o);
	log_libbpf_unmute();
	if (fd < 0) {
		char why[256];
		int again;

		err = -errno;
		again = dp_xdp_why(ifindex, prog->fd, why, sizeof(why));
		/* No native XDP in the driver (its reason says so, or it gives none
		 * with the errno of a missing ndo_bpf): nothing to tell. */
		if ((err == -EOPNOTSUPP || err == -EINVAL) && (!*why || dp_xdp_why_no_native(why)))
			return -EOPNOTSUPP;
		pr_warn("%s: the driver refused meshgw's XDP program (%s%s): TC only there%s%s%s", ifname,
			strerror(-err), xdp_refusal_hint(kind, err), *why ? ". The kernel says: " : "",
			why, again ? "" : " (asked again, it took the program: what made it refuse "
			"has passed; TC stays until the next `meshgw up`)");
		return XDP_REFUSED;
	}
	xdp_pin_name(path, sizeof(path), d->pin, ifname);
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	if (err)
		pr_err("Failed to pin the XDP link of %s at %s: %s", ifname, path, strerror(-err));
	close(fd);	/* the pin keeps it attached */
	return err;
}

/* d's TC slots (dp_tc.h); the attach map is open once the pins are. */
static struct dp_tc tc_of(const struct dp *d)
{
	return (struct dp_tc){ .attach_fd = d->fds.attach, .pin = d->pin, .tcx = d->tcx };
}

static int tc_up(struct dp *d, __u32 slot, const char *ifname, int ifindex, enum dp_prog_no pr)
{
	struct dp_tc t = tc_of(d);

	return dp_tc_up(&t, slot, ifname, ifindex, d->prog[pr].fd, d->prog[pr].id);
}

static void tc_forget(struct dp *d, __u32 slot)
{
	struct dp_tc t = tc_of(d);

	dp_tc_forget(&t, slot);
}

/* The tag probes carry is what mg_mesh_tag holds, whole. */
_Static_assert(sizeof(((struct mg_tag *)0)->tag) == MG_PROBE_TAG_LEN, "mg_mesh_tag holds the tag");

static int fill(struct dp *d, const struct mg_config *c, const struct dp_settings *s)
{
	/* sites, then clients (dp_assign_peers) */
	uint32_t *idx = calloc(c->mesh.n_sites + c->mesh.n_clients + 1, sizeof(*idx));
	struct dp_known_ep *eps = NULL;
	struct mg_tag tag = { 0 };
	__u32 zero = 0;
	size_t n = 0;
	int err;

	if (!idx)
		return -ENOMEM;
	err = dp_assign_peers(&d->fds, &c->mesh, idx);
	if (!err)
		err = dp_sync_routes(&d->fds, c, idx);
	if (!err)
		err = dp_sync_exit(&d->fds, c, idx);
	if (!err)
		err = dp_sync_own_addr(d->fds.own_addr, c, d->wg);
	if (!err)
		err = dp_sync_local4(d->fds.local4);
	if (!err)
		err = dp_known_from_config(c, idx, &eps, &n);
	if (!err)
		err = dp_merge_known_eps(d->fds.known_eps, eps, n, idx, c->mesh.n_sites);
	if (!err && s && s->mesh_tag)
		memcpy(tag.tag, s->mesh_tag, sizeof(tag.tag));
	if (!err && bpf_map_update_elem(d->fds.mesh_tag, &zero, &tag, BPF_ANY))
		err = -errno;
	free(eps);
	free(idx);
	return err;
}

static const char *wg_name(const struct mg_config *c)
{
	return c->local.wg_if[0] ? c->local.wg_if : MG_DEFAULT_WG_IF;
}

const char *dataplane_nic_name(const struct mg_config *c, int i)
{
	size_t u = (size_t)i - 1;

	if (i == 0)
		return c->local.lan_if;
	if (i == 1)
		return c->local.uplink_if;
	return local_multi_uplink(&c->local) && i < DATAPLANE_NICS && u < c->local.n_uplinks ?
	       c->local.uplinks[u].name : "";
}

bool dataplane_lan_kernel_allowed(const struct mg_config *c)
{
	/* own uplink: the WireGuard and probe packets tc_lan must see arrive there;
	 * no exit: only tc_lan steers LAN traffic to it; FastPath = tc or xdp asks
	 * for meshgw's programs there */
	return c->local.fast_path == MG_FAST_AUTO && c->local.uplink_if[0] &&
	       strcmp(c->local.uplink_if, c->local.lan_if) && !c->local.n_exit_via;
}

/* Reads what the kernel says about the LAN NIC and the uplinks, and plans each:
 * XDP or TC only, XDP transmit target or not (dp_iface.h). The second and later
 * uplinks run TC only; any uplink may be missing (a modem not connected yet:
 * planned when the daemon sees it appear); each is published in mg_ifaces like the first,
 * so tc_lan there knows its kind (Ethernet or layer 3) and whether netfilter
 * acts, and the fast paths may forward from and to it. */
static int plan_nics(struct dp *d, const struct mg_config *c)
{
	for (int i = 0; i < DATAPLANE_NICS; i++) {
		struct dp_nic *n = &d->nic[i];
		const char *name = dataplane_nic_name(c, i);
		bool optional = i >= 1;		/* any uplink (resolve_ifaces) */
		bool dup = false;
		int err;

		if (!name[0] || (optional && !if_nametoindex(name)))
			continue;
		if ((err = dp_iface_probe(name, &n->info))) {
			if (err == -ENODEV && optional) {	/* gone meanwhile */
				memset(n, 0, sizeof(*n));
				continue;
			}
			pr_err("Failed to read interface %s: %s", name, strerror(-err));
			return err;
		}
		for (int k = 0; k < i; k++)
			dup |= d->nic[k].info.ifindex == n->info.ifindex;
		if (dup && i >= MG_XDP_IFACES) {	/* (one-armed: LAN = uplink, one entry) */
			memset(n, 0, sizeof(*n));
			continue;
		}
		n->xdp = dp_iface_want_xdp(&n->info, c->local.fast_path, &n->xdp_why);
		if (n->xdp && i >= MG_XDP_IFACES) {
			n->xdp = false;
			n->xdp_why = MG_WHY_MORE_UPLINK;
		}
		n->xmit = dp_iface_xmit(&n->info, &n->xmit_why);
		d->n_nic = i + 1;
	}
	return 0;
}

/* Writes n's plan to mg_ifaces, keeping its failure counters. A target the
 * tracepoints took off stays off when the kernel cannot say it is fixed (no
 * xdp-features): a reload must not drop frames into it again. */
static int nic_publish(struct dp *d, const struct dp_nic *n)
{
	__u32 key = (__u32)n->info.ifindex;
	struct mg_iface v = { 0 };
	bool xmit = n->xmit;
	enum mg_if_why why = n->xmit_why;

	if (!bpf_map_lookup_elem(d->fds.ifaces, &key, &v) && v.why == MG_WHY_RUNTIME &&
	    !n->info.features_known && xmit) {
		xmit = false;
		why = MG_WHY_RUNTIME;
	}
	snprintf(v.name, sizeof(v.name), "%s", n->info.name);
	v.flags = (n->xdp ? MG_IF_XDP : 0) | (xmit ? MG_IF_XMIT : 0) | (n->info.ether ? 0 : MG_IF_L3) |
		  (d->fwd_ok && !n->info.tc.ingress ? MG_IF_FWD : 0) |
		  (n->info.tc.ingress ? MG_IF_FILTERS : 0) | (xmit && dp_iface_tx(&n->info) ? MG_IF_TX : 0) |
		  (n == &d->nic[0] && d->lan_kernel ? MG_IF_KERNEL : 0) | (d->tcx ? MG_IF_TCX : 0) |
		  dp_iface_sysctl_flags(n->info.name);
	v.why = !n->xdp ? n->xdp_why : !xmit ? why : MG_WHY_NONE;
	if (bpf_map_update_elem(d->fds.ifaces, &key, &v, BPF_ANY)) {
		pr_err("Failed to update %s for %s: %s", MG_MAP_NAME(ifaces), n->info.name, strerror(errno));
		return -errno;
	}
	return 0;
}

/* mg_ifaces holds exactly the NICs of d: others (an interface the
 * configuration no longer names, or an old index) go. */
static void nics_prune(struct dp *d)
{
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(d->fds.ifaces, prev, &next)) {
		bool ours = false;

		key = next;
		for (int i = 0; i < d->n_nic; i++)
			ours |= d->nic[i].info.ifindex && (__u32)d->nic[i].info.ifindex == key;
		if (!ours && !bpf_map_delete_elem(d->fds.ifaces, &key))
			continue;	/* deleted: the next key after a deleted one restarts */
		prev = &key;
	}
}

/* What the programs read of mg_ifaces, after every write of it (dp_iface.h). */
static int slots_sync(struct dp *d)
{
	int err = dp_iface_slots_sync(d->fds.ifaces, d->fds.if_slots);

	if (err)
		pr_err("Failed to update %s: %s", MG_MAP_NAME(if_slots), strerror(-err));
	return err;
}

static void nics_log(const struct dp *d, enum mg_tc_hook want)
{
	pr_info("TC programs: %s", d->tcx ? "tcx links" : want == MG_TC_CLS_BPF ?
		"cls_bpf filters (TcHook = cls_bpf)" :
		"cls_bpf filters (this kernel has no tcx: Linux 6.6 and later)");
	for (int i = 0; i < d->n_nic; i++) {
		const struct dp_nic *n = &d->nic[i];
		const char *kind = !n->info.ether ? "layer 3" : n->info.kind[0] ? n->info.kind : "NIC";

		if (!n->info.ifindex)
			continue;
		if (n->info.tc.ingress)
			pr_info("%s: %s of another tool on its ingress, which meshgw's redirects would "
				"pass by: the kernel forwards what comes in here", n->info.name,
				n->info.tc.what);
		if (n->xdp)
			pr_info("%s (%s): XDP%s%s", n->info.name, kind,
				n->xmit ? "" : "; not an XDP target: ",
				n->xmit ? "" : dp_why_text(n->xmit_why));
		else if (n == &d->nic[0] && d->lan_kernel)
			pr_info("%s (%s): %s", n->info.name, kind, DP_KERNEL_TEXT);
		else
			pr_info("%s (%s): TC only (%s)", n->info.name, kind, dp_why_text(n->xdp_why));
	}
}

/* The tracepoint programs that take a device off the fast path when the kernel
 * reports a failed XDP transmit (bpf/xdp_fallback.bpf.c), pinned as
 * PinPath/tp_<tracepoint> so they outlive this process like the XDP links. */
static const char *const fallback_pins[] = {
	"tp_xdp_exception", "tp_xdp_bulk_tx", "tp_xdp_redirect_err", "tp_xdp_devmap_xmit",
};

static void fallback_down(const char *pin)
{
	char path[DP_PATH];

	for (size_t i = 0; i < sizeof(fallback_pins) / sizeof(fallback_pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin, fallback_pins[i]);
		if (unlink(path) && errno != ENOENT)
			pr_warn("Failed to unpin %s: %s", path, strerror(errno));
	}
}

/* Not fatal: without them the fast path still follows what the kernel says
 * (xdp-features), only not its run-time failures. */
static void fallback_up(struct dp *d)
{
	struct bpf_program *progs[] = {
		d->fb->progs.mg_fb_exception, d->fb->progs.mg_fb_bulk_tx,
		d->fb->progs.mg_fb_redirect_err, d->fb->progs.mg_fb_devmap_xmit,
	};
	char path[DP_PATH];

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link = bpf_program__attach(progs[i]);
		int err;

		if (!link) {
			pr_warn("Failed to attach to tracepoint xdp:%s (%s): a failed XDP transmit will "
				"not turn the fast path off", fallback_pins[i] + 3, strerror(errno));
			continue;
		}
		/* Replace an earlier run's link: it detaches once unpinned. */
		snprintf(path, sizeof(path), "%s/%s", d->pin, fallback_pins[i]);
		unlink(path);
		if ((err = bpf_link__pin(link, path)))
			pr_warn("Failed to pin %s: %s", path, strerror(-err));
		bpf_link__destroy(link);
	}
}

/* Resolves PinPath and the interfaces into d, then refuses what dataplane_up
 * would have to refuse (a missing interface, an XDP program or TC filter meshgw
 * did not attach) without changing anything. The WireGuard interface may be
 * missing unless wg_required (`meshgw up` creates it after this check). */
static int resolve_ifaces(struct dp *d, const struct mg_config *c, bool wg_required)
{
	const char *wg = wg_name(c);
	int err;

	if ((err = dataplane_pin_path(&c->local, d->pin, sizeof(d->pin)))) {
		pr_err("PinPath too long");
		return err;
	}
	if ((d->lan = ifindex_of(c->local.lan_if, "LAN", true)) < 0)
		return d->lan;
	/* Any uplink may be missing, the first and the only one too (a PPPoE or LTE
	 * link not connected yet at boot): the daemon attaches the data plane to it
	 * when it appears. Meanwhile the other uplinks carry the mesh; with one,
	 * nothing does until it is there, as without meshgw. (With several,
	 * steer_resolve says which are missing.) */
	if (c->local.uplink_if[0] && !if_nametoindex(c->local.uplink_if)) {
		d->uplink = 0;
		if (!local_multi_uplink(&c->local) && c->local.n_uplinks)
			pr_warn("%s:%d: UplinkInterface %s does not exist (yet): no path to the other "
				"sites until it is there (`meshgw run` attaches to it when it appears)",
				c->local.path, c->local.uplinks[0].line, c->local.uplink_if);
	} else if ((d->uplink = ifindex_of(c->local.uplink_if, "uplink", false)) < 0) {
		return d->uplink;
	}
	if (wg_required && (d->wg = ifindex_of(wg, "WireGuard", true)) < 0)
		return d->wg;
	if (!wg_required)
		d->wg = if_nametoindex(wg);
	if ((err = plan_nics(d, c)))
		return err;
	if ((err = dp_tc_mode(c->local.tc_hook, d->lan, &d->tcx)))
		return err;
	for (int i = 0; i < d->n_nic; i++) {
		struct dp_nic *n = &d->nic[i];

		/* dataplane_check (!wg_required) says nothing: dataplane_up will. */
		if (n->xdp && xdp_check_free(d->pin, n->info.name, n->info.ifindex, wg_required)) {
			n->xdp = false;
			n->xdp_why = MG_WHY_FOREIGN;
		}
	}
	d->nf = dp_forwarding_hooked(d->nf_what, sizeof(d->nf_what));
	d->fwd_ok = d->nf == 0;
	d->lan_kernel = dataplane_lan_kernel_allowed(c) && d->uplink &&
			dp_iface_lan_kernel(&d->nic[0].info, !d->fwd_ok);
	for (size_t u = 1; local_multi_uplink(&c->local) && u < c->local.n_uplinks; u++) {
		const char *name = c->local.uplinks[u].name;
		int idx = (int)if_nametoindex(name);

		/* A missing uplink is not an error: it gets no responder until it exists
		 * and the configuration is applied again. */
		if (idx && (err = dp_tc_check_free(d->tcx, name, idx, false)))
			return err;
	}
	if ((!d->lan_kernel && (err = dp_tc_check_free(d->tcx, c->local.lan_if, d->lan, false))) ||
	    (d->uplink && (err = dp_tc_check_free(d->tcx, c->local.uplink_if, d->uplink, false))) ||
	    (d->wg && (err = dp_tc_check_free(d->tcx, wg, d->wg, false))) ||
	    (d->wg && (err = dp_tc_check_free(d->tcx, wg, d->wg, true))))
		return err;
	return 0;
}

/* Several uplinks: tc_lan on the ingress of the second and later uplinks, so the
 * probes other sites send to their addresses are answered there, WireGuard's
 * packets arriving there are counted per endpoint, and what arrives there is
 * forwarded as from the first uplink. Their probe replies are not taken: the
 * daemon's probes through those uplinks leave from ports above MG_PROBE_PORTS
 * (probe_port_of), which the programs pass to its sockets. One slot each (their
 * NICs, planned in d->nic[2..]); the slots of uplinks the configuration no longer
 * has, or that are not there, are cleared. */
static int tc_more_uplinks(struct dp *d, const struct mg_config *c)
{
	for (__u32 slot = MG_SLOT_TC_UPLINK_MORE; slot < MG_SLOT__MAX; slot++) {
		const struct dp_nic *n = &d->nic[MG_XDP_IFACES + slot - MG_SLOT_TC_UPLINK_MORE];
		int err;

		if (!n->info.ifindex) {
			tc_forget(d, slot);
			continue;
		}
		if ((err = tc_up(d, slot, n->info.name, n->info.ifindex, PROG_TC_LAN)))
			return err;
	}
	for (size_t u = 1 + DATAPLANE_MORE_UPLINKS; u < c->local.n_uplinks; u++)
		pr_info("%s: only the first %d uplinks answer probes; the kernel forwards what "
			"arrives there", c->local.uplinks[u].name, 1 + DATAPLANE_MORE_UPLINKS);
	return 0;
}

/* prog stands in for program pr unless it has a copy already: dp_progs.h. */
static void prog_try(struct dp *d, enum dp_prog_no pr, __u32 id)
{
	struct dp_prog *p = &d->prog[pr];
	int fd;

	if (!p->p || p->fd >= 0 || !id)
		return;		/* not opened (XDP on no NIC), or found already */
	fd = dp_prog_reuse(id, p->p, p->rodata, &d->pinned);
	if (fd < 0)
		return;
	p->fd = fd;
	p->id = id;
	p->kept = true;
}

/* Looks for loaded copies of the programs this run would load where earlier
 * runs attached them: the TC slots of mg_attach, the XDP links and tracepoint
 * links pinned under PinPath. Needs the pinned maps (none: the first `up`, or
 * they were removed: everything is loaded). */
static void progs_find(struct dp *d)
{
	char path[DP_PATH];

	if (dp_pins_open(d->pin, &d->fds, &d->pinned))
		return;
	d->pins_open = true;
	for (__u32 slot = 0; slot < MG_SLOT__MAX; slot++) {
		enum dp_prog_no pr = slot == MG_SLOT_TC_WG_EGRESS ? PROG_WG_EGRESS :
				     slot == MG_SLOT_TC_WG_INGRESS ? PROG_WG_INGRESS : PROG_TC_LAN;
		struct dp_tc t = tc_of(d);

		prog_try(d, pr, dp_tc_prog_id(&t, slot));
	}
	for (int i = 0; i < d->n_nic; i++) {
		if (!d->nic[i].info.name[0])
			continue;
		xdp_pin_name(path, sizeof(path), d->pin, d->nic[i].info.name);
		prog_try(d, PROG_XDP, dp_link_prog_id(path));
	}
	for (size_t i = 0; i < sizeof(fallback_pins) / sizeof(fallback_pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->pin, fallback_pins[i]);
		prog_try(d, PROG_FB_EXCEPTION + i, dp_link_prog_id(path));
	}
}

int dataplane_check(const struct mg_config *c)
{
	struct dp d = { 0 };

	return resolve_ifaces(&d, c, false);
}

int dataplane_up(const struct mg_config *c, const struct dp_settings *s)
{
	const char *wg = wg_name(c);
	char path[DP_PATH];
	struct dp d = { 0 };
	bool fresh, xdp = false;
	int err;

	if ((err = resolve_ifaces(&d, c, true)))
		return err;
	/* No attachment record yet: whatever fails below is undone completely. */
	snprintf(path, sizeof(path), "%s/%s", d.pin, MG_MAP_NAME(attach));
	fresh = access(path, F_OK) != 0;
	if ((err = dataplane_pin_dir_make(d.pin)))
		return err;
	for (int i = 0; i < d.n_nic; i++)
		xdp |= d.nic[i].xdp;
	if ((err = open_objs(&d, c, s, xdp)))
		goto out;
	progs_find(&d);
	/* Only what this run attaches is loaded, and only what it cannot keep:
	 * TC always, XDP when a NIC gets it (the tracepoint programs with it, below). */
	if ((err = obj_ready(&d, OBJ_TC_WG)) || (err = obj_ready(&d, OBJ_TC_LAN)) ||
	    (xdp && (err = obj_ready(&d, OBJ_XDP))))
		goto out;
	/* A fresh data plane gets its maps first, so that its programs start on a
	 * complete table (a failure below removes it all). A running one gets them
	 * last: its programs, old or new, run on the table it had until then, and an
	 * attachment that fails leaves that table as it was, matching the WireGuard
	 * peers and routes that `up` then puts back. */
	if (fresh && (err = fill(&d, c, s)))
		goto out;
	/* (resolve_ifaces asked) */
	if (d.nf > 0)
		pr_info("%s acts on forwarded traffic: the fast path leaves forwarding to the "
			"kernel", d.nf_what);
	else if (d.nf < 0)
		pr_info("netfilter or IPsec cannot be asked (%s): the fast path leaves forwarding to "
			"the kernel", strerror(-d.nf));
	for (int i = 0; i < d.n_nic; i++)
		if (d.nic[i].info.ifindex && (err = nic_publish(&d, &d.nic[i])))
			goto out;
	nics_prune(&d);
	if ((err = slots_sync(&d)))
		goto out;
	if ((err = tc_up(&d, MG_SLOT_TC_WG_EGRESS, wg, d.wg, PROG_WG_EGRESS)) ||
	    (err = tc_up(&d, MG_SLOT_TC_WG_INGRESS, wg, d.wg, PROG_WG_INGRESS)))
		goto out;
	{
		struct dp_tc_others o;

		if ((err = dp_tc_wg_filters(d.fds.attach, &o)) < 0)
			goto out;
		err = 0;
		if (o.ingress)
			pr_info("%s: %s " DP_WG_FILTERS_TEXT, wg, o.what);
	}
	/* After tc_wg, which counts the LAN's mesh traffic when tc_lan does not. */
	if (d.lan_kernel)
		tc_forget(&d, MG_SLOT_TC_LAN);
	else if ((err = tc_up(&d, MG_SLOT_TC_LAN, c->local.lan_if, d.lan, PROG_TC_LAN)))
		goto out;
	if (d.uplink) {
		if ((err = tc_up(&d, MG_SLOT_TC_UPLINK, c->local.uplink_if, d.uplink, PROG_TC_LAN)))
			goto out;
	} else {
		tc_forget(&d, MG_SLOT_TC_UPLINK);	/* an uplink the configuration dropped */
	}
	if ((err = tc_more_uplinks(&d, c)))
		goto out;
	for (int i = 0; i < d.n_nic; i++) {
		struct dp_nic *n = &d.nic[i];

		if (!n->xdp)
			continue;
		err = xdp_up(&d, n->info.name, n->info.ifindex, n->info.kind);
		if (err == -EOPNOTSUPP || err == XDP_REFUSED) {
			/* No native XDP in this driver, or not for us: TC does it all here. */
			n->xdp = false;
			n->xdp_why = err == XDP_REFUSED ? MG_WHY_REFUSED : MG_WHY_NO_NATIVE;
			err = nic_publish(&d, n);
			if (!err)
				err = slots_sync(&d);
		}
		if (err)
			goto out;
	}
	{
		const char *keep[DATAPLANE_NICS + 1] = { NULL };
		int k = 0;
		bool any = false;

		for (int i = 0; i < d.n_nic; i++)
			if (d.nic[i].xdp) {
				keep[k++] = d.nic[i].info.name;
				any = true;
			}
		/* NICs the configuration no longer names, or that are TC only now */
		dp_links_sweep(d.pin, "xdp_", keep);
		if (any) {
			if ((err = obj_ready(&d, OBJ_FB)))
				goto out;
			/* Kept: their pinned links run them already. */
			if (!d.prog[PROG_FB_EXCEPTION].kept)
				fallback_up(&d);
		} else
			fallback_down(d.pin);
	}
	if (!fresh && (err = fill(&d, c, s)))
		goto out;
	nics_log(&d, c->local.tc_hook);
out:
	dp_close(&d);
	if (err && fresh) {
		pr_err("Removing the data plane this run attached");
		dataplane_down(&c->local);
	}
	return err;
}

static bool in_default_root(const char *raw)
{
	size_t n = strlen(MG_DEFAULT_PIN_ROOT);

	return !raw[0] || (!strncmp(raw, MG_DEFAULT_PIN_ROOT "/", n + 1) && !strchr(raw + n + 1, '/'));
}

int dataplane_down(const struct mg_local *l)
{
	char pin[PATH_MAX], path[DP_PATH];
	int err;

	if ((err = dataplane_pin_path(l, pin, sizeof(pin))))
		return err;
	if (!is_bpffs(pin))
		return 0;	/* nothing pinned: nothing of ours */
	dp_links_sweep(pin, "xdp_", NULL);	/* also interfaces the configuration no longer names */
	fallback_down(pin);
	snprintf(path, sizeof(path), "%s/%s", pin, MG_MAP_NAME(attach));
	{
		struct dp_tc t = { .attach_fd = bpf_obj_get(path), .pin = pin };

		dp_tc_down(&t);
		if (t.attach_fd >= 0)
			close(t.attach_fd);
	}
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin, map_names[i]);
		if (unlink(path) && errno != ENOENT)
			pr_warn("Failed to unpin %s: %s", path, strerror(errno));
	}
	if (rmdir(pin) && errno != ENOENT)
		pr_warn("%s not removed: %s", pin, strerror(errno));
	/* Under the default root (MG_DEFAULT_PIN_ROOT/<wg>) the root goes too once
	 * no gateway uses it; another's pins keep it (ENOTEMPTY, fine). */
	if (in_default_root(l->pin_path)) {
		char *slash = strrchr(pin, '/');

		if (slash) {
			*slash = '\0';
			rmdir(pin);
		}
	}
	return 0;
}
