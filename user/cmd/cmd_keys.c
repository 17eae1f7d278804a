// SPDX-License-Identifier: GPL-2.0-only
/* genkey, pubkey, genpsk: the same formats and behaviour as wg(8). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd/commands.h"
#include "wg/keys.h"

/* 0 to go on; else the command ends with *status: 0 after --help/-h (usage on
 * stdout, like every other command's), 1 after anything else. */
static int no_args(int argc, char **argv, int *status)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: meshgw %s\n", argv[0]);
		*status = 0;
		return -1;
	}
	if (argc > 1) {
		fprintf(stderr, "Usage: meshgw %s\n", argv[0]);
		*status = 1;
		return -1;
	}
	return 0;
}

static int print_key(const uint8_t key[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN];

	key_to_base64(b64, key);
	puts(b64);
	key_wipe(b64, sizeof(b64));
	if (fflush(stdout) || ferror(stdout)) {
		perror("meshgw: stdout");
		return 1;
	}
	return 0;
}

/* Like wg: warn when the key lands in a file others can read. */
static void warn_world_accessible(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		fputs("Warning: writing to world accessible file.\n"
		      "Consider setting the umask to 077 and trying again.\n", stderr);
}

static int gen(int argc, char **argv, bool private)
{
	uint8_t key[WG_KEY_LEN];
	int ret;

	if (no_args(argc, argv, &ret))
		return ret;
	warn_world_accessible();
	if (private)
		key_generate_private(key);
	else
		key_generate_psk(key);
	ret = print_key(key);
	key_wipe(key, sizeof(key));
	return ret;
}

int cmd_genkey(int argc, char **argv)
{
	return gen(argc, argv, true);
}

int cmd_genpsk(int argc, char **argv)
{
	return gen(argc, argv, false);
}

int cmd_pubkey(int argc, char **argv)
{
	char line[WG_KEY_B64_LEN + 2];	/* key + newline + one byte to catch overlong input */
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	size_t n;
	int ret = 1, c;

	if (no_args(argc, argv, &ret))
		return ret;
	/* wg reads exactly one key, then allows only trailing whitespace. */
	n = fread(line, 1, WG_KEY_B64_LEN - 1, stdin);
	line[n] = '\0';
	while ((c = getc(stdin)) != EOF) {
		if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
			n = 0;
			break;
		}
	}
	if (n != WG_KEY_B64_LEN - 1 || key_from_base64(priv, line)) {
		fputs("pubkey: Key is not the correct length or format\n", stderr);
		goto out;
	}
	if (key_public_from_private(pub, priv)) {
		fputs("pubkey: Key is degenerate\n", stderr);
		goto out;
	}
	ret = print_key(pub);
out:
	key_wipe(line, sizeof(line));
	key_wipe(priv, sizeof(priv));
	return ret;
}
