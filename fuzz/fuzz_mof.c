/* Fuzz target: the MOF embedded-instance parser of ReplicationSettingData. */
#include <stdlib.h>

#include "cim/cim_rsd.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cim_rsd rsd;
    struct cim_err err;
    char *text = rg_strndup((const char *)data, size);

    if (!text || cim_rsd_init(&rsd) != 0) {
        free(text);
        return 0;
    }
    cim_err_clear(&err);
    /* With its length, so that a NUL in the input is parsed as a byte like any other. */
    cim_rsd_parse_mof_n(text, size, &rsd, &err);
    for (size_t i = 0; i < rsd.n_props; i++)
        free(cim_prop_to_text(&rsd.props[i]));
    cim_rsd_free(&rsd);
    free(text);
    return 0;
}
