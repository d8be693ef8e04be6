/*
 * _capimodule.c -- the module poincare_q64._capi: a PyCapsule holding the
 * table of function pointers of poincare_q64_capi.h.
 *
 * Why it is linked into the _kernels extension rather than built as its own:
 * a separate extension would carry a second copy of every kernel (and of the
 * process-wide test switches of src/pq_testing.h, which would then act on
 * one copy only).  PEP 489 lets one shared library hold several modules: this
 * file adds PyInit__capi to _kernels.*.so, and poincare_q64/capi.py loads it
 * from that file with importlib's ExtensionFileLoader.  So the capsule points
 * at the very kernels the Python API calls, and _kernels.pyx is untouched.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "poincare_q64_capi.h"

static int capi_exec(PyObject *m) {
    const pq_capi *api = pq_capi_table();
    /* PyCapsule stores void *; the table is const and documented as such */
    PyObject *capsule = PyCapsule_New((void *)api, PQ_CAPI_CAPSULE_NAME, NULL);
    if (capsule == NULL) return -1;
    if (PyModule_AddObject(m, "capsule", capsule) < 0) {
        Py_DECREF(capsule);
        return -1;
    }
    PyObject *address = PyLong_FromVoidPtr((void *)api);
    if (address == NULL) return -1;
    if (PyModule_AddObject(m, "address", address) < 0) {
        Py_DECREF(address);
        return -1;
    }
    if (PyModule_AddIntConstant(m, "version", (long)api->version) < 0) return -1;
    if (PyModule_AddIntConstant(m, "size", (long)api->size) < 0) return -1;
    if (PyModule_AddStringConstant(m, "capsule_name", PQ_CAPI_CAPSULE_NAME) < 0) return -1;
    return 0;
}

static PyModuleDef_Slot capi_slots[] = {
    {Py_mod_exec, (void *)capi_exec},
    {0, NULL},
};

static struct PyModuleDef capi_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "poincare_q64._capi",
    .m_doc = "PyCapsule of the poincare_q64 kernels (use poincare_q64.capi).",
    .m_size = 0,
    .m_slots = capi_slots,
};

PyMODINIT_FUNC PyInit__capi(void) { return PyModuleDef_Init(&capi_module); }
