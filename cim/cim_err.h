/* The CIM method outcome: ReturnValue numbers and a caller-owned error record that says which
 * parameter was to blame (modelled on jansson's json_error_t: fixed buffers, first error wins,
 * never allocates, so an out-of-memory condition can still be reported). */
#ifndef CIM_ERR_H
#define CIM_ERR_H

#include "util/rg_util.h"

/* The values are the CIM ReturnValue numbers of CreateGroup and its siblings. 7 and 8 mean
 * different things per method; the names follow CreateGroup / RemoveMembers. */
enum cim_rv {
    CIM_RV_SUCCESS = 0,
    CIM_RV_NOT_SUPPORTED = 1,
    CIM_RV_UNKNOWN = 2,
    CIM_RV_TIMEOUT = 3,
    CIM_RV_FAILED = 4,
    CIM_RV_INVALID_PARAMETER = 5,
    CIM_RV_IN_USE = 6,
    CIM_RV_NOT_NAMEABLE = 7, /* CreateGroup; AddMembers/RemoveMembers: group does not exist */
    CIM_RV_NOT_MEMBER = 8,   /* RemoveMembers: member not in group */
};

struct cim_err {
    enum cim_rv rv;
    char param[64];   /* offending parameter, e.g. "Members[2]"; empty when none */
    char detail[600]; /* one sentence for a person; ends in "\u2026" when cut */
};

/* Clears err to "no error". NULL-safe. */
void cim_err_clear(struct cim_err *err);

/* Records rv, param (may be NULL) and a formatted detail, unless err already holds an error
 * (first error wins). NULL-safe. Returns rv so callers can write `return cim_err_set(...)`. */
enum cim_rv cim_err_set(struct cim_err *err, enum cim_rv rv, const char *param, const char *fmt,
                        ...) RG_PRINTF(4, 5);

/* The CIM name of a CreateGroup return value ("Success", "In Use", ...). */
const char *cim_rv_name(enum cim_rv rv);

#endif
