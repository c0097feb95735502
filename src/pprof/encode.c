/* pprof encoding. Field order and the packing rule follow pprof's own
 * encoder (profile/encode.go), so `go tool pprof -raw` shows our output as
 * it would its own. Nested messages are written into a scratch buffer and
 * then copied behind their length, which costs one memcpy per message but
 * no size pre-pass. */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "../base/xalloc.h"
#include "gz.h"
#include "pbwire.h"

/* What the locations of one mapping say about its symbolization. */
struct symflags {
	uint8_t any, no_lines, no_file, no_lineno, inlined;
};

/* Repeated integers: packed when more than two, as pprof does. */
static void put_repeated(struct buf *b, struct buf *tmp, uint32_t num,
			 const uint64_t *v, size_t n)
{
	size_t i;

	if (n <= 2) {
		for (i = 0; i < n; i++) {
			pb_put_tag(b, num, PB_VARINT);
			pb_put_varint(b, v[i]);
		}
		return;
	}
	buf_reset(tmp);
	for (i = 0; i < n; i++)
		pb_put_varint(tmp, v[i]);
	pb_put_bytes(b, num, tmp->data, tmp->len);
}

static void put_msg(struct buf *b, uint32_t num, const struct buf *msg)
{
	pb_put_bytes(b, num, msg->data, msg->len);
}

static void put_value_type(struct buf *b, struct buf *m, uint32_t num,
			   const struct pprof_value_type *vt)
{
	buf_reset(m);
	pb_put_uint(m, 1, vt->type);
	pb_put_uint(m, 2, vt->unit);
	put_msg(b, num, m);
}

struct scratch {
	struct buf msg, packed, sub;
	uint64_t *ids;
	size_t cap;
};

static void put_sample(const struct pprof_profile *p, size_t i,
		       struct scratch *s, struct buf *b)
{
	const struct pprof_sample *sm = &p->sample[i];
	size_t k, nv = p->nsample_type;

	XGROW(s->ids, s->cap, sm->nloc > nv ? sm->nloc : nv);
	buf_reset(&s->msg);
	for (k = 0; k < sm->nloc; k++)
		s->ids[k] = p->location[p->sample_loc[sm->loc_off + k]].id;
	put_repeated(&s->msg, &s->packed, 1, s->ids, sm->nloc);
	for (k = 0; k < nv; k++)
		s->ids[k] = (uint64_t)p->value[i * nv + k];
	put_repeated(&s->msg, &s->packed, 2, s->ids, nv);
	for (k = 0; k < sm->nlabel; k++) {
		const struct pprof_label *l = &p->label[sm->label_off + k];
		buf_reset(&s->sub);
		pb_put_uint(&s->sub, 1, l->key);
		pb_put_uint(&s->sub, 2, l->str);
		pb_put_int(&s->sub, 3, l->num);
		pb_put_uint(&s->sub, 4, l->num_unit);
		put_msg(&s->msg, 3, &s->sub);
	}
	put_msg(b, 2, &s->msg);
}

static void put_mapping(const struct pprof_mapping *m, const struct symflags *f,
			struct buf *msg, struct buf *b)
{
	/* A mapping with no locations keeps the flags it came with. */
	int funcs = m->has_functions || (f->any && !f->no_lines);
	int files = m->has_filenames || (f->any && !f->no_lines && !f->no_file);
	int lines = m->has_line_numbers || (f->any && !f->no_lines && !f->no_lineno);
	int inl = m->has_inline_frames || f->inlined;

	buf_reset(msg);
	pb_put_uint(msg, 1, m->id);
	pb_put_uint(msg, 2, m->start);
	pb_put_uint(msg, 3, m->limit);
	pb_put_uint(msg, 4, m->offset);
	pb_put_uint(msg, 5, m->filename);
	pb_put_uint(msg, 6, m->build_id);
	pb_put_uint(msg, 7, (uint64_t)funcs);
	pb_put_uint(msg, 8, (uint64_t)files);
	pb_put_uint(msg, 9, (uint64_t)lines);
	pb_put_uint(msg, 10, (uint64_t)inl);
	put_msg(b, 3, msg);
}

static void put_location(const struct pprof_profile *p, uint32_t i,
			 struct scratch *s, struct buf *b)
{
	const struct pprof_location *l = &p->location[i];
	uint32_t k;

	buf_reset(&s->msg);
	pb_put_uint(&s->msg, 1, l->id);
	if (l->mapping)
		pb_put_uint(&s->msg, 2, p->mapping[l->mapping - 1].id);
	pb_put_uint(&s->msg, 3, l->address);
	for (k = 0; k < l->nline; k++) {
		const struct pprof_line *ln = &p->line[l->line_off + k];
		buf_reset(&s->sub);
		pb_put_uint(&s->sub, 1, p->function[ln->function].id);
		pb_put_int(&s->sub, 2, ln->line);
		pb_put_int(&s->sub, 3, ln->column);
		put_msg(&s->msg, 4, &s->sub);
	}
	pb_put_uint(&s->msg, 5, l->is_folded);
	put_msg(b, 4, &s->msg);
}

static void put_function(const struct pprof_function *f, struct buf *msg,
			 struct buf *b)
{
	buf_reset(msg);
	pb_put_uint(msg, 1, f->id);
	pb_put_uint(msg, 2, f->name);
	pb_put_uint(msg, 3, f->system_name);
	pb_put_uint(msg, 4, f->filename);
	pb_put_int(msg, 5, f->start_line);
	put_msg(b, 5, msg);
}

static struct symflags *compute_symflags(const struct pprof_profile *p)
{
	struct symflags *fl = xcalloc(p->nmapping + 1, sizeof(*fl));
	uint32_t i, k;

	for (i = 0; i < p->nlocation; i++) {
		const struct pprof_location *l = &p->location[i];
		struct symflags *f;
		if (!l->mapping)
			continue;
		f = &fl[l->mapping - 1];
		f->any = 1;
		f->no_lines |= l->nline == 0;
		f->inlined |= l->nline > 1;
		for (k = 0; k < l->nline; k++) {
			const struct pprof_line *ln = &p->line[l->line_off + k];
			f->no_file |= p->function[ln->function].filename == 0;
			f->no_lineno |= ln->line == 0;
		}
	}
	return fl;
}

static void put_header(const struct pprof_profile *p, struct scratch *s,
		       struct buf *b)
{
	uint32_t i;

	pb_put_uint(b, 7, p->drop_frames);
	pb_put_uint(b, 8, p->keep_frames);
	pb_put_int(b, 9, p->time_nanos);
	pb_put_int(b, 10, p->duration_nanos);
	if (p->period_type.type || p->period_type.unit)
		put_value_type(b, &s->msg, 11, &p->period_type);
	pb_put_int(b, 12, p->period);
	XGROW(s->ids, s->cap, p->ncomment);
	for (i = 0; i < p->ncomment; i++)
		s->ids[i] = p->comment[i];
	put_repeated(b, &s->packed, 13, s->ids, p->ncomment);
	pb_put_uint(b, 14, p->default_sample_type);
	pb_put_uint(b, 15, p->doc_url);
}

void pprof_encode_raw(const struct pprof_profile *p, struct buf *b)
{
	struct scratch s = {BUF_INIT, BUF_INIT, BUF_INIT, NULL, 0};
	struct symflags *fl = compute_symflags(p);
	size_t i;

	for (i = 0; i < p->nsample_type; i++)
		put_value_type(b, &s.msg, 1, &p->sample_type[i]);
	for (i = 0; i < p->nsample; i++)
		put_sample(p, i, &s, b);
	for (i = 0; i < p->nmapping; i++)
		put_mapping(&p->mapping[i], &fl[i], &s.msg, b);
	for (i = 0; i < p->nlocation; i++)
		put_location(p, (uint32_t)i, &s, b);
	for (i = 0; i < p->nfunction; i++)
		put_function(&p->function[i], &s.msg, b);
	for (i = 0; i < p->nstr; i++)
		pb_put_bytes(b, 6, p->str[i].ptr, p->str[i].len);
	put_header(p, &s, b);
	free(fl);
	free(s.ids);
	buf_release(&s.msg);
	buf_release(&s.packed);
	buf_release(&s.sub);
}

/* libdeflate at level 4 already compresses better than Go's gzip at its
 * default (on 200 merged generated profiles: 6.30 MB vs 6.37 MB) and takes
 * 0.115 s where level 6 takes 0.147 s for 6.22 MB. */
#define PPROF_GZIP_LEVEL 4

int pprof_encode(const struct pprof_profile *p, uint8_t **out, size_t *len,
		 struct err *e)
{
	struct buf raw = BUF_INIT;
	int rc;

	pprof_encode_raw(p, &raw);
	rc = gz_deflate(raw.data ? raw.data : (const uint8_t *)"", raw.len, PPROF_GZIP_LEVEL,
			out, len, e);
	buf_release(&raw);
	return rc;
}
