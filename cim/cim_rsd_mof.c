/* CIM_ReplicationSettingData from its MOF embedded-instance text (DSP0004 instanceDeclaration):
 * tokens, string escapes, numbers and line:column positions in error messages. The property
 * table and every check on a value belong to cim_rsd.c, whose add functions this parser calls.
 *
 * The grammar is flat, so the parser needs no recursion: one token of lookahead, a cursor that
 * only moves forward, and every read checked against the text's length, because the fuzzer and
 * the clients feed it whatever they like.
 *   [qualifiers] instance of <Class> [as $<alias>] { ([qualifiers] <Property> = <value> ;)* } [;]
 *   value: TRUE | FALSE | NULL | integer | string+
 * Qualifiers describe and set nothing: they are skipped, as is the alias, which names the
 * instance only for other declarations of the same MOF file.
 */
#include "cim/cim_rsd_int.h"

#include <stdio.h>
#include <string.h>

enum tok_kind {
    TOK_END,
    TOK_IDENT,
    TOK_NUMBER,
    TOK_STRING,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_EQUALS,
    TOK_SEMICOLON,
    TOK_LBRACKET, /* a qualifier list's opening */
    TOK_ALIAS     /* $name */
};

struct mof_token {
    enum tok_kind kind;
    size_t start; /* offset in the text */
    size_t len;   /* bytes, quotes included for a string */
};

struct mof {
    const char *text;
    size_t len;
    size_t pos; /* where the next token is looked for */
    struct mof_token tok;
    char *buf; /* len + 1 bytes: decoded strings are never longer than their literals */
    bool seen[CIM_RSD_MAX_PROPS]; /* cim_rsd_mark_given's record */
    struct cim_err *err;
};

/* Records an error at offset pos: about def's value when def is given, else about the text. */
#define fail_at(m, def, pos, ...) cim_rsd_fail_at((m)->err, (m)->text, (pos), (def), __VA_ARGS__)

/* Passes on an error an add function wrote to a scratch record, adding where the value is. */
static enum cim_rv relay_at(struct mof *m, size_t pos, const struct cim_err *inner)
{
    return cim_rsd_relay_at(m->err, m->text, pos, inner);
}

/* Skips whitespace, // line comments and C comments. */
static enum cim_rv skip_blanks(struct mof *m)
{
    const char *t = m->text;

    while (m->pos < m->len) {
        char c = t[m->pos];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
            m->pos++;
        } else if (c == '/' && m->pos + 1 < m->len && t[m->pos + 1] == '/') {
            while (m->pos < m->len && t[m->pos] != '\n')
                m->pos++;
        } else if (c == '/' && m->pos + 1 < m->len && t[m->pos + 1] == '*') {
            size_t start = m->pos;

            m->pos += 2;
            while (m->pos + 1 < m->len && !(t[m->pos] == '*' && t[m->pos + 1] == '/'))
                m->pos++;
            if (m->pos + 1 >= m->len)
                return fail_at(m, NULL, start, "unterminated comment");
            m->pos += 2;
        } else {
            break;
        }
    }
    return CIM_RV_SUCCESS;
}

/* Finds the end of the string literal at m->pos. Escapes are only stepped over here and decoded
 * by decode_string, which can then rely on every backslash having a character after it. */
static enum cim_rv scan_string(struct mof *m)
{
    const char *t = m->text;
    size_t start = m->pos;
    size_t p = start + 1;

    while (p < m->len && t[p] != '"') {
        if (t[p] == '\n' || t[p] == '\r')
            return fail_at(m, NULL, p, "line break inside a string (write it as \\n)");
        if (t[p] == '\\') {
            if (p + 1 < m->len && (t[p + 1] == '\n' || t[p + 1] == '\r'))
                return fail_at(m, NULL, p + 1, "line break inside a string (write it as \\n)");
            p++;
        }
        p++;
    }
    if (p >= m->len)
        return fail_at(m, NULL, start, "unterminated string");
    m->tok = (struct mof_token){TOK_STRING, start, p + 1 - start};
    m->pos = p + 1;
    return CIM_RV_SUCCESS;
}

static bool is_ident_char(char c)
{
    return cim_rsd_is_alpha(c) || cim_rsd_is_digit(c) || c == '_';
}

static enum cim_rv next_token(struct mof *m)
{
    const char *t = m->text;
    enum cim_rv rv = skip_blanks(m);
    size_t p = m->pos;
    char c;

    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (p == m->len) {
        m->tok = (struct mof_token){TOK_END, p, 0};
        return CIM_RV_SUCCESS;
    }
    c = t[p];
    if (c == '"')
        return scan_string(m);
    if (c == '$' && p + 1 < m->len && (cim_rsd_is_alpha(t[p + 1]) || t[p + 1] == '_')) {
        for (p += 2; p < m->len && is_ident_char(t[p]); p++)
            ;
        m->tok = (struct mof_token){TOK_ALIAS, m->pos, p - m->pos};
        m->pos = p;
        return CIM_RV_SUCCESS;
    }
    if (cim_rsd_is_alpha(c) || c == '_' || cim_rsd_is_digit(c) ||
        ((c == '+' || c == '-') && p + 1 < m->len && cim_rsd_is_digit(t[p + 1]))) {
        /* A number takes in letters, '.' and '_' too, so that 1.5, 0x1G or 12abc become one
         * token and get one clear message instead of a confusing one about what follows. */
        bool number = !cim_rsd_is_alpha(c) && c != '_';

        p++;
        while (p < m->len && (is_ident_char(t[p]) || (number && t[p] == '.')))
            p++;
        m->tok = (struct mof_token){number ? TOK_NUMBER : TOK_IDENT, m->pos, p - m->pos};
        m->pos = p;
        return CIM_RV_SUCCESS;
    }
    switch (c) {
    case '{':
        m->tok.kind = TOK_LBRACE;
        break;
    case '}':
        m->tok.kind = TOK_RBRACE;
        break;
    case '=':
        m->tok.kind = TOK_EQUALS;
        break;
    case ';':
        m->tok.kind = TOK_SEMICOLON;
        break;
    case '[':
        m->tok.kind = TOK_LBRACKET;
        break;
    default:
        if (c > 0x20 && c < 0x7F)
            return fail_at(m, NULL, p, "unexpected character '%c'", c);
        return fail_at(m, NULL, p, "unexpected byte 0x%02X", (unsigned)(unsigned char)c);
    }
    m->tok.start = p;
    m->tok.len = 1;
    m->pos = p + 1;
    return CIM_RV_SUCCESS;
}

static bool is_keyword(const struct mof *m, const char *word)
{
    return m->tok.kind == TOK_IDENT &&
           cim_rsd_equal_ignore_case(m->text + m->tok.start, m->tok.len, word);
}

/* Moves past a token of the given kind, or fails saying what was expected. */
static enum cim_rv expect(struct mof *m, enum tok_kind kind, const char *what)
{
    if (m->tok.kind != kind)
        return fail_at(m, NULL, m->tok.start, "expected %s", what);
    return next_token(m);
}

/* Appends the current string literal, escapes decoded, to m->buf at *n. \x and \X take 1 to 4
 * hex digits naming a UCS-2 character (DSP0004 escapedUCS2), written as UTF-8; each escape is
 * at least as long as what it decodes to, so m->buf cannot overflow. */
static enum cim_rv decode_string(struct mof *m, size_t *n)
{
    const char *t = m->text;
    size_t p = m->tok.start + 1;
    size_t end = m->tok.start + m->tok.len - 1;

    while (p < end) {
        static const char simple_from[] = "btnfr\"'\\";
        static const char simple_to[] = "\b\t\n\f\r\"'\\";
        size_t esc = p;
        const char *simple;
        uint32_t cp = 0;
        size_t digits = 0;

        if (t[p] != '\\') {
            m->buf[(*n)++] = t[p++];
            continue;
        }
        p++;
        simple = memchr(simple_from, t[p], sizeof(simple_from) - 1);
        if (simple) {
            m->buf[(*n)++] = simple_to[simple - simple_from];
            p++;
            continue;
        }
        if (t[p] != 'x' && t[p] != 'X') {
            if (t[p] > 0x20 && t[p] < 0x7F)
                return fail_at(m, NULL, esc, "unknown escape '\\%c' in a string", t[p]);
            return fail_at(m, NULL, esc, "unknown escape in a string");
        }
        p++;
        while (p < end && digits < 4 && cim_rsd_read_hex_digit(t[p]) >= 0) {
            cp = cp * 16 + (uint32_t)cim_rsd_read_hex_digit(t[p]);
            p++;
            digits++;
        }
        if (digits == 0)
            return fail_at(m, NULL, esc, "\\x must be followed by 1 to 4 hex digits");
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return fail_at(m, NULL, esc, "\\x%04X is a UTF-16 surrogate, not a character",
                           (unsigned)cp);
        *n += cim_rsd_encode_utf8(cp, m->buf + *n);
    }
    return CIM_RV_SUCCESS;
}

/* Converts the current number token: decimal, or hex after 0x. Leading zeros are refused
 * because DSP0004 reads them as octal, which the header does not promise to support. */
static enum cim_rv convert_number(struct mof *m, const struct cim_prop_def *def, uint64_t *v)
{
    const char *s = m->text + m->tok.start;
    size_t len = m->tok.len;
    bool ok;

    /* -0 is zero, as the same value in the JSON form is. */
    if (len == 2 && s[0] == '-' && s[1] == '0') {
        *v = 0;
        return CIM_RV_SUCCESS;
    }
    if (s[0] == '-')
        return fail_at(m, def, m->tok.start, "%s must not be negative", def->name);
    /* DSP0004's decimalValue and hexValue take a sign: "+" changes nothing. */
    if (s[0] == '+') {
        s++;
        len--;
    }
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        ok = cim_rsd_parse_uint(s + 2, len - 2, 16, v);
    else if (len >= 2 && s[0] == '0')
        return fail_at(m, def, m->tok.start,
                       "%s: leading zeros are not allowed (octal is not supported)", def->name);
    else
        ok = cim_rsd_parse_uint(s, len, 10, v);
    if (!ok)
        return fail_at(m, def, m->tok.start,
                       "%s must be a decimal or 0x hexadecimal integer of at most 64 bits; "
                       "got '%.*s'",
                       def->name, (int)(len < 32 ? len : 32), s);
    return CIM_RV_SUCCESS;
}

/* What kind of value the current token starts, or false when it starts none. */
static bool read_value_kind(const struct mof *m, enum cim_rsd_value_kind *kind)
{
    if (m->tok.kind == TOK_NUMBER)
        *kind = VK_UINT;
    else if (m->tok.kind == TOK_STRING)
        *kind = VK_STRING;
    else if (is_keyword(m, "true") || is_keyword(m, "false"))
        *kind = VK_BOOL;
    else
        return false;
    return true;
}

/* Adds the value at the current token to rsd and moves past it. */
static enum cim_rv parse_value(struct mof *m, const struct cim_prop_def *def, struct cim_rsd *rsd)
{
    size_t pos = m->tok.start;
    struct cim_err inner;
    enum cim_rsd_value_kind kind;
    enum cim_rv rv = CIM_RV_INVALID_PARAMETER; /* every kind below sets it */
    uint64_t u = 0;
    size_t n = 0;

    if (m->tok.kind == TOK_LBRACE)
        return fail_at(m, def, pos, "%s: array values are not supported", def->name);
    if (!read_value_kind(m, &kind))
        return fail_at(m, NULL, pos,
                       "expected a value (TRUE, FALSE, NULL, an integer or a string) after '='");
    if (kind != cim_rsd_kind_of(def->type))
        return fail_at(m, def, pos, "%s is %s, not %s", def->name, cim_rsd_name_type(def->type),
                       cim_rsd_name_kind(kind));
    cim_err_clear(&inner);
    switch (kind) {
    case VK_BOOL:
        rv = cim_rsd_add_bool(rsd, def, is_keyword(m, "true"), &inner);
        break;
    case VK_UINT:
        rv = convert_number(m, def, &u);
        if (rv != CIM_RV_SUCCESS)
            return rv;
        rv = cim_rsd_add_uint(rsd, def, u, &inner);
        break;
    case VK_STRING:
        /* Adjacent literals form one value: "ab" "cd" is "abcd". */
        while (m->tok.kind == TOK_STRING) {
            rv = decode_string(m, &n);
            if (rv == CIM_RV_SUCCESS)
                rv = next_token(m);
            if (rv != CIM_RV_SUCCESS)
                return rv;
        }
        rv = cim_rsd_add_string_n(rsd, def, m->buf, n, &inner);
        break;
    }
    if (rv != CIM_RV_SUCCESS)
        return relay_at(m, pos, &inner);
    /* The string loop has already moved past its literals. */
    return kind == VK_STRING ? CIM_RV_SUCCESS : next_token(m);
}

/* <Property> = NULL ; for a property the class has and the service does not take, with the
 * current token on its name; any other value, or any other name, is 5 naming it. */
static enum cim_rv parse_untaken(struct mof *m)
{
    struct mof_token name = m->tok;
    enum cim_rv rv = CIM_RV_SUCCESS;

    if (cim_rsd_is_untaken(m->text + name.start, name.len)) {
        rv = next_token(m);
        if (rv == CIM_RV_SUCCESS)
            rv = expect(m, TOK_EQUALS, "'=' after property name");
        if (rv == CIM_RV_SUCCESS && is_keyword(m, "null")) {
            rv = next_token(m);
            return rv == CIM_RV_SUCCESS ? expect(m, TOK_SEMICOLON, "';' after the value") : rv;
        }
    }
    if (rv != CIM_RV_SUCCESS)
        return rv;
    return cim_rsd_fail_undefined_at(m->err, m->text, name.start, m->text + name.start, name.len);
}

/* Skips the qualifier list whose '[' is the current token, up to its ']' (outside the strings
 * of its values), and reads the token after it. */
static enum cim_rv skip_qualifiers(struct mof *m)
{
    size_t start = m->tok.start;
    enum cim_rv rv;

    if (m->tok.kind != TOK_LBRACKET)
        return CIM_RV_SUCCESS;
    m->pos = start + 1;
    while (m->pos < m->len && m->text[m->pos] != ']') {
        if (m->text[m->pos] != '"') {
            m->pos++;
            continue;
        }
        if ((rv = scan_string(m)) != CIM_RV_SUCCESS)
            return rv;
    }
    if (m->pos >= m->len)
        return fail_at(m, NULL, start, "unterminated qualifier list (no ']')");
    m->pos++;
    return next_token(m);
}

/* <Property> = <value> ; with the current token on the property name. */
static enum cim_rv parse_property(struct mof *m, struct cim_rsd *rsd)
{
    const struct cim_prop_def *def = cim_rsd_find_def_n(m->text + m->tok.start, m->tok.len);
    size_t pos = m->tok.start;
    struct cim_err inner;
    enum cim_rv rv;

    if (!def)
        return parse_untaken(m);
    cim_err_clear(&inner);
    if (cim_rsd_mark_given(m->seen, def, &inner) != CIM_RV_SUCCESS)
        return relay_at(m, pos, &inner);
    rv = next_token(m);
    if (rv == CIM_RV_SUCCESS)
        rv = expect(m, TOK_EQUALS, "'=' after property name");
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (is_keyword(m, "null"))
        rv = next_token(m);
    else
        rv = parse_value(m, def, rsd);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    return expect(m, TOK_SEMICOLON, "';' after the value");
}

static enum cim_rv parse_instance(struct mof *m, struct cim_rsd *rsd)
{
    struct cim_err inner;
    enum cim_rv rv = next_token(m);

    if (rv == CIM_RV_SUCCESS)
        rv = skip_qualifiers(m);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!is_keyword(m, "instance"))
        return fail_at(m, NULL, m->tok.start, "expected 'instance'");
    rv = next_token(m);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (!is_keyword(m, "of"))
        return fail_at(m, NULL, m->tok.start, "expected 'of' after 'instance'");
    rv = next_token(m);
    if (rv != CIM_RV_SUCCESS)
        return rv;
    if (m->tok.kind != TOK_IDENT)
        return fail_at(m, NULL, m->tok.start, "expected a class name after 'instance of'");
    cim_err_clear(&inner);
    if (cim_rsd_set_class_n(rsd, m->text + m->tok.start, m->tok.len, &inner) != CIM_RV_SUCCESS)
        return relay_at(m, m->tok.start, &inner);
    rv = next_token(m);
    if (rv == CIM_RV_SUCCESS && is_keyword(m, "as")) {
        rv = next_token(m);
        if (rv == CIM_RV_SUCCESS)
            rv = expect(m, TOK_ALIAS, "an alias ($name) after 'as'");
    }
    if (rv == CIM_RV_SUCCESS)
        rv = expect(m, TOK_LBRACE, "'{' after the class name");
    while (rv == CIM_RV_SUCCESS && m->tok.kind != TOK_RBRACE) {
        if ((rv = skip_qualifiers(m)) != CIM_RV_SUCCESS)
            return rv;
        if (m->tok.kind != TOK_IDENT)
            return fail_at(m, NULL, m->tok.start, "expected a property name or '}'");
        rv = parse_property(m, rsd);
    }
    if (rv == CIM_RV_SUCCESS)
        rv = next_token(m);
    if (rv == CIM_RV_SUCCESS && m->tok.kind == TOK_SEMICOLON)
        rv = next_token(m);
    if (rv == CIM_RV_SUCCESS && m->tok.kind != TOK_END)
        return fail_at(m, NULL, m->tok.start, "unexpected text after the instance");
    return rv;
}

enum cim_rv cim_rsd_parse_mof(const char *text, struct cim_rsd *rsd, struct cim_err *err)
{
    return cim_rsd_parse_mof_n(text, text ? strnlen(text, CIM_RSD_MAX_TEXT + 1) : 0, rsd, err);
}

static enum cim_rv parse_mof(const char *text, size_t len, char *buf, struct cim_rsd *into,
                             struct cim_err *err)
{
    struct mof m = {.text = text, .len = len, .buf = buf, .err = err};

    return parse_instance(&m, into);
}

enum cim_rv cim_rsd_parse_mof_n(const char *text, size_t len, struct cim_rsd *rsd,
                                struct cim_err *err)
{
    return cim_rsd_parse_text("MOF", parse_mof, text, len, rsd, err);
}
