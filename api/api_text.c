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

#include <stdio.h>
#include <string.h>

static void add(struct rg_buf *b, const char *s)
{
    rg_buf_add(b, s, strlen(s));
}

/* A string literal, its length known at compile time. */
#define ADD_LIT(b, lit) rg_buf_add((b), (lit), sizeof(lit) - 1)
/* "name": and ,"name": for a literal key name (keys are plain ASCII, nothing to escape). */
#define KEY_FIRST(b, name) ADD_LIT(b, "\"" name "\":")
#define KEY(b, name) ADD_LIT(b, ",\"" name "\":")

/* Writes u in decimal just before end and returns where it starts (at most 20 bytes). */
static char *format_uint(unsigned long long u, char *end)
{
    char *p = end;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    return p;
}

/* A count, a sequence or a Generation: never negative. */
static void add_uint(struct rg_buf *b, unsigned long long u)
{
    char num[24], *start = format_uint(u, num + sizeof(num));

    rg_buf_add(b, start, (size_t)(num + sizeof(num) - start));
}

/* The bytes JSON text must escape: the controls, '"' and '\\' (and NUL, where a string ends). */
static const unsigned char escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

void api_text_string(struct rg_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    ADD_LIT(b, "\"");
    for (;;) {
        const unsigned char *run = p;
        char esc[8];
        const char *e = esc;

        while (!escape[*p])
            p++;
        rg_buf_add(b, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
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
        add(b, e);
        p++;
    }
    ADD_LIT(b, "\"");
}

/* "name": after a comma unless first, for a key known only at run time. */
static void add_key(struct rg_buf *b, const char *name, bool first)
{
    if (!first)
        ADD_LIT(b, ",");
    api_text_string(b, name);
    ADD_LIT(b, ":");
}

static void add_string_or_null(struct rg_buf *b, const char *s)
{
    if (s)
        api_text_string(b, s);
    else
        ADD_LIT(b, "null");
}

static void add_bool(struct rg_buf *b, bool v)
{
    if (v)
        ADD_LIT(b, "true");
    else
        ADD_LIT(b, "false");
}

void api_text_members(struct rg_buf *b, const struct cim_group *g)
{
    ADD_LIT(b, "[");
    for (size_t i = 0; i < g->n_members; i++) {
        const struct cim_member *m = &g->members[i];
        char num[24], *id = format_uint((unsigned long long)m->element_id, num + sizeof(num));
        size_t id_len = (size_t)(num + sizeof(num) - id);

        if (i)
            ADD_LIT(b, ",");
        ADD_LIT(b, "{");
        KEY_FIRST(b, "AssignedSequence");
        add_uint(b, (unsigned long long)m->seq);
        KEY(b, "Member");
        api_text_string(b, m->path);
        /* An id is digits: nothing in it to escape. */
        KEY(b, "id");
        ADD_LIT(b, "\"");
        rg_buf_add(b, id, id_len);
        ADD_LIT(b, "\"");
        KEY(b, "href");
        ADD_LIT(b, "\"/logical-elements/");
        rg_buf_add(b, id, id_len);
        ADD_LIT(b, "\"}");
    }
    ADD_LIT(b, "]");
}

/* The setting data as an object of its properties, in the order they were given. */
static void add_rsd(struct rg_buf *b, const struct cim_rsd *rsd)
{
    ADD_LIT(b, "{");
    for (size_t i = 0; i < rsd->n_props; i++) {
        const struct cim_prop *p = &rsd->props[i];

        add_key(b, p->def->name, i == 0);
        switch (p->def->type) {
        case CIM_T_BOOLEAN:
            add_bool(b, p->b);
            break;
        case CIM_T_UINT16:
        case CIM_T_UINT64:
            add_uint(b, p->u);
            break;
        default:
            api_text_string(b, p->s);
            break;
        }
    }
    ADD_LIT(b, "}");
}

void api_text_group(struct rg_buf *b, const struct cim_group *g, bool with_rv)
{
    ADD_LIT(b, "{");
    KEY_FIRST(b, "id");
    ADD_LIT(b, "\"");
    add_uint(b, (unsigned long long)g->id);
    ADD_LIT(b, "\"");
    KEY(b, "InstanceID");
    api_text_string(b, g->instance_id);
    KEY(b, "ElementName");
    api_text_string(b, g->element_name);
    KEY(b, "Description");
    add_string_or_null(b, g->description);
    KEY(b, "Persistent");
    add_bool(b, g->persistent);
    KEY(b, "DeleteOnEmptyElement");
    add_bool(b, g->delete_on_empty);
    KEY(b, "DeleteOnUnassociated");
    add_bool(b, g->delete_on_unassoc);
    KEY(b, "Generation");
    add_uint(b, (unsigned long long)g->generation);
    KEY(b, "ReplicationGroup");
    api_text_string(b, g->path);
    KEY(b, "HostingSystem");
    api_text_string(b, g->system_path);
    KEY(b, "Members");
    api_text_members(b, g);
    KEY(b, "ReplicationSettingData");
    if (g->rsd)
        add_rsd(b, g->rsd);
    else
        ADD_LIT(b, "null");
    if (with_rv) {
        /* The method's return value (CreateGroup's other out-parameter, ReplicationGroup, is
         * the group's path above). */
        KEY(b, "ReturnValue");
        add_uint(b, CIM_RV_SUCCESS);
        KEY(b, "ReturnValueName");
        api_text_string(b, cim_rv_name(CIM_RV_SUCCESS));
    }
    ADD_LIT(b, "}");
}
