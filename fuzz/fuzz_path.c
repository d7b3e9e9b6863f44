/* Fuzz target: the object-path parser. Whatever parses must format canonically and parse
 * again to the same class and keys. */
#include <stdlib.h>
#include <string.h>

#include "cim/cim_path.h"
#include "fuzz/fuzz.h"
#include "util/rg_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cim_path p, q;
    char why[160], *text = rg_strndup((const char *)data, size), *canon = NULL;

    if (!text)
        return 0;
    if (cim_path_parse(text, &p, why, sizeof(why)) == 0) {
        canon = cim_path_format(p.ns, p.class_name, p.keys, p.n_keys);
        if (canon) {
            if (cim_path_parse(canon, &q, why, sizeof(why)) != 0 || q.n_keys != p.n_keys ||
                rg_strcasecmp(q.class_name, p.class_name) != 0)
                abort();
            cim_path_free(&q);
        }
        cim_path_free(&p);
    }
    free(canon);
    free(text);
    return 0;
}
