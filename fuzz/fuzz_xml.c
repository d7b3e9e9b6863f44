/* Fuzz target: the CIM-XML embedded-instance parser of ReplicationSettingData. */
#include <stdlib.h>

#include "cim/cim_rsd.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cim_rsd rsd;
    struct cim_err err;

    if (cim_rsd_init(&rsd) != 0)
        return 0;
    cim_err_clear(&err);
    /* The bytes as they are, with no NUL after them: a read past the end is the sanitizer's. */
    cim_rsd_parse_xml_n((const char *)data, size, &rsd, &err);
    for (size_t i = 0; i < rsd.n_props; i++)
        free(cim_prop_to_text(&rsd.props[i]));
    cim_rsd_free(&rsd);
    return 0;
}
