/* utf8.h - bytes from outside (process names from the kernel, log lines)
 * made safe to print: valid UTF-8 kept, everything else visible. */
#ifndef SEGMENTD_UTF8_H
#define SEGMENTD_UTF8_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at s (at most left bytes, left
 * >= 1), or 0 when it is not one (overlong, surrogate, above U+10FFFF,
 * cut short). */
size_t utf8_sequence(const unsigned char *s, size_t left);

/* in[0..len) as printable text into out (size > 0, always terminated):
 * printable ASCII and valid UTF-8 as they are, a backslash as "\\",
 * control bytes, DEL and bytes that are not UTF-8 as "\xNN".  Cut at a
 * whole character when out is too small.  The length written. */
size_t text_escape(char *out, size_t size, const char *in, size_t len);

#endif
