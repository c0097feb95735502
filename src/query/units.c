#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	const char *aliases; /* space-separated, lower case */
	double factor;
};

struct unit_type {
	const struct unit *units;
	size_t n;
};

/* pprof's internal/measurement tables (memory and time). */
static const struct unit mem_units[] = {
	{"B", "b byte", 1},
	{"kB", "kb kbyte kilobyte", 1024.0},
	{"MB", "mb mbyte megabyte", 1048576.0},
	{"GB", "gb gbyte gigabyte", 1073741824.0},
	{"TB", "tb tbyte terabyte", 1099511627776.0},
	{"PB", "pb pbyte petabyte", 1125899906842624.0},
};

static const struct unit time_units[] = {
	{"ns", "ns nanosecond", 1},
	{"us", "us microsecond", 1e3},
	{"ms", "ms millisecond", 1e6},
	{"s", "s sec second", 1e9},
	{"hrs", "hour hr", 3600e9},
};

static const struct unit_type unit_types[] = {
	{mem_units, sizeof(mem_units) / sizeof(mem_units[0])},
	{time_units, sizeof(time_units) / sizeof(time_units[0])},
};

static int has_alias(const char *aliases, const char *word)
{
	size_t n = strlen(word);
	const char *p = aliases;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == aliases || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* pprof's sniffUnit: lower case, a trailing 's' dropped when longer than 2. */
static const struct unit *sniff(const struct unit_type *ut, const char *unit)
{
	char low[32];
	size_t n = strlen(unit), i;

	if (!n || n >= sizeof(low))
		return NULL;
	for (i = 0; i < n; i++)
		low[i] = (char)((unit[i] >= 'A' && unit[i] <= 'Z') ? unit[i] + 32 : unit[i]);
	low[n] = '\0';
	if (n > 2 && low[n - 1] == 's')
		low[n - 1] = '\0';
	for (i = 0; i < ut->n; i++)
		if (has_alias(ut->units[i].aliases, low))
			return &ut->units[i];
	return NULL;
}

static void put_scaled(struct buf *out, double v, const char *suffix)
{
	char num[64];
	size_t n;

	snprintf(num, sizeof(num), "%.2f", v);
	n = strlen(num);
	if (n > 3 && !strcmp(num + n - 3, ".00"))
		num[n - 3] = '\0';
	if (!strcmp(num, "0") || !strcmp(num, "-0")) {
		buf_putc(out, '0');
		return;
	}
	buf_puts(out, num);
	buf_puts(out, suffix);
}

/* The unit type of `unit` and the unit itself, or NULL. */
static const struct unit *find_unit(const char *unit, const struct unit_type **type)
{
	size_t t;

	for (t = 0; t < sizeof(unit_types) / sizeof(unit_types[0]); t++) {
		const struct unit *u = sniff(&unit_types[t], unit ? unit : "");
		if (u) {
			*type = &unit_types[t];
			return u;
		}
	}
	return NULL;
}

/* pprof's autoScale: the largest unit in which |v| is at least 1. */
static const struct unit *auto_unit(const struct unit_type *ut,
				    const struct unit *from, int64_t v)
{
	double x = fabs((double)v) * from->factor;
	const struct unit *best = NULL;
	size_t i;

	for (i = 0; i < ut->n; i++)
		if (x / ut->units[i].factor >= 1.0)
			best = &ut->units[i];
	/* Below the smallest unit pprof falls back to the type's default. */
	return best ? best : (ut->units == mem_units ? &mem_units[0] : &time_units[3]);
}

static void put_plain(struct buf *out, int64_t v, const char *unit)
{
	if (!unit || !*unit || !strcmp(unit, "count") || !strcmp(unit, "sample") ||
	    !strcmp(unit, "unit"))
		put_scaled(out, (double)v, "");
	else
		put_scaled(out, (double)v, unit);
}

void units_label(struct buf *out, int64_t v, const char *unit)
{
	units_label_to(out, v, unit, NULL);
}

void units_label_to(struct buf *out, int64_t v, const char *unit, const char *to)
{
	const struct unit_type *ut;
	const struct unit *from = find_unit(unit, &ut), *dst = NULL;
	size_t i;

	if (!from) {
		put_plain(out, v, unit);
		return;
	}
	for (i = 0; to && i < ut->n; i++)
		if (!strcmp(ut->units[i].name, to))
			dst = &ut->units[i];
	if (!dst)
		dst = auto_unit(ut, from, v);
	put_scaled(out, (double)v * from->factor / dst->factor, dst->name);
}

const char *units_report_unit(int64_t min, int64_t max, const char *unit)
{
	const struct unit_type *ut;
	const struct unit *from = find_unit(unit, &ut), *lo, *hi;

	if (!from)
		return NULL;
	if (!min)
		min = max;
	lo = auto_unit(ut, from, min);
	hi = auto_unit(ut, from, max);
	/* Different units at the two ends: let the smallest value show as
	 * 0.01 of a larger unit, as pprof does. */
	if (lo != hi && (double)min * 100 < (double)max)
		lo = auto_unit(ut, from, min * 100);
	return lo->name;
}

void units_percent(struct buf *out, int64_t v, int64_t total)
{
	double r = total ? fabs((double)v / (double)total) * 100 : 0;

	if (r >= 99.95 && r <= 100.05)
		buf_puts(out, "  100%");
	else if (r >= 1.0)
		buf_printf(out, "%5.2f%%", r);
	else
		buf_printf(out, "%5.2g%%", r);
}
