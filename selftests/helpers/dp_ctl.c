// SPDX-License-Identifier: GPL-2.0-only
/* Test driver of the data plane loader until `meshgw up` calls it:
 *   dp_ctl up MESH LOCAL [PROBE_PORT]   dataplane_up (tag from the mesh + MeshSecretFile,
 *                                        probe port default ListenPort + 1)
 *   dp_ctl probe MESH LOCAL ADDR PORT SEQ  one probe request from the probe port
 *   dp_ctl down MESH LOCAL               dataplane_down
 *   dp_ctl peers PINPATH                 "name rx_packets tx_packets lan_packets rx_bytes tx_bytes"
 *   dp_ctl stats PINPATH                 "stat_name packets bytes" for every verdict */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/dp_maps.h"
#include "wg/keys.h"
#include "lib/log.h"
#include "failover/probe.h"

static int load(struct mg_config *c, const char *mesh, const char *local)
{
	struct mg_errors e = { .out = stderr };

	return config_load(c, mesh, local, &e);
}

int main(int argc, char **argv)
{
	struct mg_config c;
	struct dp_maps m;
	int err;

	log_route_libbpf();
	if (argc >= 4 && !strcmp(argv[1], "up")) {
		uint8_t tag[MG_PROBE_TAG_LEN];
		struct dp_settings s = { .mesh_tag = tag };

		memset(&c, 0, sizeof(c));
		if (load(&c, argv[2], argv[3]))
			return 1;
		if (probe_tag_for_config(&c, tag))
			return 1;
		s.probe_port = argc > 4 ? atoi(argv[4]) : probe_port_of(&c);
		err = dataplane_up(&c, &s);
		config_free(&c);
		return err ? 1 : 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "probe")) {
		uint8_t tag[MG_PROBE_TAG_LEN];
		struct sockaddr_storage to = { 0 };
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		uint64_t tx;
		int fd;

		memset(&c, 0, sizeof(c));
		if (load(&c, argv[2], argv[3]) || probe_tag_for_config(&c, tag))
			return 1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(atoi(argv[5]));
		if (inet_pton(AF_INET, argv[4], &sin->sin_addr) != 1)
			return 2;
		fd = probe_socket_open(probe_port_of(&c));
		if (fd < 0 || probe_send(fd, &to, atoi(argv[6]), tag, &tx)) {
			fprintf(stderr, "probe: %s\n", strerror(fd < 0 ? -fd : errno));
			return 1;
		}
		close(fd);
		config_free(&c);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "down")) {
		memset(&c, 0, sizeof(c));
		if (load(&c, argv[2], argv[3]))
			return 1;
		err = dataplane_down(&c.local);
		config_free(&c);
		return err ? 1 : 0;
	}
	if (argc >= 3 && (!strcmp(argv[1], "peers") || !strcmp(argv[1], "stats"))) {
		if (dp_maps_open(&m, argv[2])) {
			fprintf(stderr, "nothing pinned under %s\n", argv[2]);
			return 1;
		}
		if (!strcmp(argv[1], "stats")) {
			for (int i = 0; i < MG_STAT__MAX; i++) {
				struct mg_counter v;

				if (!dp_stat(&m, i, &v))
					printf("%s %llu %llu\n", dp_stat_desc[i].name,
					       (unsigned long long)v.packets,
					       (unsigned long long)v.bytes);
			}
		} else {
			struct dp_peer_slot *slot = NULL;
			long n = dp_peer_slots(m.fd.peer_info, &slot);

			if (n < 0) {
				fprintf(stderr, "cannot read mg_peer_info under %s\n", argv[2]);
				return 1;
			}
			for (long i = 0; i < n; i++) {
				struct mg_peer_stats ps;

				if (dp_peer_stats(&m, slot[i].index, &ps))
					continue;
				printf("%.*s %llu %llu %llu %llu %llu %llu\n", MG_PEER_NAME_LEN, slot[i].name,
				       (unsigned long long)ps.rx_packets,
				       (unsigned long long)ps.tx_packets,
				       (unsigned long long)ps.lan_packets,
				       (unsigned long long)ps.rx_bytes,
				       (unsigned long long)ps.tx_bytes,
				       (unsigned long long)ps.lan_bytes);
			}
			free(slot);
		}
		dp_maps_close(&m);
		return 0;
	}
	fprintf(stderr, "usage: dp_ctl up|down MESH LOCAL [PROBE_PORT] | probe MESH LOCAL ADDR PORT SEQ"
		" | peers|stats PINPATH\n");
	return 2;
}
