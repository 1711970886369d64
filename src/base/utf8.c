/* utf8.c - UTF-8 validation and the escaping of untrusted text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

size_t utf8_sequence(const unsigned char *s, size_t left)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

size_t text_escape(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);
		char esc[5];
		const char *w = (const char *)p + i;
		size_t wn = n;

		if (n == 1 && p[i] == '\\') {
			w = "\\\\";
			wn = 2;
		} else if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i]);
			w = esc;
			wn = 4;
			n = 1;
		}
		if (o + wn >= size)
			break;
		memcpy(out + o, w, wn);
		o += wn;
		i += n;
	}
	out[o] = '\0';
	return o;
}
