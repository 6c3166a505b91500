/* Writing benchmark results: JSON (bench_json.c) and an SVG bar chart
 * comparing the devices (bench_svg.c). Both are written atomically. */
#ifndef PCNN_BENCH_REPORT_H
#define PCNN_BENCH_REPORT_H

#include "base/base_sysinfo.h"
#include "bench/bench.h"

/* JSON: {"machine", "versions", "date", "settings", "devices": [...]}. */
pcnn_status bench_write_json(const char *path, const sysinfo *sys, const bench_settings *s, const bench_result *r,
                             int n);

/* SVG: one panel per metric, one bar per device. */
pcnn_status bench_write_svg(const char *path, const bench_settings *s, const bench_result *r, int n);

/* Writes a memory stream's bytes to path atomically (shared by both writers). */
pcnn_status bench_commit_text(const char *path, const char *text, size_t len);

#endif
