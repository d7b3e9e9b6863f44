/* The route table: every endpoint of openapi.yaml, one line each. Dispatch is this table and one
 * loop; the generic 404/405 answers come from the same loop. */
#include "server/srv.h"

#include <string.h>

#define JSON "application/json"

/* Flags not named are false: no body, no If-Match rule, a token needed, no CIM method. */
static const struct srv_route routes[] = {
    {"POST", "/replication-groups", api_groups_create, .produces = JSON, .json_body = true,
     .cim = API_M_CREATE_GROUP},
    {"GET", "/replication-groups", api_groups_list, .produces = JSON},
    {"GET", "/replication-groups/{id}", api_groups_get, .produces = JSON},
    {"PATCH", "/replication-groups/{id}", api_groups_modify,
     .produces = JSON, .json_body = true, .conditional = true},
    {"DELETE", "/replication-groups/{id}", api_groups_delete,
     .produces = JSON, .conditional = true, .cim = API_M_DELETE_GROUP},
    {"GET", "/replication-groups/{id}/members", api_groups_members, .produces = JSON},
    {"POST", "/replication-groups/{id}/add-members", api_groups_add_members,
     .produces = JSON, .json_body = true, .conditional = true, .cim = API_M_ADD_MEMBERS},
    {"POST", "/replication-groups/{id}/remove-members", api_groups_remove_members,
     .produces = JSON, .json_body = true, .conditional = true, .cim = API_M_REMOVE_MEMBERS},
    {"POST", "/logical-elements", api_elements_create, .produces = JSON, .json_body = true},
    {"GET", "/logical-elements", api_elements_list, .produces = JSON},
    {"GET", "/logical-elements/{id}", api_elements_get, .produces = JSON},
    {"DELETE", "/logical-elements/{id}", api_elements_delete,
     .produces = JSON, .conditional = true},
    {"GET", "/capabilities", api_capabilities, .produces = JSON},
    {"GET", "/livez", api_livez, .produces = JSON, .open = true},
    {"GET", "/readyz", api_readyz, .produces = JSON, .open = true},
    {"GET", "/metrics", api_metrics, .produces = "text/plain"},
    {"GET", "/openapi.yaml", api_openapi, .produces = "application/yaml"},
};

/* Matches path against pattern; copies the {id} segment into id_buf. Only an id in its one
 * canonical form matches (api_path_id), so that /replication-groups/abc or /01 is a path no
 * route has, for every method (404), not a known one that answers OPTIONS or 405. */
static bool match_path(const char *pattern, const char *path, char *id_buf, size_t id_len)
{
    const char *brace = strstr(pattern, "{id}");
    size_t prefix, seg;
    int64_t id;

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
    return api_path_id(id_buf, &id);
}

void srv_route_labels(const char *method, const char *path, const char **pattern,
                      const char **method_label)
{
    static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD",
                                          "OPTIONS"};
    char id[64];

    *pattern = "unmatched";
    *method_label = "-";
    for (size_t i = 0; i < RG_ARRAY_LEN(routes); i++)
        if (match_path(routes[i].pattern, path, id, sizeof(id))) {
            *pattern = routes[i].pattern;
            *method_label = "other";
            for (size_t m = 0; m < RG_ARRAY_LEN(methods); m++)
                if (strcmp(method, methods[m]) == 0)
                    *method_label = methods[m];
            return;
        }
}

enum srv_match srv_route_find(const char *method, const char *path, const struct srv_route **route,
                              char *id_buf, size_t id_len, char *allow, size_t allow_len)
{
    bool path_known = false;
    size_t used = 0;

    *route = NULL;
    allow[0] = '\0';
    for (size_t i = 0; i < RG_ARRAY_LEN(routes); i++) {
        bool get = strcmp(routes[i].method, "GET") == 0;

        if (!match_path(routes[i].pattern, path, id_buf, id_len))
            continue;
        /* HEAD is GET without the body (RFC 9110 9.3.2), which MHD leaves out itself. */
        if (strcmp(routes[i].method, method) == 0 || (get && strcmp(method, "HEAD") == 0)) {
            *route = &routes[i];
            return SRV_MATCH_OK;
        }
        path_known = true;
        used += (size_t)snprintf(allow + used, used < allow_len ? allow_len - used : 0, "%s%s%s",
                                 used ? ", " : "", routes[i].method, get ? ", HEAD" : "");
    }
    if (!path_known)
        return SRV_MATCH_NO_PATH;
    /* Every known path also answers OPTIONS with its Allow list. */
    snprintf(allow + used, used < allow_len ? allow_len - used : 0, ", OPTIONS");
    return SRV_MATCH_NO_METHOD;
}
