/* units: values as people read them, the way pprof prints them.
 *
 * units_label() scales a value in a sample unit to the largest unit in
 * which it is at least 1 (140000000 nanoseconds -> "140ms", 1338878 bytes
 * -> "1.28MB"), prints two decimals and drops ".00", as pprof's
 * measurement.ScaledLabel with "auto" does. Byte units step by 1024; time
 * by ns, us, ms, s, hrs. Units pprof does not know keep their name as a
 * suffix; "count", "sample" and "unit" print bare numbers. */
#ifndef STACKYARD_QUERY_UNITS_H
#define STACKYARD_QUERY_UNITS_H

#include <stdint.h>

#include "../base/buf.h"

void units_label(struct buf *out, int64_t v, const char *unit);

/* v in unit, converted to the unit named `to` ("ms", "MB"; NULL = auto). */
void units_label_to(struct buf *out, int64_t v, const char *unit, const char *to);

/* The one unit a report shows all its values in, chosen as pprof's
 * selectOutputUnit does from the smallest nonzero value shown and the
 * total. NULL when unit is not a memory or time unit. */
const char *units_report_unit(int64_t min, int64_t max, const char *unit);

/* pprof's Percentage(): "  100%", "36.84%", " 0.12%" or "5.2e-05%". */
void units_percent(struct buf *out, int64_t v, int64_t total);

#endif
