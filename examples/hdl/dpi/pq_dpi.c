/* pq_dpi.c: the DPI-C shim between a SystemVerilog testbench and the
 * poincare_q64 kernels (poincare_q64.h).
 *
 * DPI passes SystemVerilog's `longint unsigned`, `int unsigned`, `int` and
 * `output longint` as unsigned long long, unsigned int, int and long long *,
 * and has no struct for pq_params / pq_format / pq_value: these wrappers
 * take the scalars, fill the structs and return the kernel's status code
 * (PQ_OK = 0).  pq_dpi_model_seconds() is the time spent inside the
 * kernels, for the testbench's throughput figures.
 *
 * Build: cc -O2 -std=c11 -I"$PQ" -c pq_dpi.c "$PQ"/\*.c, with
 * PQ = poincare_q64.get_include(); link the objects into the simulator.
 */
#include <time.h>

#include "poincare_q64.h"

static double model_seconds;

static double now(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC); /* C11; a wall clock is enough here */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* rbe(R, T, i, j) with eps = 0, c = 1, d_r = 0 and the given rot, d_theta,
 * as int64 at frac 62: *x = round(f 2^62), ties to even. */
int pq_dpi_rbe62(unsigned long long R, unsigned long long T, unsigned int i,
                 unsigned int j, int rot, int d_theta, long long *x) {
    pq_params p = {0};
    pq_format fmt = {PQ_KIND_INT64, 62};
    pq_value v;
    double t0 = now();
    int status;
    p.rot = rot;
    p.d_theta = d_theta;
    status = pq_rbe(R, T, i, j, &p, fmt, &v);
    model_seconds += now() - t0;
    if (status == PQ_OK) *x = (long long)v.i64;
    return status;
}

/* MurmurHash3_x86_32(LE32(i) || LE32(j), 0). */
unsigned int pq_dpi_spatial_hash(unsigned int i, unsigned int j) {
    double t0 = now();
    unsigned int h = pq_spatial_hash(i, j);
    model_seconds += now() - t0;
    return h;
}

double pq_dpi_model_seconds(void) { return model_seconds; }
