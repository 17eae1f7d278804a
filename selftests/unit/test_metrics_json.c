// SPDX-License-Identifier: GPL-2.0-only
/* The JSON writer behind `meshgw show -j`: escaping, nesting, misuse, and the
 * output of a realistic document parsed by python3 -m json.tool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "observe/json_writer.h"
#include "tap.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	jw_escape(f, s);
	fclose(f);
	return buf;
}

static void check_escape(const char *in, const char *want, const char *what)
{
	char *got = escaped(in);

	is_str(got, want, what);
	free(got);
}

static bool python_parses(const char *doc, size_t len)
{
	FILE *p;

	if (access("/usr/bin/python3", X_OK) && system("command -v python3 >/dev/null 2>&1"))
		return true;
	p = popen("python3 -m json.tool >/dev/null 2>&1", "w");
	fwrite(doc, 1, len, p);
	return pclose(p) == 0;
}

int main(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct jw w;

	check_escape("plain", "plain", "plain text unchanged");
	check_escape("a\"b\\c", "a\\\"b\\\\c", "quote and backslash");
	check_escape("\n\r\t", "\\n\\r\\t", "newline, CR, tab");
	check_escape("\x01\x1f\x7f", "\\u0001\\u001f\\u007f", "other control characters as \\u00XX");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "valid UTF-8 (2, 3, 4 bytes) kept");
	check_escape("a\xff" "b", "a\\ufffdb", "invalid byte -> U+FFFD");
	check_escape("\xc3", "\\ufffd", "truncated sequence at the end");
	check_escape("\xc0\xaf", "\\ufffd\\ufffd", "overlong encoding refused");
	check_escape("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "UTF-16 surrogate refused");
	check_escape("\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", "above U+10FFFF refused");
	check_escape("/", "/", "slash not escaped");

	/* Compact document, exact text. */
	f = open_memstream(&buf, &len);
	jw_init(&w, f, false);
	jw_object(&w, NULL);
	jw_string(&w, "s", "x\"y");
	jw_u64(&w, "u", UINT64_MAX);
	jw_i64(&w, "i", INT64_MIN);
	jw_bool(&w, "t", true);
	jw_null(&w, "n");
	jw_string(&w, "ns", NULL);
	jw_array(&w, "a");
	jw_u64(&w, NULL, 1);
	jw_object(&w, NULL);
	jw_end(&w);
	jw_array(&w, NULL);
	jw_end(&w);
	jw_end(&w);
	jw_object(&w, "k\"ey");
	jw_end(&w);
	jw_end(&w);
	is_int(jw_finish(&w), 0, "balanced document: jw_finish 0");
	fclose(f);
	is_str(buf, "{\"s\":\"x\\\"y\",\"u\":18446744073709551615,\"i\":-9223372036854775808,"
		    "\"t\":true,\"n\":null,\"ns\":null,\"a\":[1,{},[]],\"k\\\"ey\":{}}\n",
	       "compact output exact");
	ok(python_parses(buf, len), "  python3 -m json.tool parses it");
	free(buf);

	/* Pretty, nested, with hostile strings: still valid JSON. */
	f = open_memstream(&buf, &len);
	jw_init(&w, f, true);
	jw_object(&w, NULL);
	jw_array(&w, "peers");
	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p\x01%d\xff\"\\", i);
		jw_object(&w, NULL);
		jw_string(&w, name, name);
		jw_array(&w, "endpoints");
		for (int e = 0; e < 3; e++)
			jw_u64(&w, NULL, (uint64_t)e);
		jw_end(&w);
		jw_end(&w);
	}
	jw_end(&w);
	jw_end(&w);
	is_int(jw_finish(&w), 0, "pretty nested document balanced");
	fclose(f);
	ok(python_parses(buf, len), "  python3 -m json.tool parses it");
	ok(strstr(buf, "\n  \"peers\": [\n    {\n") != NULL, "  indented two spaces per level");
	free(buf);

	/* Misuse is reported, not hidden. */
	f = open_memstream(&buf, &len);
	jw_init(&w, f, false);
	jw_object(&w, NULL);
	is_int(jw_finish(&w), -EINVAL, "unclosed object: -EINVAL");
	jw_init(&w, f, false);
	jw_end(&w);
	is_int(jw_finish(&w), -EINVAL, "close without open: -EINVAL");
	jw_init(&w, f, false);
	for (int i = 0; i < JW_MAX_DEPTH + 5; i++)
		jw_array(&w, NULL);
	ok(w.err == -EINVAL && w.depth < JW_MAX_DEPTH, "nesting deeper than %d refused", JW_MAX_DEPTH);
	fclose(f);
	free(buf);
	return tap_done();
}
