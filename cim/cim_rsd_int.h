/* cim_rsd internals shared by cim_rsd.c (the setting-data model) and cim_rsd_mof.c (its MOF
 * parser). The parser depends on the model, never the reverse. Nothing outside these two files
 * includes this. */
#ifndef CIM_RSD_INT_H
#define CIM_RSD_INT_H

#include "cim/cim_rsd.h"

/* The parameter every error names, alone or as "ReplicationSettingData.<Property>". */
#define CIM_RSD_PARAM "ReplicationSettingData"
/* Size of a struct cim_err detail, for messages formatted before they are recorded. */
#define CIM_RSD_DETAIL_SIZE sizeof(((struct cim_err *)NULL)->detail)

/* The three shapes a value arrives in; each add function takes one of them. */
enum cim_rsd_value_kind { VK_BOOL, VK_UINT, VK_STRING };

/* True for ASCII '0' to '9'. */
bool cim_rsd_is_digit(char c);
/* True for ASCII 'A' to 'Z' and 'a' to 'z'. */
bool cim_rsd_is_alpha(char c);
/* True when s (len bytes, not NUL-terminated) equals word, ignoring ASCII case as CIM does. */
bool cim_rsd_equal_ignore_case(const char *s, size_t len, const char *word);
/* The value of hex digit c, or -1. */
int cim_rsd_read_hex_digit(char c);
/* Reads len digits of base 10 or 16 into *v; false if empty, on any other byte or past 64 bits. */
bool cim_rsd_parse_uint(const char *s, size_t len, unsigned base, uint64_t *v);

/* The kind of value a property of this type takes. */
enum cim_rsd_value_kind cim_rsd_kind_of(enum cim_type type);
/* The type as messages name it: "a boolean", "a uint16", ... */
const char *cim_rsd_name_type(enum cim_type type);
/* The kind as messages name it: "a boolean", "an integer" or "a string". */
const char *cim_rsd_name_kind(enum cim_rsd_value_kind kind);

/* cim_rsd_find_def for a name of len bytes, not NUL-terminated. */
const struct cim_prop_def *cim_rsd_find_def_n(const char *name, size_t len);
/* Where def, a cim_rsd_find_def result, stands in the property table: below CIM_RSD_MAX_PROPS. */
size_t cim_rsd_def_index(const struct cim_prop_def *def);

/* Records a problem with def's value as 5 with param "ReplicationSettingData.<Name>"; returns 5. */
enum cim_rv cim_rsd_fail_prop(struct cim_err *err, const struct cim_prop_def *def, const char *fmt,
                              ...) RG_PRINTF(3, 4);
/* Records "out of memory" with CIM_RV_FAILED and no parameter; returns CIM_RV_FAILED. */
enum cim_rv cim_rsd_fail_oom(struct cim_err *err);

/* For the parsers of the text forms: each message ends with the line:column of offset pos in
 * text. cim_rsd_fail_at records a 5 about def's value when def is given, else about the text;
 * cim_rsd_relay_at passes on an error an add function wrote to a scratch record (a 5 gets the
 * position; anything else, out of memory, goes on as it is); cim_rsd_fail_undefined_at is the
 * 5 for a property name of len bytes the class does not have. Each returns the error's rv. */
enum cim_rv cim_rsd_fail_at(struct cim_err *err, const char *text, size_t pos,
                            const struct cim_prop_def *def, const char *fmt, ...) RG_PRINTF(5, 6);
enum cim_rv cim_rsd_relay_at(struct cim_err *err, const char *text, size_t pos,
                             const struct cim_err *inner);
enum cim_rv cim_rsd_fail_undefined_at(struct cim_err *err, const char *text, size_t pos,
                                      const char *name, size_t len);
/* A text form's parser: reads the len bytes of text (not NUL-terminated) into into, an
 * initialised instance, with buf (len + 1 bytes) for the strings it decodes. */
typedef enum cim_rv (*cim_rsd_parse_fn)(const char *text, size_t len, char *buf,
                                        struct cim_rsd *into, struct cim_err *err);
/* The frame both text forms share: a text of 1 to CIM_RSD_MAX_TEXT bytes (else 5, naming the
 * form, "MOF" or "CIM-XML"), parsed by parse into an instance of its own and moved into rsd
 * only when complete, so a failure leaves rsd's class as it was and its properties empty. */
enum cim_rv cim_rsd_parse_text(const char *form, cim_rsd_parse_fn parse, const char *text,
                               size_t len, struct cim_rsd *rsd, struct cim_err *err);
/* Writes code point cp (at most U+10FFFF) as 1 to 4 bytes of UTF-8 at out; returns how many. */
size_t cim_rsd_encode_utf8(uint32_t cp, char *out);

/* Frees and removes every property of rsd; its class stays as it was. */
void cim_rsd_clear_props(struct cim_rsd *rsd);
/* cim_rsd_set_class for a name of len bytes, not NUL-terminated. */
enum cim_rv cim_rsd_set_class_n(struct cim_rsd *rsd, const char *name, size_t len,
                                struct cim_err *err);

#endif
