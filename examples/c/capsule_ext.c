/*
 * capsule_ext.c -- a C extension module that calls the poincare_q64 kernels
 * of the installed package through its PyCapsule: it compiles none of our
 * sources and links nothing of ours; it needs only the headers.
 *
 *   PQ=$(python -c "import poincare_q64; print(poincare_q64.get_include())")
 *   PYINC=$(python -c "import sysconfig; print(sysconfig.get_paths()['include'])")
 *   EXT=$(python -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
 *   cc -shared -fPIC -O2 -I"$PYINC" -I"$PQ" capsule_ext.c -o capsule_ext$EXT
 *   python -c "import capsule_ext; print(capsule_ext.rbe(2**63, 2**62, 5, 7))"
 *
 * capsule_ext.rbe(R, T, i, j, log2_c=0) returns rbe as a float (binary64,
 * correctly rounded), or raises ValueError with the kernel's status code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "poincare_q64_capi.h"

/* The table, fetched once at import (with the GIL); valid for the process. */
static const pq_capi *pq;

static PyObject *rbe(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"R", "T", "i", "j", "log2_c", NULL};
    unsigned long long R, T;
    unsigned int i, j;
    int log2_c = 0;
    /* K and I do not range-check; a Python int too large wraps, as in C */
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "KKII|i", keywords, &R, &T, &i, &j,
                                     &log2_c))
        return NULL;
    pq_params p = {0};
    p.log2_c = log2_c;
    pq_format f64 = {PQ_KIND_FLOAT64, 0};
    pq_value v;
    int status;
    Py_BEGIN_ALLOW_THREADS /* the kernels need no GIL */
    status = pq->rbe(R, T, i, j, &p, f64, &v);
    Py_END_ALLOW_THREADS
    if (status != PQ_OK)
        return PyErr_Format(PyExc_ValueError, "pq rbe: status %d", status);
    return PyFloat_FromDouble(v.f64);
}

static PyMethodDef methods[] = {
    {"rbe", (PyCFunction)(void (*)(void))rbe, METH_VARARGS | METH_KEYWORDS,
     "rbe(R, T, i, j, log2_c=0) as a float, through the poincare_q64 capsule."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "capsule_ext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_capsule_ext(void) {
    pq = (const pq_capi *)PyCapsule_Import(PQ_CAPI_CAPSULE_NAME, 0);
    if (pq == NULL) return NULL; /* ImportError: poincare_q64 is not installed */
    /* an older library than this header: refuse rather than call past its table */
    if (pq->size < sizeof(pq_capi) || pq->version < PQ_CAPI_VERSION) {
        PyErr_Format(PyExc_ImportError, "poincare_q64 C API version %u is older than %d",
                     (unsigned)pq->version, PQ_CAPI_VERSION);
        return NULL;
    }
    return PyModule_Create(&module);
}
