/*
 * core.c - the ABI stamp and status texts.
 */
#include "vf.h"

int vf_abi_version(void) { return VF_ABI_VERSION; }

const char *vf_strerror(int status)
{
    switch (status) {
    case VF_OK:
        return "ok";
    case VF_E_NULL:
        return "a required buffer is missing";
    case VF_E_LENGTH:
        return "a buffer length is inconsistent or too small";
    case VF_E_RANGE:
        return "an index or size is out of range";
    case VF_E_ARG:
        return "an argument has an invalid value";
    case VF_E_MISMATCH:
        return "the proof does not reproduce the committed value";
    case VF_E_PROOF_SHAPE:
        return "the proof has too many or too few elements";
    case VF_E_ORDER:
        return "indices are not strictly increasing";
    case VF_E_THREAD:
        return "a worker thread could not be started";
    case VF_E_BACKEND:
        return "that backend is not available on this CPU";
    case VF_E_OVERFLOW:
        return "a size computation would overflow";
    case VF_E_NONFINITE:
        return "a NaN or an infinity was found";
    default:
        return "unknown status";
    }
}
