/* SPDX-License-Identifier: GPL-2.0-only */
/* An exit site's masquerade (DESIGN.md "Internet exit through another site"): the
 * nftables table `up` adds when the site has Exit = yes, and `down` deletes. */
#pragma once
#include <stddef.h>
#include "config/config.h"

#define MG_EXIT_NAT_PREFIX "meshgw_exit_"

/* The table's name for WireGuard interface wg_if: "meshgw_exit_" + the name with
 * every character nft identifiers do not take as '_'. */
void exit_nat_table(const char *wg_if, char *buf, size_t len);
/* With self->exit: the table, replaced whole in one transaction (an unchanged
 * mesh changes nothing that matters; counters of its rule restart). Without:
 * removes the table an earlier `up` added. *added (what the state recorded) says
 * whether the table is there afterwards; a failed change leaves the old one and
 * *added as they were. 0 or -errno, the nft error printed. */
int exit_nat_apply(const struct mg_config *c, bool *added);
/* Deletes the table (nothing when it is not there). 0 or -errno. */
int exit_nat_remove(const char *wg_if);
/* The table as nftables prints it (its sets' elements included), for
 * exit_nat_restore to put back; NULL when there is none (or nftables cannot be
 * asked). Free it. */
char *exit_nat_save(const char *wg_if);
/* Puts back a table exit_nat_save read, whatever is there now, in one
 * transaction. 0 or -errno, the nft error printed. */
int exit_nat_restore(const char *wg_if, const char *saved);
