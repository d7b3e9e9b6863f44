/* Implementation of cim/cim_err.h. */
#include "cim/cim_err.h"

#include <stdio.h>
#include <string.h>

#define ELLIPSIS "\xE2\x80\xA6"

void cim_err_clear(struct cim_err *err)
{
    if (!err)
        return;
    err->rv = CIM_RV_SUCCESS;
    err->param[0] = '\0';
    err->detail[0] = '\0';
}

enum cim_rv cim_err_set(struct cim_err *err, enum cim_rv rv, const char *param, const char *fmt,
                        ...)
{
    va_list ap;
    int n;

    if (!err || err->rv != CIM_RV_SUCCESS)
        return rv;
    err->rv = rv;
    snprintf(err->param, sizeof(err->param), "%s", param ? param : "");
    va_start(ap, fmt);
    n = vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(err->detail)) {
        /* Cut: an ellipsis says so, placed where no UTF-8 sequence is split. */
        size_t at = sizeof(err->detail) - sizeof(ELLIPSIS);

        while (at > 0 && ((unsigned char)err->detail[at] & 0xC0) == 0x80)
            at--;
        memcpy(err->detail + at, ELLIPSIS, sizeof(ELLIPSIS));
    }
    return rv;
}

const char *cim_rv_name(enum cim_rv rv)
{
    static const char *const names[] = {
        [CIM_RV_SUCCESS] = "Success",
        [CIM_RV_NOT_SUPPORTED] = "Not Supported",
        [CIM_RV_UNKNOWN] = "Unknown",
        [CIM_RV_TIMEOUT] = "Timeout",
        [CIM_RV_FAILED] = "Failed",
        [CIM_RV_INVALID_PARAMETER] = "Invalid Parameter",
        [CIM_RV_IN_USE] = "In Use",
        [CIM_RV_NOT_NAMEABLE] = "Groups are not nameable",
        [CIM_RV_NOT_MEMBER] = "Member not in group",
    };

    if ((unsigned)rv < RG_ARRAY_LEN(names) && names[rv])
        return names[rv];
    return "Unknown";
}
