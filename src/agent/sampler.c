#include "sampler.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../base/file.h"
#include "../base/xalloc.h"
#include "profile.skel.h"

#define MAX_CPUS 4096
#define RING_MIN (256u << 10)
#define RING_MAX (64u << 20)

struct sampler {
	struct profile_bpf *skel;
	struct ring_buffer *ring;
	struct bpf_link **links;
	int *fds;
	unsigned ncpus;
	sampler_fn fn;
	void *ctx;
};

/* libbpf's last warning, quoted in our error when loading fails (the
 * verifier log itself goes to stderr only with STACKYARD_BPF_DEBUG). */
static char bpf_lastmsg[256];

static int bpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("STACKYARD_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_WARN) {
		size_t n;
		vsnprintf(bpf_lastmsg, sizeof(bpf_lastmsg), fmt, ap);
		n = strlen(bpf_lastmsg);
		while (n && bpf_lastmsg[n - 1] == '\n')
			bpf_lastmsg[--n] = '\0';
	}
	return 0;
}

static long sysctl_long(const char *path)
{
	uint8_t *d = NULL;
	size_t n;
	long v = -1;

	if (file_read(path, 64, &d, &n, NULL) == 0)
		v = strtol((char *)d, NULL, 10);
	free(d);
	return v;
}

/* What to do about EPERM/EACCES, with the sysctls that decide it. */
static int not_permitted(struct err *e, const char *what, int code)
{
	return err_set(e, code,
		       "%s is not permitted: run the agent as root, or give it CAP_BPF and "
		       "CAP_PERFMON (Linux 5.8+; CAP_SYS_ADMIN before); here "
		       "kernel.perf_event_paranoid=%ld (CPU-wide perf events need <= 0 without "
		       "CAP_PERFMON) and kernel.unprivileged_bpf_disabled=%ld (BPF needs CAP_BPF "
		       "when >= 1)",
		       what, sysctl_long("/proc/sys/kernel/perf_event_paranoid"),
		       sysctl_long("/proc/sys/kernel/unprivileged_bpf_disabled"));
}

/* Online CPUs from "0-3,6,8-9" (/sys/devices/system/cpu/online). */
static int online_cpus(uint8_t *on, struct err *e)
{
	const char *path = "/sys/devices/system/cpu/online";
	uint8_t *d = NULL;
	char *p, *end;
	size_t n;
	int rc;

	if ((rc = file_read(path, 4096, &d, &n, e)) < 0)
		return rc;
	for (p = (char *)d; *p && *p != '\n';) {
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 0 || a >= MAX_CPUS)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b >= MAX_CPUS)
				goto bad;
		}
		while (a <= b)
			on[a++] = 1;
		p = *end == ',' ? end + 1 : end;
	}
	free(d);
	return 0;
bad:
	free(d);
	return err_set(e, -EINVAL, "%s: cannot parse the CPU list", path);
}

static int perf_open(int cpu, unsigned freq)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_CPU_CLOCK;
	a.freq = 1;
	a.sample_freq = freq;
	return (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct sampler *s = ctx;
	const struct cpu_sample *r = data;

	if (len >= SAMPLE_HEADER_SIZE && r->nkern <= SAMPLE_MAX_DEPTH &&
	    r->nuser <= SAMPLE_MAX_DEPTH && len >= SAMPLE_SIZE((size_t)r->nkern + r->nuser))
		s->fn(s->ctx, r);
	return 0;
}

/* Two seconds of ticks on every CPU at 32 frames each (a power of two, as
 * the kernel asks): room for the loop to stall while it symbolizes a large
 * binary for the first time. */
static unsigned ring_size(unsigned freq, unsigned ncpus)
{
	uint64_t want = (uint64_t)freq * ncpus * SAMPLE_SIZE(32) * 2;
	unsigned sz = RING_MIN;

	while (sz < want && sz < RING_MAX)
		sz <<= 1;
	return sz;
}

static int load(struct sampler *s, const struct sampler_config *c, unsigned ncpus,
		struct err *e)
{
	int rc;

	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0)
		return err_set(e, -ENOTSUP, "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			       "the agent needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
	s->skel = profile_bpf__open();
	if (!s->skel)
		return err_set(e, -errno, "opening the BPF object: %s", strerror(errno));
	s->skel->rodata->self_pid = (__u32)c->self_pid;
	s->skel->rodata->filter_pids = c->npids > 0;
	bpf_map__set_max_entries(s->skel->maps.samples, ring_size(c->frequency, ncpus));
	rc = profile_bpf__load(s->skel);
	if (rc == -EPERM || rc == -EACCES)
		return not_permitted(e, "loading the BPF program", rc);
	if (rc < 0)
		return err_set(e, rc, "loading the BPF program: %s%s%s", strerror(-rc),
			       bpf_lastmsg[0] ? "; libbpf: " : "", bpf_lastmsg);
	return 0;
}

static int set_pids(struct sampler *s, const struct sampler_config *c, struct err *e)
{
	int fd = bpf_map__fd(s->skel->maps.pids);
	__u8 one = 1;
	size_t i;

	if (c->npids > SAMPLER_MAX_PIDS)
		return err_set(e, -E2BIG, "at most %d pids can be selected", SAMPLER_MAX_PIDS);
	for (i = 0; i < c->npids; i++) {
		__u32 pid = (__u32)c->pids[i];
		if (bpf_map_update_elem(fd, &pid, &one, BPF_ANY) < 0)
			return err_set(e, -errno, "selecting pid %d: %s", c->pids[i], strerror(errno));
	}
	return 0;
}

/* One event per online CPU, the program attached to each. */
static int attach(struct sampler *s, const uint8_t *on, unsigned freq, struct err *e)
{
	int cpu;

	s->fds = xmalloc(MAX_CPUS * sizeof(*s->fds));
	s->links = xcalloc(MAX_CPUS, sizeof(*s->links));
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		int fd;
		if (!on[cpu])
			continue;
		fd = perf_open(cpu, freq);
		if (fd < 0 && errno == ENODEV)  /* went offline meanwhile */
			continue;
		if (fd < 0 && (errno == EACCES || errno == EPERM))
			return not_permitted(e, "opening a CPU-clock perf event", -errno);
		if (fd < 0 && errno == EINVAL)
			return err_set(e, -EINVAL, "a CPU-clock perf event at %u Hz was refused "
				       "(kernel.perf_event_max_sample_rate=%ld)", freq,
				       sysctl_long("/proc/sys/kernel/perf_event_max_sample_rate"));
		if (fd < 0)
			return err_set(e, -errno, "perf_event_open on CPU %d: %s", cpu,
				       strerror(errno));
		s->fds[s->ncpus] = fd;
		s->links[s->ncpus] = bpf_program__attach_perf_event(s->skel->progs.sample_cpu, fd);
		if (!s->links[s->ncpus]) {
			int rc = -errno;
			close(fd);
			return err_set(e, rc, "attaching to the perf event on CPU %d: %s", cpu,
				       strerror(-rc));
		}
		s->ncpus++;
	}
	if (!s->ncpus)
		return err_set(e, -ENODEV, "no online CPU to sample");
	return 0;
}

int sampler_open(const struct sampler_config *c, sampler_fn fn, void *ctx,
		 struct sampler **out, struct err *e)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	uint8_t *on = xcalloc(MAX_CPUS, 1);
	unsigned ncpus = 0, i;
	int rc;

	libbpf_set_print(bpf_log);
	s->fn = fn;
	s->ctx = ctx;
	if (c->frequency < 1 || c->frequency > SAMPLER_MAX_FREQUENCY) {
		rc = err_set(e, -EINVAL, "frequency %u Hz is out of range (1 to %d)",
			     c->frequency, SAMPLER_MAX_FREQUENCY);
		goto fail;
	}
	if ((rc = online_cpus(on, e)) < 0)
		goto fail;
	for (i = 0; i < MAX_CPUS; i++)
		ncpus += on[i];
	if ((rc = load(s, c, ncpus, e)) < 0 || (rc = set_pids(s, c, e)) < 0 ||
	    (rc = attach(s, on, c->frequency, e)) < 0)
		goto fail;
	s->ring = ring_buffer__new(bpf_map__fd(s->skel->maps.samples), on_record, s, NULL);
	if (!s->ring) {
		rc = err_set(e, -errno, "mapping the ring buffer: %s", strerror(errno));
		goto fail;
	}
	free(on);
	*out = s;
	return 0;
fail:
	free(on);
	sampler_close(s);
	return rc;
}

void sampler_close(struct sampler *s)
{
	unsigned i;

	if (!s)
		return;
	ring_buffer__free(s->ring);
	for (i = 0; i < s->ncpus; i++) {
		bpf_link__destroy(s->links[i]);
		close(s->fds[i]);
	}
	profile_bpf__destroy(s->skel);
	free(s->links);
	free(s->fds);
	free(s);
}

int sampler_poll(struct sampler *s, int timeout_ms, struct err *e)
{
	int n = timeout_ms > 0 ? ring_buffer__poll(s->ring, timeout_ms) : 0;

	if (n == -EINTR)
		n = 0;
	if (n >= 0)
		n = ring_buffer__consume(s->ring);
	if (n < 0)
		return err_set(e, n, "reading the ring buffer: %s", strerror(-n));
	return n;
}

void sampler_stats(const struct sampler *s, uint64_t out[CPU_STAT_N])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(s->skel->maps.stats);
	uint64_t *v;
	__u32 k;
	int i;

	memset(out, 0, CPU_STAT_N * sizeof(*out));
	if (ncpu <= 0)
		return;
	v = xcalloc((size_t)ncpu, sizeof(*v));
	for (k = 0; k < CPU_STAT_N; k++) {
		if (bpf_map_lookup_elem(fd, &k, v) < 0)
			continue;
		for (i = 0; i < ncpu; i++)
			out[k] += v[i];
	}
	free(v);
}

unsigned sampler_ncpus(const struct sampler *s)
{
	return s->ncpus;
}
