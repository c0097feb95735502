/* libFuzzer target: the Go pclntab reader on arbitrary table bytes.
 *
 * The input (after one flag byte) is placed in a minimal ELF64 file
 * (pclntab_elf.h) with, unless flag bit 0 is set, a .gopclntab section
 * naming the table; without it the reader has to scan the segments. The
 * moduledata scan runs over the writable segment. A table that opens is then
 * looked up at every function entry (at most 64), inside and between
 * functions, and at addresses taken from the input. Every frame must have
 * NUL-terminated strings inside the image. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/agent/elfsym.h"
#include "../../src/agent/pclntab.h"
#include "pclntab_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct elfsym *elf, const struct pclntab *t, uint64_t va)
{
	struct pcln_frame f[PCLNTAB_MAX_INLINE];
	size_t n = pclntab_lookup(t, va, f, PCLNTAB_MAX_INLINE), i;

	if (n > PCLNTAB_MAX_INLINE)
		abort();
	for (i = 0; i < n; i++) {
		const char *s[2] = {f[i].function, f[i].file};

		for (int k = 0; k < 2; k++)
			if (s[k] && ((const uint8_t *)s[k] < elf->img ||
				     (const uint8_t *)s[k] >= elf->img + elf->len ||
				     !memchr(s[k], 0, (size_t)(elf->img + elf->len - (const uint8_t *)s[k]))))
				abort();
		if (f[i].line < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfsym elf;
	struct pclntab *t;
	size_t plen, len;
	uint8_t *img;
	int rc;

	if (size < 1 || size > (1u << 20))
		return 0;
	plen = size - 1;
	img = pclntab_elf(data + 1, plen, !(data[0] & 1), &len);
	if (!img)
		return 0;
	rc = elfsym_open_mem(img, len, 0, &elf, NULL);
	if (rc) {
		free(img);
		return 0;
	}
	rc = pclntab_open(&elf, &t, NULL);
	if (rc && rc != -ENOENT && rc != -EINVAL)
		abort();
	if (!rc) {
		size_t n = pclntab_nfunc(t), i;

		for (i = 0; i < n && i < 64; i++) {
			uint64_t a = pclntab_func_entry(t, i);

			check(&elf, t, a);
			check(&elf, t, a + 1);
			check(&elf, t, a + 17);
			check(&elf, t, a - 1);
		}
		for (i = 0; i + 8 <= plen && i < 256; i += 8) {
			uint64_t a;

			memcpy(&a, data + 1 + i, 8);
			check(&elf, t, a);
			check(&elf, t, pclntab_text_start(t) + (a & 0xffff));
		}
		pclntab_free(t);
	}
	elfsym_release(&elf);
	free(img);
	return 0;
}
