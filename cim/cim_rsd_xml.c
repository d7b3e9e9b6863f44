/* CIM_ReplicationSettingData from its CIM-XML embedded-instance text (DSP0201 INSTANCE), the form
 * pywbem's tocimxml() and WMI's GetText give (CIM-NOTES §9.2):
 *   <INSTANCE CLASSNAME="CIM_ReplicationSettingData">
 *     <PROPERTY NAME="ConsistentPointInTime" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>
 *   </INSTANCE>
 * The property table and every check on a value belong to cim_rsd.c, whose add functions this
 * parser calls, as the MOF parser does.
 *
 * Only what an embedded instance uses is XML here: an optional <?xml ...?> declaration (UTF-8),
 * comments and processing instructions, elements with attributes in single or double quotes,
 * the five predefined entities, character references and CDATA sections. A DOCTYPE is refused,
 * so no entity is ever defined or expanded. QUALIFIER elements are stepped over (they describe
 * the class, not the values); PROPERTY.ARRAY and PROPERTY.REFERENCE are refused, as the class
 * has no array or reference property that the gateway takes. Attributes other than CLASSNAME,
 * NAME and TYPE (CLASSORIGIN, PROPAGATED, xml:lang, ...) are allowed and ignored.
 *
 * Like the MOF parser it needs no recursion: the structure is three levels deep, and the one
 * element skipped whole (QUALIFIER) is skipped by counting its depth, which is bounded.
 */
#include "cim/cim_rsd_int.h"

#include <string.h>

#define XML_MAX_ATTRS 8  /* attributes of one element; DSP0201's elements have at most 6 */
#define XML_MAX_DEPTH 16 /* elements open inside a skipped QUALIFIER */

struct xml_attr {
    const char *name;
    size_t name_len;
    size_t value; /* offset of the decoded value in the parser's buf */
    size_t value_len;
};

struct xml_tag {
    size_t pos; /* offset of its '<' */
    bool end;   /* </name> */
    bool empty; /* <name/> */
    const char *name;
    size_t name_len;
    size_t n_attrs;
    struct xml_attr attrs[XML_MAX_ATTRS];
};

struct xml {
    const char *text;
    size_t len;
    size_t pos;
    char *buf;  /* len + 1 bytes: what is decoded is never longer than its text */
    size_t n;   /* bytes of buf in use */
    bool seen[CIM_RSD_MAX_PROPS]; /* cim_rsd_mark_given's record */
    struct cim_err *err;
};

#define fail_at(x, def, pos, ...) cim_rsd_fail_at((x)->err, (x)->text, (pos), (def), __VA_ARGS__)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_char(char c)
{
    return cim_rsd_is_alpha(c) || cim_rsd_is_digit(c) || c == '_' || c == ':' || c == '.' ||
           c == '-';
}

/* Whether the text at x->pos starts with s. */
static bool at(const struct xml *x, const char *s)
{
    size_t n = strlen(s);

    return x->len - x->pos >= n && memcmp(x->text + x->pos, s, n) == 0;
}

static bool name_is(const char *name, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(name, word, len) == 0;
}

/* XML 1.0 Char: tab, LF, CR and U+0020 up, less the surrogates and U+FFFE, U+FFFF. */
static bool is_xml_char(uint32_t cp)
{
    return (cp >= 0x20 || cp == 0x9 || cp == 0xA || cp == 0xD) &&
           !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF && cp <= 0x10FFFF;
}

/* Moves past the first s from x->pos on, or fails naming what was left open at start. */
static enum cim_rv skip_past(struct xml *x, const char *s, size_t start, const char *what)
{
    size_t n = strlen(s);

    while (x->len - x->pos >= n) {
        if (memcmp(x->text + x->pos, s, n) == 0) {
            x->pos += n;
            return CIM_RV_SUCCESS;
        }
        x->pos++;
    }
    return fail_at(x, NULL, start, "unterminated %s", what);
}

/* Moves past the comment at x->pos, in which "--" may only start its end (XML 1.0 2.5). */
static enum cim_rv skip_comment(struct xml *x)
{
    size_t start = x->pos;
    enum cim_rv rv;

    x->pos += 4;
    rv = skip_past(x, "--", start, "comment");
    if (rv == CIM_RV_SUCCESS && (x->pos >= x->len || x->text[x->pos] != '>'))
        return fail_at(x, NULL, x->pos - 2, "'--' inside a comment (it may only end one)");
    if (rv == CIM_RV_SUCCESS)
        x->pos++;
    return rv;
}

/* Whether an XML declaration starts at x->pos: a processing instruction whose target is "xml"
 * (XML 1.0 reserves the name in any case). */
static bool at_declaration(const struct xml *x)
{
    const char *t = x->text + x->pos;
    size_t left = x->len - x->pos;

    return left >= 6 && t[0] == '<' && t[1] == '?' && cim_rsd_equal_ignore_case(t + 2, 3, "xml") &&
           (is_space(t[5]) || t[5] == '?');
}

/* Skips white space, comments and processing instructions between elements. */
static enum cim_rv skip_misc(struct xml *x)
{
    for (;;) {
        size_t start;
        enum cim_rv rv;

        while (x->pos < x->len && is_space(x->text[x->pos]))
            x->pos++;
        start = x->pos;
        if (at(x, "<!--"))
            rv = skip_comment(x);
        else if (at_declaration(x))
            return fail_at(x, NULL, start, "an XML declaration may only open the text");
        else if (at(x, "<?"))
            rv = skip_past(x, "?>", start, "processing instruction");
        else if (at(x, "<!DOCTYPE"))
            return fail_at(x, NULL, start, "a DOCTYPE is not accepted");
        else
            return CIM_RV_SUCCESS;
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
}

/* Decodes the reference at x->text[*p] ('&') into x->buf and moves *p past its ';'. A
 * character XML does not allow is a fault of def's value when it is in one (def not NULL). */
static enum cim_rv decode_ref(struct xml *x, size_t *p, const struct cim_prop_def *def)
{
    static const struct {
        const char *name;
        char c;
    } entities[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    const char *t = x->text;
    size_t start = *p, q = *p + 1;
    uint32_t cp = 0;
    unsigned base = 10;
    size_t digits = 0;

    for (size_t i = 0; i < RG_ARRAY_LEN(entities); i++) {
        size_t n = strlen(entities[i].name);

        if (x->len - q >= n && memcmp(t + q, entities[i].name, n) == 0) {
            x->buf[x->n++] = entities[i].c;
            *p = q + n;
            return CIM_RV_SUCCESS;
        }
    }
    if (q >= x->len || t[q] != '#')
        return fail_at(x, NULL, start,
                       "'&' starts no reference (write it as &amp;; only &lt; &gt; &amp; &quot; "
                       "&apos; and character references are defined)");
    q++;
    if (q < x->len && t[q] == 'x') {
        base = 16;
        q++;
    }
    for (; q < x->len && t[q] != ';'; q++, digits++) {
        int d = base == 16              ? cim_rsd_read_hex_digit(t[q])
                : cim_rsd_is_digit(t[q]) ? t[q] - '0'
                                         : -1;

        if (d < 0 || digits >= 8)
            return fail_at(x, NULL, start, "malformed character reference");
        cp = cp * base + (uint32_t)d;
    }
    if (q >= x->len || digits == 0)
        return fail_at(x, NULL, start, "malformed character reference");
    if (!is_xml_char(cp))
        return fail_at(x, def, start, "character reference to U+%04X, which XML does not allow",
                       (unsigned)cp);
    x->n += cim_rsd_encode_utf8(cp, x->buf + x->n);
    *p = q + 1;
    return CIM_RV_SUCCESS;
}

/* Reads a quoted attribute value at x->pos into x->buf, references decoded. */
static enum cim_rv read_attr_value(struct xml *x, struct xml_attr *a)
{
    const char *t = x->text;
    size_t start = x->pos;
    char quote;

    if (x->pos >= x->len || (t[x->pos] != '"' && t[x->pos] != '\''))
        return fail_at(x, NULL, x->pos, "expected a quoted attribute value");
    quote = t[x->pos++];
    a->value = x->n;
    while (x->pos < x->len && t[x->pos] != quote) {
        enum cim_rv rv;

        if (t[x->pos] == '<')
            return fail_at(x, NULL, x->pos, "'<' inside an attribute value (write it as &lt;)");
        if (t[x->pos] != '&') {
            /* XML normalises white space in attribute values to spaces. */
            x->buf[x->n++] = is_space(t[x->pos]) ? ' ' : t[x->pos];
            x->pos++;
            continue;
        }
        rv = decode_ref(x, &x->pos, NULL);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    if (x->pos >= x->len)
        return fail_at(x, NULL, start, "unterminated attribute value");
    x->pos++;
    a->value_len = x->n - a->value;
    return CIM_RV_SUCCESS;
}

/* Reads the start or end tag at x->pos, which is a '<'. Attribute values are decoded into
 * x->buf, which starts afresh for each tag. */
static enum cim_rv read_tag(struct xml *x, struct xml_tag *tag)
{
    const char *t = x->text;
    size_t p;

    memset(tag, 0, sizeof(*tag));
    tag->pos = x->pos;
    x->n = 0;
    x->pos++;
    if (x->pos < x->len && t[x->pos] == '/') {
        tag->end = true;
        x->pos++;
    }
    p = x->pos;
    while (x->pos < x->len && is_name_char(t[x->pos]))
        x->pos++;
    if (x->pos == p)
        return fail_at(x, NULL, tag->pos, "expected an element name after '<'");
    tag->name = t + p;
    tag->name_len = x->pos - p;
    for (;;) {
        struct xml_attr *a;
        bool spaced = false;
        enum cim_rv rv;

        while (x->pos < x->len && is_space(t[x->pos])) {
            x->pos++;
            spaced = true;
        }
        if (x->pos >= x->len)
            return fail_at(x, NULL, tag->pos, "unterminated tag <%.*s>", (int)tag->name_len,
                           tag->name);
        if (t[x->pos] == '>') {
            x->pos++;
            return CIM_RV_SUCCESS;
        }
        if (!tag->end && t[x->pos] == '/' && x->pos + 1 < x->len && t[x->pos + 1] == '>') {
            tag->empty = true;
            x->pos += 2;
            return CIM_RV_SUCCESS;
        }
        if (tag->end || !spaced || !is_name_char(t[x->pos]))
            return fail_at(x, NULL, x->pos, "unexpected character in tag <%.*s",
                           (int)tag->name_len, tag->name);
        if (tag->n_attrs == XML_MAX_ATTRS)
            return fail_at(x, NULL, x->pos, "more than %d attributes in <%.*s>", XML_MAX_ATTRS,
                           (int)tag->name_len, tag->name);
        a = &tag->attrs[tag->n_attrs++];
        p = x->pos;
        while (x->pos < x->len && is_name_char(t[x->pos]))
            x->pos++;
        a->name = t + p;
        a->name_len = x->pos - p;
        for (size_t i = 0; i + 1 < tag->n_attrs; i++)
            if (tag->attrs[i].name_len == a->name_len &&
                memcmp(tag->attrs[i].name, a->name, a->name_len) == 0)
                return fail_at(x, NULL, p, "attribute %.*s given twice", (int)a->name_len,
                               a->name);
        while (x->pos < x->len && is_space(t[x->pos]))
            x->pos++;
        if (x->pos >= x->len || t[x->pos] != '=')
            return fail_at(x, NULL, x->pos, "expected '=' after attribute %.*s",
                           (int)a->name_len, a->name);
        x->pos++;
        while (x->pos < x->len && is_space(t[x->pos]))
            x->pos++;
        rv = read_attr_value(x, a);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
}

/* The decoded value of tag's attribute name, or NULL when it has none; *len its length. */
static const char *attr(const struct xml *x, const struct xml_tag *tag, const char *name,
                        size_t *len)
{
    for (size_t i = 0; i < tag->n_attrs; i++)
        if (name_is(tag->attrs[i].name, tag->attrs[i].name_len, name)) {
            *len = tag->attrs[i].value_len;
            return x->buf + tag->attrs[i].value;
        }
    return NULL;
}

/* Skips markup and white space up to the next tag, which it reads. Text other than white space
 * is refused: between elements of the instance it means nothing. */
static enum cim_rv next_tag(struct xml *x, struct xml_tag *tag, const char *inside)
{
    enum cim_rv rv = skip_misc(x);

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (x->pos >= x->len)
        return fail_at(x, NULL, x->pos, "the text ends inside <%s>", inside);
    if (x->text[x->pos] != '<')
        return fail_at(x, NULL, x->pos, "text is not allowed directly inside <%s>", inside);
    if (at(x, "<![CDATA["))
        return fail_at(x, NULL, x->pos, "text is not allowed directly inside <%s>", inside);
    return read_tag(x, tag);
}

/* Skips the element whose start tag was just read, with everything in it. */
static enum cim_rv skip_element(struct xml *x, const struct xml_tag *start)
{
    struct {
        const char *name;
        size_t len;
    } open[XML_MAX_DEPTH];
    size_t depth = 0;
    struct xml_tag tag;

    if (start->empty)
        return CIM_RV_SUCCESS;
    open[depth].name = start->name;
    open[depth++].len = start->name_len;
    while (depth > 0) {
        enum cim_rv rv = CIM_RV_SUCCESS;

        while (x->pos < x->len && x->text[x->pos] != '<')
            x->pos++;
        if (x->pos >= x->len)
            return fail_at(x, NULL, start->pos, "unterminated <%.*s>", (int)start->name_len,
                           start->name);
        if (at(x, "<!--")) {
            rv = skip_comment(x);
        } else if (at(x, "<![CDATA[")) {
            rv = skip_past(x, "]]>", x->pos, "CDATA section");
        } else if (at(x, "<?")) {
            rv = skip_past(x, "?>", x->pos, "processing instruction");
        } else {
            rv = read_tag(x, &tag);
            if (rv == CIM_RV_SUCCESS && tag.end) {
                depth--;
                if (tag.name_len != open[depth].len ||
                    memcmp(tag.name, open[depth].name, tag.name_len) != 0)
                    return fail_at(x, NULL, tag.pos, "</%.*s> closes <%.*s>",
                                   (int)tag.name_len, tag.name, (int)open[depth].len,
                                   open[depth].name);
            } else if (rv == CIM_RV_SUCCESS && !tag.empty) {
                if (depth == XML_MAX_DEPTH)
                    return fail_at(x, NULL, tag.pos, "elements nest deeper than %d levels",
                                   XML_MAX_DEPTH);
                open[depth].name = tag.name;
                open[depth++].len = tag.name_len;
            }
        }
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    return CIM_RV_SUCCESS;
}

/* Reads the character data of def's VALUE up to its end tag into x->buf (from 0): references
 * decoded, CDATA sections taken as they are, comments and processing instructions dropped, line
 * ends normalised to LF. */
static enum cim_rv read_value_text(struct xml *x, const struct cim_prop_def *def)
{
    const char *t = x->text;
    struct xml_tag tag;
    enum cim_rv rv;

    x->n = 0;
    for (;;) {
        if (x->pos >= x->len)
            return fail_at(x, NULL, x->pos, "the text ends inside <VALUE>");
        if (at(x, "<![CDATA[")) {
            size_t start = x->pos;

            x->pos += 9;
            while (x->pos < x->len && !at(x, "]]>"))
                x->buf[x->n++] = t[x->pos++];
            if (x->pos >= x->len)
                return fail_at(x, NULL, start, "unterminated CDATA section");
            x->pos += 3;
        } else if (at(x, "<!--") || at(x, "<?")) {
            rv = at(x, "<?") ? skip_past(x, "?>", x->pos, "processing instruction")
                             : skip_comment(x);
            if (rv != CIM_RV_SUCCESS)
                return rv;
        } else if (t[x->pos] == '<') {
            break;
        } else if (t[x->pos] == '&') {
            rv = decode_ref(x, &x->pos, def);
            if (rv != CIM_RV_SUCCESS)
                return rv;
        } else if (at(x, "]]>")) {
            return fail_at(x, NULL, x->pos, "']]>' outside a CDATA section (write it as ]]&gt;)");
        } else if (t[x->pos] == '\r') {
            x->buf[x->n++] = '\n';
            x->pos += x->pos + 1 < x->len && t[x->pos + 1] == '\n' ? 2 : 1;
        } else {
            x->buf[x->n++] = t[x->pos++];
        }
    }
    /* An end tag has no attributes, so reading it leaves the value in x->buf as it is. */
    {
        size_t value_len = x->n, tag_pos = x->pos;

        rv = read_tag(x, &tag);
        if (rv != CIM_RV_SUCCESS)
            return rv;
        if (!tag.end || !name_is(tag.name, tag.name_len, "VALUE"))
            return fail_at(x, NULL, tag_pos, "<VALUE> holds text only, not <%s%.*s>",
                           tag.end ? "/" : "", (int)tag.name_len, tag.name);
        x->n = value_len;
    }
    return CIM_RV_SUCCESS;
}

/* The CIM-XML TYPE of a property of this type. */
static const char *xml_type(enum cim_type type)
{
    static const char *const names[] = {
        [CIM_T_BOOLEAN] = "boolean", [CIM_T_UINT16] = "uint16",     [CIM_T_UINT64] = "uint64",
        [CIM_T_STRING] = "string",   [CIM_T_DATETIME] = "datetime",
    };

    return names[type];
}

/* Reads the len bytes at v, an integer value of def (the VALUE at pos): decimal, or hex after
 * 0x, with an optional '+'; "-0" is 0, as in the other forms. */
static enum cim_rv read_uint(struct xml *x, const struct cim_prop_def *def, size_t pos,
                             const char *v, size_t len, uint64_t *u)
{
    bool ok;

    if (len > 0 && v[0] == '+') {
        v++;
        len--;
    }
    if (len == 2 && v[0] == '-' && v[1] == '0') {
        *u = 0;
        return CIM_RV_SUCCESS;
    }
    if (len > 0 && v[0] == '-')
        return fail_at(x, def, pos, "%s must not be negative", def->name);
    if (len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
        ok = cim_rsd_parse_uint(v + 2, len - 2, 16, u);
    else
        ok = cim_rsd_parse_uint(v, len, 10, u);
    if (!ok)
        return fail_at(x, def, pos,
                       "%s must be a decimal or 0x hexadecimal integer of at most 64 bits",
                       def->name);
    return CIM_RV_SUCCESS;
}

/* Adds def's value, the n bytes of x->buf, which the VALUE at pos gave. */
static enum cim_rv add_value(struct xml *x, const struct cim_prop_def *def, size_t pos,
                             struct cim_rsd *rsd)
{
    const char *v = x->buf;
    size_t len = x->n;
    struct cim_err inner;
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER; /* every kind below sets it */
    uint64_t u = 0;

    cim_err_clear(&inner);
    /* Only a string keeps its white space: around a number, a boolean or a datetime it is
     * layout. */
    if (def->type != CIM_T_STRING) {
        while (len > 0 && is_space(v[0])) {
            v++;
            len--;
        }
        while (len > 0 && is_space(v[len - 1]))
            len--;
    }
    switch (cim_rsd_kind_of(def->type)) {
    case VK_BOOL: {
        bool yes = cim_rsd_equal_ignore_case(v, len, "true");

        if (!yes && !cim_rsd_equal_ignore_case(v, len, "false"))
            return fail_at(x, def, pos, "%s must be TRUE or FALSE", def->name);
        rv = cim_rsd_add_bool(rsd, def, yes, &inner);
        break;
    }
    case VK_UINT:
        rv = read_uint(x, def, pos, v, len, &u);
        if (rv != CIM_RV_SUCCESS)
            return rv;
        rv = cim_rsd_add_uint(rsd, def, u, &inner);
        break;
    case VK_STRING:
        rv = cim_rsd_add_string_n(rsd, def, v, len, &inner);
        break;
    }
    return rv == CIM_RV_SUCCESS ? rv : cim_rsd_relay_at(x->err, x->text, pos, &inner);
}

/* A PROPERTY whose start tag was just read: its NAME and TYPE, QUALIFIERs, at most one VALUE
 * (none is NULL, which is not added). */
static enum cim_rv parse_property(struct xml *x, const struct xml_tag *start, struct cim_rsd *rsd)
{
    size_t name_len = 0, type_len = 0;
    const char *name = attr(x, start, "NAME", &name_len);
    const char *type = attr(x, start, "TYPE", &type_len);
    const struct cim_prop_def *def;
    struct cim_err inner;
    struct xml_tag tag;
    bool valued = false;
    enum cim_rv rv;

    if (!name)
        return fail_at(x, NULL, start->pos, "<PROPERTY> needs a NAME");
    def = cim_rsd_find_def_n(name, name_len);
    if (!def)
        return cim_rsd_fail_undefined_at(x->err, x->text, start->pos, name, name_len);
    cim_err_clear(&inner);
    if (cim_rsd_mark_given(x->seen, def, &inner) != CIM_RV_SUCCESS)
        return cim_rsd_relay_at(x->err, x->text, start->pos, &inner);
    if (!type)
        return fail_at(x, def, start->pos, "<PROPERTY NAME=\"%s\"> needs a TYPE (%s)", def->name,
                       xml_type(def->type));
    if (!name_is(type, type_len, xml_type(def->type)))
        return fail_at(x, def, start->pos, "%s is %s, not TYPE \"%.*s\"", def->name,
                       cim_rsd_name_type(def->type), (int)(type_len < 32 ? type_len : 32), type);
    if (start->empty)
        return CIM_RV_SUCCESS;
    for (;;) {
        rv = next_tag(x, &tag, "PROPERTY");
        if (rv != CIM_RV_SUCCESS)
            return rv;
        if (tag.end) {
            if (!name_is(tag.name, tag.name_len, "PROPERTY"))
                return fail_at(x, NULL, tag.pos, "</%.*s> closes <PROPERTY>", (int)tag.name_len,
                               tag.name);
            return CIM_RV_SUCCESS;
        }
        if (name_is(tag.name, tag.name_len, "QUALIFIER") && !valued) {
            rv = skip_element(x, &tag);
        } else if (name_is(tag.name, tag.name_len, "VALUE") && !valued) {
            size_t pos = tag.pos;

            valued = true;
            x->n = 0;
            rv = tag.empty ? CIM_RV_SUCCESS : read_value_text(x, def);
            if (rv == CIM_RV_SUCCESS)
                rv = add_value(x, def, pos, rsd);
        } else if (name_is(tag.name, tag.name_len, "VALUE.ARRAY")) {
            return fail_at(x, def, tag.pos, "%s: array values are not supported", def->name);
        } else {
            return fail_at(x, NULL, tag.pos, "unexpected <%.*s> in <PROPERTY>",
                           (int)tag.name_len, tag.name);
        }
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
}

/* PROPERTY.ARRAY or PROPERTY.REFERENCE, just read. The class has no array or reference property
 * that the gateway takes; the one array it has, ComponentSetting[], may come as NULL (no
 * VALUE.ARRAY), as in a default instance read back, and is left out. */
static enum cim_rv parse_array_or_reference(struct xml *x, const struct xml_tag *start)
{
    size_t name_len = 0;
    const char *name = attr(x, start, "NAME", &name_len);
    const struct cim_prop_def *def = name ? cim_rsd_find_def_n(name, name_len) : NULL;
    size_t pos = start->pos;
    bool untaken;
    struct xml_tag tag;
    enum cim_rv rv;

    if (!name)
        return fail_at(x, NULL, pos, "<%.*s> needs a NAME", (int)start->name_len, start->name);
    if (def)
        return fail_at(x, def, pos, "%s is %s, not an array or a reference", def->name,
                       cim_rsd_name_type(def->type));
    untaken = name_is(start->name, start->name_len, "PROPERTY.ARRAY") &&
              cim_rsd_is_untaken(name, name_len);
    if (!untaken)
        return cim_rsd_fail_undefined_at(x->err, x->text, pos, name, name_len);
    if (start->empty)
        return CIM_RV_SUCCESS;
    for (;;) {
        rv = next_tag(x, &tag, "PROPERTY.ARRAY");
        if (rv != CIM_RV_SUCCESS)
            return rv;
        if (tag.end)
            return name_is(tag.name, tag.name_len, "PROPERTY.ARRAY")
                       ? CIM_RV_SUCCESS
                       : fail_at(x, NULL, tag.pos, "</%.*s> closes <PROPERTY.ARRAY>",
                                 (int)tag.name_len, tag.name);
        if (!name_is(tag.name, tag.name_len, "QUALIFIER"))
            return cim_rsd_fail_undefined_at(x->err, x->text, pos, "ComponentSetting", 16);
        rv = skip_element(x, &tag);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
}

/* Whether tag, a property element, is one of WMI's system properties (__CLASS, __PATH, ...),
 * which GetText writes into every instance: they describe the object, not the setting data. */
static bool is_system_property(const struct xml *x, const struct xml_tag *tag)
{
    size_t len = 0;
    const char *name = attr(x, tag, "NAME", &len);

    return name && len > 2 && name[0] == '_' && name[1] == '_';
}

/* Moves past an XML declaration at x->pos, if there is one; it must not name an encoding other
 * than UTF-8, as the text arrived in a JSON string. */
static enum cim_rv skip_declaration(struct xml *x)
{
    size_t start = x->pos;
    enum cim_rv rv;

    if (!at_declaration(x))
        return CIM_RV_SUCCESS;
    rv = skip_past(x, "?>", start, "XML declaration");
    for (size_t p = start; rv == CIM_RV_SUCCESS && p + 8 < x->pos; p++) {
        const char *v = x->text + p + 8;

        if (memcmp(x->text + p, "encoding", 8) != 0)
            continue;
        while (v < x->text + x->pos && (is_space(*v) || *v == '='))
            v++;
        if (x->text + x->pos - v < 7 || (v[0] != '"' && v[0] != '\'') ||
            !cim_rsd_equal_ignore_case(v + 1, 5, "utf-8") || v[6] != v[0])
            return fail_at(x, NULL, p, "the XML declaration names an encoding other than UTF-8");
        break;
    }
    return rv;
}

static enum cim_rv parse_instance(struct xml *x, struct cim_rsd *rsd)
{
    struct cim_err inner;
    struct xml_tag tag;
    size_t len = 0;
    const char *class_name;
    enum cim_rv rv;
    bool closed, is_property;

    if (at(x, "\xEF\xBB\xBF")) /* a UTF-8 byte-order mark */
        x->pos += 3;
    rv = skip_declaration(x);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    rv = skip_misc(x);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (x->pos >= x->len || x->text[x->pos] != '<')
        return fail_at(x, NULL, x->pos, "expected <INSTANCE>");
    rv = read_tag(x, &tag);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (tag.end || !name_is(tag.name, tag.name_len, "INSTANCE"))
        return fail_at(x, NULL, tag.pos, "expected <INSTANCE>, not <%s%.*s>", tag.end ? "/" : "",
                       (int)tag.name_len, tag.name);
    class_name = attr(x, &tag, "CLASSNAME", &len);
    if (!class_name)
        return fail_at(x, NULL, tag.pos, "<INSTANCE> needs a CLASSNAME");
    cim_err_clear(&inner);
    if (cim_rsd_set_class_n(rsd, class_name, len, &inner) != CIM_RV_SUCCESS)
        return cim_rsd_relay_at(x->err, x->text, tag.pos, &inner);
    closed = tag.empty;
    while (!closed) {
        rv = next_tag(x, &tag, "INSTANCE");
        if (rv != CIM_RV_SUCCESS)
            return rv;
        if (tag.end) {
            if (!name_is(tag.name, tag.name_len, "INSTANCE"))
                return fail_at(x, NULL, tag.pos, "</%.*s> closes <INSTANCE>", (int)tag.name_len,
                               tag.name);
            closed = true;
            continue;
        }
        is_property = name_is(tag.name, tag.name_len, "PROPERTY") ||
                      name_is(tag.name, tag.name_len, "PROPERTY.ARRAY") ||
                      name_is(tag.name, tag.name_len, "PROPERTY.REFERENCE");
        if (name_is(tag.name, tag.name_len, "QUALIFIER") ||
            (is_property && is_system_property(x, &tag)))
            rv = skip_element(x, &tag);
        else if (name_is(tag.name, tag.name_len, "PROPERTY"))
            rv = parse_property(x, &tag, rsd);
        else if (is_property)
            rv = parse_array_or_reference(x, &tag);
        else
            return fail_at(x, NULL, tag.pos, "unexpected <%.*s> in <INSTANCE>",
                           (int)tag.name_len, tag.name);
        if (rv != CIM_RV_SUCCESS)
            return rv;
    }
    rv = skip_misc(x);
    if (rv == CIM_RV_SUCCESS && x->pos < x->len)
        return fail_at(x, NULL, x->pos, "unexpected text after the instance");
    return rv;
}

static enum cim_rv parse_xml(const char *text, size_t len, char *buf, struct cim_rsd *into,
                             struct cim_err *err)
{
    struct xml x = {.text = text, .len = len, .buf = buf, .err = err};

    /* The text holds only what XML allows, as references to it must (decode_ref). */
    for (size_t p = 0, n; p < len; p += n) {
        uint32_t cp;

        if ((n = rg_utf8_char(text + p, len - p, &cp)) == 0)
            return fail_at(&x, NULL, p, "the text is not UTF-8");
        if (cp == 0)
            return fail_at(&x, NULL, p, "a NUL byte is not XML");
        if (!is_xml_char(cp))
            return fail_at(&x, NULL, p, "U+%04X is a character XML does not allow",
                           (unsigned)cp);
    }
    return parse_instance(&x, into);
}

enum cim_rv cim_rsd_parse_xml_n(const char *text, size_t len, struct cim_rsd *rsd,
                                struct cim_err *err)
{
    return cim_rsd_parse_text("CIM-XML", parse_xml, text, len, rsd, err);
}
