# cython: language_level=3
"""The seed64 encoder's search loop (internal; see encode._best_seed64_many).

For targets a and one option pair's table g of the 2**20 radial values
g_k = g(k << 44) (correctly rounded), every r field k gets the theta index
j whose tabulated sine S[j] = sin(pi j / 2**23) (correctly rounded,
j = 0 .. 2**22) is the last not above tau = min(|a / g_k|, 1), found by a
galloping walk from the previous k's index (no asin: the index is exact
with respect to the table).  The candidates are the signed indices
l = +-j and +-(j + 1) (the sign of a / g_k), l != 0, with the float64
distance d = |fl(fl(g_k * s_l) - a)|, s_l = copysign(S[|l|], l), the
same operations as the numpy search; the loop keeps those within the
window of the running minimum.  docs/transform.md, *The seed64 optimum*,
proves that the nearest sine to the exact a / g_k is among them.

The loop is plain C without the GIL.  Targets (and, for few targets,
slices of the r fields) run in parallel under OpenMP; each work item is
computed by the same sequential code, and the candidates returned are
those within the window of the final minimum, in r field order, so the
result does not depend on the thread count or the split.
"""
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport malloc, free
from cython.parallel cimport prange

import numpy as np

cdef extern from *:
    """
    #include <math.h>
    #include <stdlib.h>
    #include <stdint.h>

    typedef struct {
        int32_t *k;
        int32_t *l;
        double *d;
        Py_ssize_t n, cap;
        double dmin;
    } pqs_cands;

    /* encode._window: the same operations in the same order (the build
       forbids contraction, so no fused multiply-add changes them) */
    static inline double pqs_window(double dmin, double a)
    {
        return (dmin + 0x1p-49 * (dmin + fabs(a))) + 0x1p-1072;
    }

    /* The largest j in [0, n] with S[j] <= tau, for S increasing with
       S[0] <= tau, galloping from the guess j0 (the previous r field's
       index), then bisecting. */
    static inline Py_ssize_t pqs_locate(const double *S, Py_ssize_t n,
                                        double tau, Py_ssize_t j0)
    {
        Py_ssize_t lo, hi, mid, step = 1;
        if (S[j0] <= tau) {
            if (j0 == n || S[j0 + 1] > tau)
                return j0;
            lo = j0 + 1;
            for (;;) {
                hi = lo + step;
                if (hi >= n) {
                    if (S[n] <= tau)
                        return n;
                    hi = n;
                    break;
                }
                if (S[hi] > tau)
                    break;
                lo = hi;
                step <<= 1;
            }
        } else {
            hi = j0;
            for (;;) {
                lo = hi - step;
                if (lo <= 0) {
                    lo = 0;
                    break;
                }
                if (S[lo] <= tau)
                    break;
                hi = lo;
                step <<= 1;
            }
        }
        /* S[lo] <= tau < S[hi] */
        while (hi - lo > 1) {
            mid = lo + (hi - lo) / 2;
            if (S[mid] <= tau)
                lo = mid;
            else
                hi = mid;
        }
        return lo;
    }

    /* Append a candidate; when the buffer is full, first drop those no
       longer within the window (it only shrinks), and grow it if that
       frees less than half.  -1 when out of memory. */
    static int pqs_push(pqs_cands *c, int32_t k, int32_t l, double d, double win)
    {
        if (c->n == c->cap) {
            Py_ssize_t i, w = 0;
            for (i = 0; i < c->n; i++) {
                if (c->d[i] <= win) {
                    c->k[w] = c->k[i];
                    c->l[w] = c->l[i];
                    c->d[w] = c->d[i];
                    w++;
                }
            }
            c->n = w;
            if (2 * w > c->cap) {
                Py_ssize_t cap = 2 * c->cap;
                int32_t *nk = (int32_t *)realloc(c->k, cap * sizeof(int32_t));
                if (nk) c->k = nk;
                int32_t *nl = (int32_t *)realloc(c->l, cap * sizeof(int32_t));
                if (nl) c->l = nl;
                double *nd = (double *)realloc(c->d, cap * sizeof(double));
                if (nd) c->d = nd;
                if (!nk || !nl || !nd)
                    return -1;
                c->cap = cap;
            }
        }
        c->k[c->n] = k;
        c->l[c->n] = l;
        c->d[c->n] = d;
        c->n++;
        return 0;
    }

    /* One target a over the r fields k0 .. k1 - 1; S has n + 1 entries.
       dmin0: a distance already reached (the window starts there). */
    static int pqs_scan(double a, const double *g, Py_ssize_t k0, Py_ssize_t k1,
                        const double *S, Py_ssize_t n, double dmin0, pqs_cands *c)
    {
        double dmin = dmin0, win = pqs_window(dmin0, a);
        Py_ssize_t k, m, j = 0;
        c->n = 0;
        c->cap = 64;
        c->k = (int32_t *)malloc(c->cap * sizeof(int32_t));
        c->l = (int32_t *)malloc(c->cap * sizeof(int32_t));
        c->d = (double *)malloc(c->cap * sizeof(double));
        if (!c->k || !c->l || !c->d)
            return -1;
        for (k = k0; k < k1; k++) {
            double gk = g[k], t, tau;
            int neg;
            if (gk == 0.0)
                continue;           /* amplitude 0: the zero seed's */
            t = a / gk;
            neg = signbit(t) != 0;
            tau = fabs(t);
            if (!(tau < 1.0))
                tau = 1.0;
            j = pqs_locate(S, n, tau, j);
            for (m = j; m <= j + 1 && m <= n; m++) {
                double s, d;
                if (m == 0)
                    continue;       /* amplitude 0 again */
                s = neg ? -S[m] : S[m];
                d = fabs(gk * s - a);
                if (d <= win) {
                    if (d < dmin) {
                        dmin = d;
                        win = pqs_window(dmin, a);
                    }
                    if (pqs_push(c, (int32_t)k, (int32_t)(neg ? -m : m), d, win))
                        return -1;
                }
            }
        }
        c->dmin = dmin;
        return 0;
    }

    static void pqs_free(pqs_cands *c)
    {
        free(c->k);
        free(c->l);
        free(c->d);
        c->k = NULL;
        c->l = NULL;
        c->d = NULL;
    }
    """
    ctypedef struct pqs_cands:
        int32_t *k
        int32_t *l
        double *d
        Py_ssize_t n
        Py_ssize_t cap
        double dmin
    double pqs_window(double dmin, double a) nogil
    int pqs_scan(double a, const double *g, Py_ssize_t k0, Py_ssize_t k1,
                 const double *S, Py_ssize_t n, double dmin0, pqs_cands *c) nogil
    void pqs_free(pqs_cands *c) nogil


def seed64_candidates(const double[::1] targets, const double[::1] g,
                      const double[::1] S, const double[::1] dmin0, int threads,
                      int slices=0):
    """Per target, the candidates within the window of the smallest distance.

    targets: the amplitudes a (finite); g: the r field table (any length
    below 2**31); S: sin(pi j / 2**23) for j = 0 .. n (increasing, S[0] = 0,
    S[n] = 1); dmin0[t]: a distance target t already reached (inf: none).
    slices: how many parts the r fields of each target are cut into (0:
    one for many targets, else enough for the threads).

    Returns (dmin, cands): dmin[t] the least of dmin0[t] and every
    candidate distance; cands[t] = (k, l, d) arrays (int64, int64,
    float64) of the candidates with d <= window(dmin[t], a), by k then l.
    """
    cdef Py_ssize_t nt = targets.shape[0], nk = g.shape[0], n = S.shape[0] - 1
    cdef Py_ssize_t ns, items, it, t, s, i, w, total
    cdef pqs_cands *work
    cdef int failed = 0
    cdef double dm, win
    cdef int64_t[::1] kv, lv
    cdef double[::1] dv
    if dmin0.shape[0] != nt:
        raise ValueError("_search: dmin0 must have one entry per target")
    if n < 1 or S[0] != 0.0 or S[n] != 1.0:
        raise ValueError("_search: S must run from 0 to 1")
    if nk >= (1 << 31) or n >= (1 << 31):
        raise ValueError("_search: tables too long for int32 indices")
    if threads < 1:
        raise ValueError("_search: threads must be >= 1")
    if slices < 0:
        raise ValueError("_search: slices must be >= 0")
    for t in range(nt):
        if not np.isfinite(targets[t]):
            raise ValueError("_search: targets must be finite")
    dmin = np.full(nt, np.inf)
    if nt == 0 or nk == 0:
        return dmin, [(np.empty(0, np.int64), np.empty(0, np.int64),
                       np.empty(0, np.float64)) for _ in range(nt)]
    ns = slices
    if ns == 0:
        # a target per thread when there are enough; else cut the r fields
        ns = 1 if nt >= 2 * threads else (2 * threads + nt - 1) // nt
    if ns > nk:
        ns = nk
    items = nt * ns
    work = <pqs_cands *> malloc(items * sizeof(pqs_cands))
    if work == NULL:
        raise MemoryError()
    for it in range(items):
        work[it].k = NULL
        work[it].l = NULL
        work[it].d = NULL
        work[it].n = 0
    cdef const double *gp = &g[0]
    cdef const double *Sp = &S[0]
    cdef const double *ap = &targets[0]
    cdef const double *d0 = &dmin0[0]
    try:
        for it in prange(items, nogil=True, num_threads=threads,
                         schedule="dynamic", chunksize=1):
            t = it // ns
            s = it % ns
            if pqs_scan(ap[t], gp, s * nk // ns, (s + 1) * nk // ns, Sp, n,
                        d0[t], &work[it]) != 0:
                failed = 1
        if failed:
            raise MemoryError()
        out = []
        for t in range(nt):
            dm = d0[t]
            for s in range(ns):
                if work[t * ns + s].dmin < dm:
                    dm = work[t * ns + s].dmin
            dmin[t] = dm
            win = pqs_window(dm, ap[t])
            total = 0
            for s in range(ns):
                total += work[t * ns + s].n
            ks = np.empty(total, np.int64)
            ls = np.empty(total, np.int64)
            ds = np.empty(total, np.float64)
            kv = ks
            lv = ls
            dv = ds
            w = 0
            for s in range(ns):
                it = t * ns + s
                for i in range(work[it].n):
                    if work[it].d[i] <= win:
                        kv[w] = work[it].k[i]
                        lv[w] = work[it].l[i]
                        dv[w] = work[it].d[i]
                        w += 1
            out.append((ks[:w], ls[:w], ds[:w]))
        return dmin, out
    finally:
        for it in range(items):
            pqs_free(&work[it])
        free(work)
