/* A group's JSON text, written straight into a buffer.
 *
 * Why not jansson here: every change answers with the whole group, and building it as a tree of
 * jansson values (an object, a copy and a UTF-8 check per string, a hash table per object) and
 * then dumping it cost the request threads about 40 us a create (72 us of request-thread CPU per
 * create before, 31 after, under wrk), more than everything else they do for it.
 * The strings come from the store, where they were checked as UTF-8 on the way in, so writing
 * the text is a copy with escapes. The text is what json_dumps(JSON_COMPACT) gives for the same
 * values (keys in this order, escapes as jansson writes them), which the unit tests check. */
#include "api/api.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void add(struct rg_buf *b, const char *s)
{
    rg_buf_add(b, s, strlen(s));
}

static void add_int(struct rg_buf *b, long long v)
{
    char num[24];

    rg_buf_add(b, num, (size_t)snprintf(num, sizeof(num), "%lld", v));
}

void api_text_string(struct rg_buf *b, const char *s)
{
    const char *run = s;

    add(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        const char *e = esc;

        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        switch (*p) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default: snprintf(esc, sizeof(esc), "\\u%04X", *p); break;
        }
        rg_buf_add(b, run, (size_t)((const char *)p - run));
        add(b, e);
        run = (const char *)p + 1;
    }
    add(b, run);
    add(b, "\"");
}

/* ,"name": */
static void add_key(struct rg_buf *b, const char *name, bool first)
{
    if (!first)
        add(b, ",");
    api_text_string(b, name);
    add(b, ":");
}

static void add_string_or_null(struct rg_buf *b, const char *s)
{
    if (s)
        api_text_string(b, s);
    else
        add(b, "null");
}

void api_text_members(struct rg_buf *b, const struct cim_group *g)
{
    add(b, "[");
    for (size_t i = 0; i < g->n_members; i++) {
        const struct cim_member *m = &g->members[i];
        char id[24];

        snprintf(id, sizeof(id), "%lld", (long long)m->element_id);
        add(b, i ? ",{" : "{");
        add_key(b, "AssignedSequence", true);
        add_int(b, (long long)m->seq);
        add_key(b, "Member", false);
        api_text_string(b, m->path);
        add_key(b, "id", false);
        api_text_string(b, id);
        add_key(b, "href", false);
        add(b, "\"/logical-elements/");
        add(b, id);
        add(b, "\"}");
    }
    add(b, "]");
}

/* The setting data as an object of its properties, in the order they were given. */
static void add_rsd(struct rg_buf *b, const struct cim_rsd *rsd)
{
    char num[24];

    add(b, "{");
    for (size_t i = 0; i < rsd->n_props; i++) {
        const struct cim_prop *p = &rsd->props[i];

        add_key(b, p->def->name, i == 0);
        switch (p->def->type) {
        case CIM_T_BOOLEAN:
            add(b, p->b ? "true" : "false");
            break;
        case CIM_T_UINT16:
        case CIM_T_UINT64:
            rg_buf_add(b, num, (size_t)snprintf(num, sizeof(num), "%" PRIu64, p->u));
            break;
        default:
            api_text_string(b, p->s);
            break;
        }
    }
    add(b, "}");
}

void api_text_group(struct rg_buf *b, const struct cim_group *g, bool with_rv)
{
    char id[24];

    snprintf(id, sizeof(id), "%lld", (long long)g->id);
    add(b, "{");
    add_key(b, "id", true);
    api_text_string(b, id);
    add_key(b, "InstanceID", false);
    api_text_string(b, g->instance_id);
    add_key(b, "ElementName", false);
    api_text_string(b, g->element_name);
    add_key(b, "Description", false);
    add_string_or_null(b, g->description);
    add_key(b, "Persistent", false);
    add(b, g->persistent ? "true" : "false");
    add_key(b, "DeleteOnEmptyElement", false);
    add(b, g->delete_on_empty ? "true" : "false");
    add_key(b, "DeleteOnUnassociated", false);
    add(b, g->delete_on_unassoc ? "true" : "false");
    add_key(b, "Generation", false);
    add_int(b, (long long)g->generation);
    add_key(b, "ReplicationGroup", false);
    api_text_string(b, g->path);
    add_key(b, "HostingSystem", false);
    api_text_string(b, g->system_path);
    add_key(b, "Members", false);
    api_text_members(b, g);
    add_key(b, "ReplicationSettingData", false);
    if (g->rsd)
        add_rsd(b, g->rsd);
    else
        add(b, "null");
    if (with_rv) {
        /* The method's return value (CreateGroup's other out-parameter, ReplicationGroup, is
         * the group's path above). */
        add_key(b, "ReturnValue", false);
        add_int(b, CIM_RV_SUCCESS);
        add_key(b, "ReturnValueName", false);
        api_text_string(b, cim_rv_name(CIM_RV_SUCCESS));
    }
    add(b, "}");
}
