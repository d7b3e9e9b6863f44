/* The route table: every endpoint of openapi.yaml, one line each. Dispatch is this table and one
 * loop; the generic 404/405 answers come from the same loop. */
#include "server/srv.h"

#include <string.h>

#define JSON "application/json"

static const struct srv_route routes[] = {
    {"POST", "/replication-groups", api_groups_create, true, false, JSON},
    {"GET", "/replication-groups", api_groups_list, false, false, JSON},
    {"GET", "/replication-groups/{id}", api_groups_get, false, false, JSON},
    {"PATCH", "/replication-groups/{id}", api_groups_modify, true, true, JSON},
    {"DELETE", "/replication-groups/{id}", api_groups_delete, false, true, JSON},
    {"GET", "/replication-groups/{id}/members", api_groups_members, false, false, JSON},
    {"POST", "/replication-groups/{id}/add-members", api_groups_add_members, true, true, JSON},
    {"POST", "/replication-groups/{id}/remove-members", api_groups_remove_members, true, true,
     JSON},
    {"POST", "/logical-elements", api_elements_create, true, false, JSON},
    {"GET", "/logical-elements", api_elements_list, false, false, JSON},
    {"GET", "/logical-elements/{id}", api_elements_get, false, false, JSON},
    {"DELETE", "/logical-elements/{id}", api_elements_delete, false, true, JSON},
    {"GET", "/capabilities", api_capabilities, false, false, JSON},
    {"GET", "/livez", api_livez, false, false, JSON},
    {"GET", "/readyz", api_readyz, false, false, JSON},
    {"GET", "/metrics", api_metrics, false, false, "text/plain"},
    {"GET", "/openapi.yaml", api_openapi, false, false, "application/yaml"},
};

/* Matches path against pattern; copies the {id} segment into id_buf. */
static bool match_path(const char *pattern, const char *path, char *id_buf, size_t id_len)
{
    const char *brace = strstr(pattern, "{id}");
    size_t prefix, seg;

    if (!brace)
        return strcmp(pattern, path) == 0;
    prefix = (size_t)(brace - pattern);
    if (strncmp(pattern, path, prefix) != 0)
        return false;
    path += prefix;
    seg = strcspn(path, "/");
    if (seg == 0 || seg >= id_len || strcmp(path + seg, brace + 4) != 0)
        return false;
    memcpy(id_buf, path, seg);
    id_buf[seg] = '\0';
    return true;
}

enum srv_match srv_route_find(const char *method, const char *path, const struct srv_route **route,
                              char *id_buf, size_t id_len, char *allow, size_t allow_len)
{
    bool path_known = false;
    size_t used = 0;

    *route = NULL;
    allow[0] = '\0';
    for (size_t i = 0; i < RG_ARRAY_LEN(routes); i++) {
        if (!match_path(routes[i].pattern, path, id_buf, id_len))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            *route = &routes[i];
            return SRV_MATCH_OK;
        }
        path_known = true;
        used += (size_t)snprintf(allow + used, used < allow_len ? allow_len - used : 0, "%s%s",
                                 used ? ", " : "", routes[i].method);
    }
    if (!path_known)
        return SRV_MATCH_NO_PATH;
    /* Every known path also answers OPTIONS with its Allow list. */
    snprintf(allow + used, used < allow_len ? allow_len - used : 0, ", OPTIONS");
    return SRV_MATCH_NO_METHOD;
}
