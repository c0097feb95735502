#include "pbwire.h"

const char *pb_strerror(int rc)
{
	switch (rc) {
	case PB_ERR_TRUNCATED:
		return "truncated field";
	case PB_ERR_VARINT:
		return "varint longer than 10 bytes";
	case PB_ERR_WIRETYPE:
		return "unknown wire type";
	case PB_ERR_FIELDNUM:
		return "field number 0";
	default:
		return "ok";
	}
}

size_t pb_count_varints(const uint8_t *p, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += p[i] < 0x80;
	return n;
}

void pb_put_varint(struct buf *b, uint64_t v)
{
	uint8_t *p;

	/* Straight into the buffer: this is the encoder's innermost call. */
	if (b->cap - b->len < 11)
		buf_reserve(b, 10);
	p = b->data + b->len;
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	b->len = (size_t)(p - b->data);
	*p = '\0';
}

void pb_put_tag(struct buf *b, uint32_t num, int wt)
{
	pb_put_varint(b, ((uint64_t)num << 3) | (uint64_t)wt);
}

void pb_put_uint(struct buf *b, uint32_t num, uint64_t v)
{
	if (!v)
		return;
	pb_put_tag(b, num, PB_VARINT);
	pb_put_varint(b, v);
}

void pb_put_int(struct buf *b, uint32_t num, int64_t v)
{
	pb_put_uint(b, num, (uint64_t)v);
}

void pb_put_bytes(struct buf *b, uint32_t num, const void *p, size_t len)
{
	pb_put_tag(b, num, PB_LEN);
	pb_put_varint(b, len);
	buf_append(b, p, len);
}
