/* regress_report: a regression report (regress.h) as JSON, as a text table
 * and as Markdown (for a pull-request comment), and JSON back into a
 * report, so that the CLI renders a server's answer with the same code
 * that renders its own.
 *
 * JSON layout (docs/API.md, /api/v1/regress): shares are fractions of the
 * profile total (0.125 = 12.5%), deltas are in the same terms (0.01 = one
 * percentage point), except "totals", whose delta is relative to the base
 * mean. Each stat is
 *   {"base", "target", "delta", "lo", "hi", "p", "verdict", "tested",
 *    "base_profiles", "target_profiles"}
 * and verdict is "regression", "improvement" or "noise". */
#ifndef STACKYARD_QUERY_REGRESS_REPORT_H
#define STACKYARD_QUERY_REGRESS_REPORT_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"
#include "regress.h"

const char *regress_verdict_name(int verdict);

void regress_write_json(const struct regress_report *rep, struct buf *out);
/* rows: at most this many rows per list (0 = all the report holds). */
void regress_write_text(const struct regress_report *rep, size_t rows, struct buf *out);
void regress_write_markdown(const struct regress_report *rep, size_t rows, struct buf *out);

/* The report regress_write_json wrote (caller frees with
 * regress_report_free). -EPROTO with a message when it is not one. */
int regress_read_json(const char *s, size_t len, struct regress_report **out, struct err *e);

#endif
