/* symbolize: the agent's symbolizer (contract in symbolize.h).
 *
 * Three caches, each with its own lifetime:
 *  - binaries (struct binary): one per ELF file, found by file identity
 *    (dev, inode, size, mtime) or, for the same file seen under another path
 *    or in another container, by GNU build id (else Go build id). Each holds
 *    its symbol tables and an address cache vaddr -> frames. Referenced by
 *    the mappings of live processes; unreferenced ones sit in an LRU list
 *    bounded by bytes and count.
 *  - processes (struct proc): the mappings of a pid (the sym_mapping structs
 *    handed out), its perf map and the JIT frames named from it. Freed by
 *    symbolizer_forget().
 *  - the kernel: /proc/kallsyms, read once, and its address cache.
 * Everything handed out lives in arenas, so pointers stay put while tables
 * and hash maps grow.
 */
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/arena.h"
#include "../base/u64map.h"
#include "../base/xalloc.h"
#include "demangle.h"
#include "elfsym.h"
#include "kallsyms.h"
#include "pclntab.h"
#include "perfmap.h"
#include "procmaps.h"

#define MAPS_REREAD_NS 200000000ll /* at most one re-read per pid per 200 ms */
#define PROC_BUCKETS_MIN 256
#define VDSO_MAX (1u << 20)        /* the vDSO is a few pages */

/* Frames of one address, in an arena. */
struct answer {
	const struct sym_frame *frames;
	uint32_t nframes;
};

/* An address cache: vaddr -> answer. */
struct answers {
	struct u64map idx;
	struct answer *v;
	size_t n, cap;
};

struct binary {
	struct binary *prev, *next; /* LRU, most recent first */
	unsigned refs;              /* mappings of live processes */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *key;                  /* build id or "" */
	struct elfsym elf;
	uint8_t *owned;             /* the image of a file-less binary (vDSO) */
	struct elfsym *dbg;         /* separate debug file's symbols, or NULL */
	struct pclntab *go;
	struct arena *arena;        /* frames, demangled names */
	struct answers answers;
	struct u64map demangled;    /* symbol address -> index in dem */
	const char **dem;
	size_t ndem, capdem;
	size_t bytes;               /* for the cache cap */
};

enum { MAP_UNRESOLVED, MAP_RESOLVED, MAP_FAILED };

struct pmapping {
	struct sym_mapping pub;     /* what callers get a pointer to */
	uint64_t inode;
	uint32_t dev_major, dev_minor, perms;
	int state;
	struct binary *bin;
};

struct proc {
	int pid;
	struct proc *hnext;
	struct arena *arena;        /* mappings, paths, JIT frames */
	struct pmapping **maps;     /* the current view, sorted by start */
	size_t nmaps;
	struct pmapping **all;      /* every mapping ever handed out (refs) */
	size_t nall, capall;
	struct timespec last_read;
	struct perfmap pm;
	int pm_state;               /* 0 not read, 1 read, <0 errno */
	struct stat pm_st;
	struct answers jit;         /* JIT names by address (only found ones: the
				     * perf map may name an address later) */
};

struct symbolizer {
	struct binary *lru_head, *lru_tail;
	uint64_t nbinaries, bytes;
	uint64_t cap_bytes;
	uint32_t cap_binaries;
	struct proc **buckets;
	size_t nbuckets, nprocs;
	int ksyms_state;            /* 0 not read, 1 read, <0 errno */
	struct kallsyms ksyms;
	struct arena *karena;
	struct answers kanswers;
	struct sym_mapping kmap;
	char *debug_dir;            /* "" when off */
	struct symbolizer_stats st;
};

/* ---- address caches ---------------------------------------------------- */

static void answers_init(struct answers *a)
{
	u64map_init(&a->idx, 64);
	a->v = NULL;
	a->n = a->cap = 0;
}

static void answers_release(struct answers *a)
{
	u64map_release(&a->idx);
	free(a->v);
}

static const struct answer *answers_get(const struct answers *a, uint64_t addr)
{
	uint32_t i = u64map_get(&a->idx, addr);

	return i == U64MAP_NONE ? NULL : &a->v[i];
}

static const struct answer *answers_put(struct answers *a, uint64_t addr,
					const struct sym_frame *frames,
					uint32_t n)
{
	XGROW(a->v, a->cap, a->n + 1);
	a->v[a->n] = (struct answer){frames, n};
	u64map_put(&a->idx, addr, (uint32_t)a->n);
	return &a->v[a->n++];
}

/* One frame naming only a function (ELF symbols, perf maps, kallsyms). */
static const struct sym_frame *one_frame(struct arena *a, const char *function)
{
	struct sym_frame *f = arena_alloc(a, sizeof(*f));

	*f = (struct sym_frame){function, NULL, 0};
	return f;
}

/* Fill out from an answer (NULL or empty: unnamed, counted). */
static int answer_out(struct symbolizer *s, const struct answer *a,
		      struct sym_loc *out)
{
	if (a && a->nframes) {
		out->frames = a->frames;
		out->nframes = a->nframes;
	} else {
		s->st.unnamed++;
	}
	return 0;
}

/* ---- binaries ------------------------------------------------------------ */

static void lru_unlink(struct symbolizer *s, struct binary *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		s->lru_head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		s->lru_tail = b->prev;
	b->prev = b->next = NULL;
}

static void lru_push(struct symbolizer *s, struct binary *b)
{
	b->prev = NULL;
	b->next = s->lru_head;
	if (s->lru_head)
		s->lru_head->prev = b;
	s->lru_head = b;
	if (!s->lru_tail)
		s->lru_tail = b;
}

static void binary_free(struct binary *b)
{
	if (!b)
		return;
	pclntab_free(b->go);
	elfsym_release(&b->elf);
	elfsym_release(b->dbg);
	free(b->dbg);
	free(b->owned);
	arena_free(b->arena);
	answers_release(&b->answers);
	u64map_release(&b->demangled);
	free(b->dem);
	free(b->key);
	free(b);
}

static size_t binary_bytes(const struct binary *b)
{
	size_t n = b->elf.len + b->elf.nsyms * sizeof(*b->elf.syms) + b->elf.names_len +
		   arena_used(b->arena) + b->answers.cap * sizeof(struct answer) +
		   (b->answers.idx.mask + 1) * sizeof(struct u64map_slot);

	if (b->dbg)
		n += b->dbg->len + b->dbg->nsyms * sizeof(*b->dbg->syms) + b->dbg->names_len;
	return n;
}

/* Drop unreferenced binaries from the cold end while over the cap. */
static void cache_trim(struct symbolizer *s)
{
	struct binary *b = s->lru_tail;

	while (b && (s->bytes > s->cap_bytes || s->nbinaries > s->cap_binaries)) {
		struct binary *prev = b->prev;

		if (!b->refs) {
			lru_unlink(s, b);
			s->bytes -= b->bytes;
			s->nbinaries--;
			s->st.binaries_evicted++;
			binary_free(b);
		}
		b = prev;
	}
}

/* Re-account a binary whose caches grew. */
static void binary_account(struct symbolizer *s, struct binary *b)
{
	size_t now = binary_bytes(b);

	s->bytes += now - b->bytes;
	b->bytes = now;
}

static int same_file(const struct binary *b, const struct stat *st)
{
	return b->dev == st->st_dev && b->ino == st->st_ino &&
	       b->size == st->st_size &&
	       b->mtime.tv_sec == st->st_mtim.tv_sec &&
	       b->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static struct binary *find_binary(struct symbolizer *s, const struct stat *st,
				  const char *key)
{
	struct binary *b;

	for (b = s->lru_head; b; b = b->next)
		if (key ? (b->key[0] && !strcmp(b->key, key)) : same_file(b, st))
			return b;
	return NULL;
}

/* Open a mapped file as the process sees it: map_files works for deleted
 * files and other mount namespaces (it needs CAP_SYS_ADMIN); the path under
 * /proc/PID/root for containers; the path itself last. The inode must be the
 * one mapped, or the symbols would be another file's. */
static int open_mapped(int pid, const struct procmaps_entry *m, struct stat *st)
{
	char path[4200];
	int i, fd;

	for (i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
				 (unsigned long long)m->start, (unsigned long long)m->end);
		else if (i == 1)
			snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);
		else
			snprintf(path, sizeof(path), "%s", m->path);
		/* O_NONBLOCK: the path is the process's to replace (a deleted
		 * file's "PATH (deleted)" is a name it can create), and a FIFO's
		 * open() would wait for a writer; fstat then refuses it. */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (!fstat(fd, st) && S_ISREG(st->st_mode) &&
		    (uint64_t)st->st_ino == m->inode)
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* Distribution binaries ship without .symtab (only the exported .dynsym);
 * their debug packages (Debian's *-dbgsym, libc6-dbg) put the full symbol
 * table in DEBUG_DIR/.build-id/xx/yyyy.debug, named by the build id. The
 * debug file keeps the binary's addresses; its build id must match. */
static struct elfsym *load_debug_file(const struct symbolizer *s,
				      const struct elfsym *elf)
{
	struct elfsym_sec sec;
	struct elfsym *dbg;
	char *path;
	int fd;

	if (!s->debug_dir[0] || strlen(elf->build_id) < 4 ||
	    !elfsym_section(elf, ".symtab", &sec))
		return NULL;
	path = xmalloc(strlen(s->debug_dir) + strlen(elf->build_id) + 32);
	sprintf(path, "%s/.build-id/%.2s/%s.debug", s->debug_dir, elf->build_id,
		elf->build_id + 2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	dbg = xcalloc(1, sizeof(*dbg));
	if (fd < 0 || elfsym_open_fd(fd, path, 0, dbg, NULL) ||
	    strcmp(dbg->build_id, elf->build_id)) {
		elfsym_release(dbg);
		free(dbg);
		dbg = NULL;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return dbg;
}

/* Take a parsed ELF file into the cache (or return the cached one with its
 * build id, releasing elf). st is the file's identity, NULL for memory
 * images; owned (may be NULL) is an image to free with the binary. */
static struct binary *adopt_binary(struct symbolizer *s, struct elfsym *elf,
				   const struct stat *st, uint8_t *owned)
{
	const char *key = elf->build_id[0] ? elf->build_id : elf->go_build_id;
	struct binary *b = key[0] ? find_binary(s, NULL, key) : NULL;

	if (b) { /* the same file under another name */
		elfsym_release(elf);
		free(owned);
		return b;
	}
	b = xcalloc(1, sizeof(*b));
	b->elf = *elf;
	b->owned = owned;
	if (st) {
		b->dev = st->st_dev;
		b->ino = st->st_ino;
		b->size = st->st_size;
		b->mtime = st->st_mtim;
	}
	b->key = xstrdup(key);
	b->arena = arena_new();
	answers_init(&b->answers);
	u64map_init(&b->demangled, 16);
	/* Not a Go binary (-ENOENT) or a damaged table: ELF symbols name what
	 * they can. A Go binary reads them only when its table fails it (cgo
	 * code), which spares most of them the copy of a large .symtab. */
	if (pclntab_open(&b->elf, &b->go, NULL)) {
		b->go = NULL;
		elfsym_load_symbols(&b->elf, NULL);
		b->dbg = load_debug_file(s, &b->elf);
	}
	b->bytes = binary_bytes(b);
	s->bytes += b->bytes;
	s->nbinaries++;
	s->st.binaries_loaded++;
	lru_push(s, b);
	return b;
}

static struct binary *load_binary(struct symbolizer *s, int fd,
				  const char *path, const struct stat *st)
{
	struct elfsym elf;

	if (elfsym_open_fd(fd, path, ELFSYM_LAZY, &elf, NULL))
		return NULL;
	return adopt_binary(s, &elf, st, NULL);
}

/* The vDSO has no file: its image is read from the process's memory (the
 * same for every process of a kernel, so its build id finds it cached). */
static struct binary *load_vdso(struct symbolizer *s, int pid,
				const struct pmapping *m)
{
	uint64_t len = m->pub.limit - m->pub.start;
	struct elfsym elf;
	uint8_t *img;
	char path[64];
	ssize_t n;
	int fd;

	if (!len || len > VDSO_MAX)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	img = xmalloc(len);
	n = pread(fd, img, len, (off_t)m->pub.start);
	close(fd);
	if (n != (ssize_t)len || elfsym_open_mem(img, len, 0, &elf, NULL)) {
		free(img);
		return NULL;
	}
	return adopt_binary(s, &elf, NULL, img);
}

/* The demangled name of an ELF symbol, cached per symbol. */
static const char *sym_name(struct binary *b, const struct elfsym *tab,
			    const struct elfsym_sym *y)
{
	const char *raw = elfsym_name(tab, y);
	uint32_t i = u64map_get(&b->demangled, y->addr);
	char *d;

	if (i != U64MAP_NONE)
		return b->dem[i];
	d = demangle(raw);
	XGROW(b->dem, b->capdem, b->ndem + 1);
	if (d) {
		b->dem[b->ndem] = arena_strndup(b->arena, d, strlen(d));
		free(d);
	} else {
		b->dem[b->ndem] = raw;
	}
	u64map_put(&b->demangled, y->addr, (uint32_t)b->ndem);
	return b->dem[b->ndem++];
}

/* Name vaddr of binary b: Go's table first (it knows files, lines and
 * inlining), then ELF symbols. */
static const struct answer *binary_lookup(struct symbolizer *s,
					  struct binary *b, uint64_t vaddr)
{
	const struct answer *a = answers_get(&b->answers, vaddr);
	struct pcln_frame pf[PCLNTAB_MAX_INLINE];
	const struct sym_frame *frames = NULL;
	size_t n = 0, i;

	if (a) {
		s->st.cache_hits++;
		return a;
	}
	if (b->go)
		n = pclntab_lookup(b->go, vaddr, pf, PCLNTAB_MAX_INLINE);
	if (n) {
		struct sym_frame *f = arena_alloc(b->arena, n * sizeof(*f));

		for (i = 0; i < n; i++)
			f[i] = (struct sym_frame){pf[i].function, pf[i].file, pf[i].line};
		frames = f;
	} else {
		const struct elfsym *tab = b->dbg;
		const struct elfsym_sym *y = tab ? elfsym_find(tab, vaddr) : NULL;

		if (!y) {
			tab = &b->elf;
			elfsym_load_symbols(&b->elf, NULL);
			y = elfsym_find(tab, vaddr);
		}
		if (y) {
			frames = one_frame(b->arena, sym_name(b, tab, y));
			n = 1;
		}
	}
	a = answers_put(&b->answers, vaddr, frames, (uint32_t)n);
	binary_account(s, b);
	return a;
}

/* ---- processes ----------------------------------------------------------- */

static size_t pid_bucket(const struct symbolizer *s, int pid)
{
	return ((uint32_t)pid * 2654435761u) & (s->nbuckets - 1);
}

static struct proc *proc_find(const struct symbolizer *s, int pid)
{
	struct proc *p;

	for (p = s->buckets[pid_bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void proc_rehash(struct symbolizer *s, size_t nb)
{
	struct proc **old = s->buckets;
	size_t i, on = s->nbuckets;

	s->buckets = xcalloc(nb, sizeof(*s->buckets));
	s->nbuckets = nb;
	for (i = 0; i < on; i++) {
		struct proc *p = old[i], *next;

		for (; p; p = next) {
			size_t h = pid_bucket(s, p->pid);

			next = p->hnext;
			p->hnext = s->buckets[h];
			s->buckets[h] = p;
		}
	}
	free(old);
}

static int same_entry(const struct pmapping *pm, const struct procmaps_entry *m)
{
	return pm->pub.start == m->start && pm->pub.limit == m->end &&
	       pm->pub.offset == m->offset && pm->inode == m->inode &&
	       pm->dev_major == m->dev_major && pm->dev_minor == m->dev_minor &&
	       pm->perms == m->perms && !strcmp(pm->pub.path, m->path);
}

/* Adopt a fresh read of the maps. Mappings unchanged since the last read
 * keep their struct (and resolved binary); new ones are added. Old ones
 * stay allocated until forget: callers may hold pointers to them. */
static void proc_adopt(struct proc *p, const struct procmaps *pm)
{
	/* The view is ours alone (callers get pmapping pointers, not it), so
	 * it is replaced, not piled up in the arena at every re-read. */
	struct pmapping **view = xmalloc((pm->n ? pm->n : 1) * sizeof(*view));
	size_t i, j = 0;

	for (i = 0; i < pm->n; i++) {
		const struct procmaps_entry *m = &pm->v[i];
		struct pmapping *x = NULL;

		/* Both lists are sorted by start: walk the old one alongside. */
		while (j < p->nmaps && p->maps[j]->pub.start < m->start)
			j++;
		if (j < p->nmaps && same_entry(p->maps[j], m))
			x = p->maps[j];
		if (!x) {
			x = arena_zalloc(p->arena, sizeof(*x));
			x->pub.start = m->start;
			x->pub.limit = m->end;
			x->pub.offset = m->offset;
			x->pub.path = arena_strndup(p->arena, m->path, strlen(m->path));
			x->pub.build_id = "";
			x->inode = m->inode;
			x->dev_major = m->dev_major;
			x->dev_minor = m->dev_minor;
			x->perms = m->perms;
			XGROW(p->all, p->capall, p->nall + 1);
			p->all[p->nall++] = x;
		}
		view[i] = x;
	}
	free(p->maps);
	p->maps = view;
	p->nmaps = pm->n;
}

static int proc_read(struct symbolizer *s, struct proc *p, struct err *e)
{
	struct procmaps pm;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &p->last_read);
	s->st.maps_reads++;
	rc = procmaps_read(p->pid, &pm, e);
	if (rc)
		return rc;
	proc_adopt(p, &pm);
	procmaps_release(&pm);
	return 0;
}

static void proc_free(struct symbolizer *s, struct proc *p)
{
	size_t i;

	for (i = 0; i < p->nall; i++)
		if (p->all[i]->bin)
			p->all[i]->bin->refs--;
	free(p->all);
	free(p->maps);
	perfmap_release(&p->pm);
	answers_release(&p->jit);
	arena_free(p->arena);
	free(p);
	(void)s;
}

static struct proc *proc_get(struct symbolizer *s, int pid, struct err *e,
			     int *rc)
{
	struct proc *p = proc_find(s, pid);
	size_t h;

	*rc = 0;
	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->arena = arena_new();
	answers_init(&p->jit);
	*rc = proc_read(s, p, e);
	if (*rc) {
		proc_free(s, p);
		return NULL;
	}
	if (s->nprocs + 1 > s->nbuckets)
		proc_rehash(s, s->nbuckets * 2);
	h = pid_bucket(s, pid);
	p->hnext = s->buckets[h];
	s->buckets[h] = p;
	s->nprocs++;
	return p;
}

static struct pmapping *proc_mapping(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pmapping *m = p->maps[mid];

		if (addr < m->pub.start)
			hi = mid;
		else if (addr >= m->pub.limit)
			lo = mid + 1;
		else
			return p->maps[mid];
	}
	return NULL;
}

static int64_t since_ns(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000000000ll +
	       (now.tv_nsec - t->tv_nsec);
}

static void resolve_mapping(struct symbolizer *s, struct proc *p,
			    struct pmapping *m)
{
	struct procmaps_entry ent = {.start = m->pub.start, .end = m->pub.limit,
				     .inode = m->inode, .path = m->pub.path};
	struct binary *b = NULL;
	struct stat st;
	int fd;

	if (!strcmp(m->pub.path, "[vdso]")) {
		b = load_vdso(s, p->pid, m);
	} else if (m->pub.path[0] == '/' && (fd = open_mapped(p->pid, &ent, &st)) >= 0) {
		b = find_binary(s, &st, NULL);
		if (!b)
			b = load_binary(s, fd, m->pub.path, &st);
		close(fd);
	}
	if (!b) {
		m->state = MAP_FAILED;
		return;
	}
	b->refs++;
	m->bin = b;
	m->pub.build_id = b->elf.build_id;
	m->state = MAP_RESOLVED;
	cache_trim(s);
}

/* JIT code: anonymous executable memory named by the process's perf map,
 * re-read when the file changed since it last failed to name an address. */
static const struct answer *jit_lookup(struct proc *p, uint64_t addr)
{
	const struct answer *a = answers_get(&p->jit, addr);
	const char *name;
	struct stat st;
	char path[128];

	if (a)
		return a;
	name = p->pm_state == 1 ? perfmap_find(&p->pm, addr, NULL) : NULL;
	if (!name) {
		perfmap_path(p->pid, path, sizeof(path));
		if (!stat(path, &st) &&
		    (p->pm_state != 1 || st.st_size != p->pm_st.st_size ||
		     st.st_mtim.tv_sec != p->pm_st.st_mtim.tv_sec ||
		     st.st_mtim.tv_nsec != p->pm_st.st_mtim.tv_nsec)) {
			perfmap_release(&p->pm);
			p->pm_state = perfmap_load(p->pid, &p->pm, NULL);
			p->pm_state = p->pm_state ? p->pm_state : 1;
			p->pm_st = st;
			if (p->pm_state == 1)
				name = perfmap_find(&p->pm, addr, NULL);
		}
	}
	if (!name)
		return NULL; /* not cached: the map may name it later */
	return answers_put(&p->jit, addr,
			   one_frame(p->arena, arena_strndup(p->arena, name, strlen(name))), 1);
}

static int user_lookup(struct symbolizer *s, int pid, uint64_t addr,
		       uint64_t lookup_addr, struct sym_loc *out, struct err *e)
{
	const struct answer *a = NULL;
	struct pmapping *m;
	struct proc *p;
	uint64_t vaddr;
	int rc;

	s->st.lookups++;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	p = proc_get(s, pid, e, &rc);
	if (!p)
		return rc;
	m = proc_mapping(p, lookup_addr);
	if (!m && since_ns(&p->last_read) >= MAPS_REREAD_NS) {
		/* dlopen or a new JIT region; a process that is gone keeps
		 * the mappings last seen. */
		if (!proc_read(s, p, NULL))
			m = proc_mapping(p, lookup_addr);
	}
	if (!m)
		return answer_out(s, NULL, out);
	out->mapping = &m->pub;
	if (m->state == MAP_UNRESOLVED)
		resolve_mapping(s, p, m);
	if (m->state == MAP_RESOLVED &&
	    !procmaps_to_vaddr(lookup_addr, m->pub.start, m->pub.offset,
			       m->bin->elf.segs, m->bin->elf.nsegs, &vaddr)) {
		a = binary_lookup(s, m->bin, vaddr);
		lru_unlink(s, m->bin);
		lru_push(s, m->bin);
	} else if (!m->pub.path[0] && (m->perms & PROCMAPS_X)) {
		a = jit_lookup(p, lookup_addr);
	}
	return answer_out(s, a, out);
}

int symbolizer_user(struct symbolizer *s, int pid, uint64_t addr,
		    struct sym_loc *out, struct err *e)
{
	return user_lookup(s, pid, addr, addr, out, e);
}

int symbolizer_user_ret(struct symbolizer *s, int pid, uint64_t addr,
			struct sym_loc *out, struct err *e)
{
	return user_lookup(s, pid, addr, addr ? addr - 1 : 0, out, e);
}

void symbolizer_forget(struct symbolizer *s, int pid)
{
	struct proc **pp = &s->buckets[pid_bucket(s, pid)], *p;

	for (; (p = *pp); pp = &p->hnext) {
		if (p->pid != pid)
			continue;
		*pp = p->hnext;
		s->nprocs--;
		proc_free(s, p);
		cache_trim(s);
		return;
	}
}

/* ---- kernel ---------------------------------------------------------------- */

int symbolizer_kernel(struct symbolizer *s, uint64_t addr, struct sym_loc *out,
		      struct err *e)
{
	const struct answer *a;
	const char *name;
	uint64_t start;

	s->st.lookups++;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->mapping = &s->kmap;
	if (s->ksyms_state == 0) {
		int rc = kallsyms_load("/proc/kallsyms", &s->ksyms, e);

		s->ksyms_state = rc ? rc : 1;
		if (s->ksyms_state == 1 && s->ksyms.lowest < s->kmap.start)
			s->kmap.start = s->ksyms.lowest;
		if (rc)
			return rc;
	}
	if (s->ksyms_state < 0)
		return answer_out(s, NULL, out);
	a = answers_get(&s->kanswers, addr);
	if (a) {
		s->st.cache_hits++;
	} else {
		name = kallsyms_find(&s->ksyms, addr, &start);
		a = answers_put(&s->kanswers, addr, name ? one_frame(s->karena, name) : NULL,
				name ? 1 : 0);
	}
	return answer_out(s, a, out);
}

/* ---- life cycle -------------------------------------------------------------- */

struct symbolizer *symbolizer_new(struct err *e)
{
	struct symbolizer *s = xcalloc(1, sizeof(*s));

	(void)e; /* nothing can fail before the first lookup */
	s->cap_bytes = SYMBOLIZER_CACHE_BYTES;
	s->cap_binaries = SYMBOLIZER_CACHE_BINARIES;
	s->nbuckets = PROC_BUCKETS_MIN;
	s->buckets = xcalloc(s->nbuckets, sizeof(*s->buckets));
	s->karena = arena_new();
	answers_init(&s->kanswers);
	/* The kernel half of the address space (x86-64, arm64); lowered to the
	 * lowest kallsyms address once read. */
	s->debug_dir = xstrdup(SYMBOLIZER_DEBUG_DIR);
	s->kmap = (struct sym_mapping){.start = 0xffff800000000000ull,
				       .limit = UINT64_MAX,
				       .path = "[kernel.kallsyms]",
				       .build_id = ""};
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	struct binary *b, *next;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nbuckets; i++) {
		struct proc *p = s->buckets[i], *pn;

		for (; p; p = pn) {
			pn = p->hnext;
			proc_free(s, p);
		}
	}
	free(s->buckets);
	for (b = s->lru_head; b; b = next) {
		next = b->next;
		binary_free(b);
	}
	kallsyms_release(&s->ksyms);
	answers_release(&s->kanswers);
	arena_free(s->karena);
	free(s->debug_dir);
	free(s);
}

void symbolizer_get_stats(const struct symbolizer *s,
			  struct symbolizer_stats *st)
{
	*st = s->st;
	st->binaries = s->nbinaries;
	st->cache_bytes = s->bytes;
	st->procs = s->nprocs;
}

void symbolizer_set_cache_cap(struct symbolizer *s, uint64_t max_bytes,
			      uint32_t max_binaries)
{
	s->cap_bytes = max_bytes;
	s->cap_binaries = max_binaries;
	cache_trim(s);
}

void symbolizer_set_debug_dir(struct symbolizer *s, const char *dir)
{
	free(s->debug_dir);
	s->debug_dir = xstrdup(dir ? dir : "");
}
