#include "gz.h"

#include <errno.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"

int gz_is_gzip(const uint8_t *p, size_t len)
{
	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* The gzip trailer's ISIZE (size mod 2^32) is only a hint: it may lie, and
 * concatenated members each have their own. Start from it, double on
 * LIBDEFLATE_INSUFFICIENT_SPACE, and never exceed max. */
static size_t first_guess(const uint8_t *p, size_t len, size_t max)
{
	size_t isize = 0;

	if (len >= 18)
		isize = (size_t)p[len - 4] | (size_t)p[len - 3] << 8 |
			(size_t)p[len - 2] << 16 | (size_t)p[len - 1] << 24;
	if (isize < len * 2)
		isize = len * 4;
	/* deflate cannot expand more than 1032:1, so a larger ISIZE is a lie
	 * that must not make us allocate up to max for a tiny body. */
	if (len < SIZE_MAX / 1032 && isize > len * 1032 + 4096)
		isize = len * 1032 + 4096;
	if (isize < 4096)
		isize = 4096;
	return isize > max ? max : isize;
}

static int inflate_members(struct libdeflate_decompressor *d, const uint8_t *p,
			   size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t used = 0;

	while (len) {
		size_t in_n = 0, out_n = 0;
		enum libdeflate_result r;

		if (!gz_is_gzip(p, len))
			break; /* trailing garbage after a member: ignore, as Go does */
		r = libdeflate_gzip_decompress_ex(d, p, len, out + used, cap - used,
						  &in_n, &out_n);
		if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
			return -E2BIG;
		if (r != LIBDEFLATE_SUCCESS)
			return -EINVAL;
		used += out_n;
		p += in_n;
		len -= in_n;
	}
	*outlen = used;
	return 0;
}

int gz_inflate(const uint8_t *p, size_t len, size_t max, uint8_t **out,
	       size_t *outlen, struct err *e)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t cap = first_guess(p, len, max);
	uint8_t *o = NULL;
	int rc;

	if (!d)
		return err_set(e, -ENOMEM, "gzip: cannot allocate a decompressor");
	for (;;) {
		o = xrealloc(o, cap + 1);
		rc = inflate_members(d, p, len, o, cap, outlen);
		if (rc != -E2BIG || cap >= max)
			break;
		cap = cap > max / 2 ? max : cap * 2;
	}
	libdeflate_free_decompressor(d);
	if (rc == -E2BIG) {
		free(o);
		return err_set(e, rc, "gzip: decompressed size exceeds the limit of %zu bytes", max);
	}
	if (rc) {
		free(o);
		return err_set(e, rc, "gzip: corrupt or truncated data");
	}
	*out = o;
	return 0;
}

int gz_deflate(const uint8_t *p, size_t len, int level, uint8_t **out,
	       size_t *outlen, struct err *e)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t bound, n;
	uint8_t *o;

	if (!c)
		return err_set(e, -EINVAL, "gzip: bad compression level %d", level);
	bound = libdeflate_gzip_compress_bound(c, len);
	o = xmalloc(bound);
	n = libdeflate_gzip_compress(c, p, len, o, bound);
	libdeflate_free_compressor(c);
	if (!n) {
		free(o);
		return err_set(e, -EIO, "gzip: compression failed");
	}
	*out = o;
	*outlen = n;
	return 0;
}
