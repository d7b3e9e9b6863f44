/* CIM_ReplicationSettingData: the embedded instance CreateGroup takes (CIM-NOTES §6, §9.2).
 * This module knows the class's properties, their types and value maps, validates values
 * against them, parses the MOF embedded-instance string form, and converts property values to
 * and from the text stored in the database. JSON is the api layer's business: it looks a
 * property up with cim_rsd_find_def and adds the value with the cim_rsd_add_* functions.
 *
 * Errors are reported through struct cim_err with rv CIM_RV_INVALID_PARAMETER and param
 * "ReplicationSettingData" or "ReplicationSettingData.<PropertyName>".
 */
#ifndef CIM_RSD_H
#define CIM_RSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim/cim_err.h"

#define CIM_RSD_CLASS "CIM_ReplicationSettingData"
#define CIM_RSD_MAX_PROPS 48
#define CIM_RSD_MAX_TEXT 65536 /* longest MOF text accepted */

enum cim_type { CIM_T_BOOLEAN, CIM_T_UINT16, CIM_T_UINT64, CIM_T_STRING, CIM_T_DATETIME };

struct cim_prop_def {
    const char *name; /* declared spelling, e.g. "ConsistentPointInTime" */
    enum cim_type type;
    const uint16_t *values; /* uint16 value map; NULL = any value of the type */
    size_t n_values;
    size_t max_len; /* strings: longest value in bytes; 0 = no limit of its own */
    bool interval;  /* datetimes: an interval only, never a timestamp */
};

struct cim_prop {
    const struct cim_prop_def *def; /* borrowed from the static table */
    bool b;                         /* CIM_T_BOOLEAN */
    uint64_t u;                     /* CIM_T_UINT16, CIM_T_UINT64 */
    char *s;                        /* CIM_T_STRING, CIM_T_DATETIME; owned */
};

struct cim_rsd {
    char *class_name; /* owned; CIM_RSD_CLASS unless a subclass was named */
    size_t n_props;
    struct cim_prop props[CIM_RSD_MAX_PROPS]; /* each property at most once, in the order added */
};

/* Zeroes rsd and sets its class to CIM_RSD_CLASS. Returns 0, or -1 when memory runs out. */
int cim_rsd_init(struct cim_rsd *rsd);

/* Releases what rsd owns and zeroes it. NULL-safe, safe on a zeroed struct. */
void cim_rsd_free(struct cim_rsd *rsd);

/* Returns the definition of the property named name (case-insensitive), or NULL. */
const struct cim_prop_def *cim_rsd_find_def(const char *name);
/* What a name without a definition is, for its error: "is not a property of
 * CIM_ReplicationSettingData", or, for the inherited array ComponentSetting[] (of embedded
 * instances), that it is not taken here. name holds len bytes. */
const char *cim_rsd_undefined_why(const char *name, size_t len);
/* Whether name (len bytes) is a property of the class that this service does not take (the
 * inherited ComponentSetting[]): given as NULL, as a client that read a default instance
 * sends it back, it is left out like any NULL; with a value it is 5. */
bool cim_rsd_is_untaken(const char *name, size_t len);

/* Records in given (indexed by property, all false at first) that def's property was given,
 * even as null, which is never added: a second time, in any spelling, is 5 naming it. */
enum cim_rv cim_rsd_mark_given(bool given[CIM_RSD_MAX_PROPS], const struct cim_prop_def *def,
                               struct cim_err *err);

/* Replaces rsd's class. Accepts CIM_ReplicationSettingData or a subclass named
 * <Schema>_ReplicationSettingData (case-insensitive, stored as given); else 5. */
enum cim_rv cim_rsd_set_class(struct cim_rsd *rsd, const char *class_name, struct cim_err *err);

/* Each adds one property value after checking it against def (type, range, value map, string
 * length and format, UTF-8 without control characters except tab/CR/LF in strings; datetime
 * must be a DSP0004 timestamp "yyyymmddhhmmss.mmmmmmsutc" or interval "ddddddddhhmmss.mmmmmm:000").
 * A property already present is 5 naming it. def must come from cim_rsd_find_def and have the
 * function's type (bool for BOOLEAN; uint for UINT16/UINT64; string for STRING/DATETIME), else 5.
 * Returns CIM_RV_SUCCESS or the error recorded in err; on error rsd is unchanged. */
enum cim_rv cim_rsd_add_bool(struct cim_rsd *rsd, const struct cim_prop_def *def, bool v,
                             struct cim_err *err);
enum cim_rv cim_rsd_add_uint(struct cim_rsd *rsd, const struct cim_prop_def *def, uint64_t v,
                             struct cim_err *err);
enum cim_rv cim_rsd_add_string(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                               struct cim_err *err);
/* cim_rsd_add_string for a value of len bytes; a NUL in it is refused as a control character. */
enum cim_rv cim_rsd_add_string_n(struct cim_rsd *rsd, const struct cim_prop_def *def, const char *v,
                                 size_t len, struct cim_err *err);

/* Parses a MOF instance declaration (DSP0004):
 *   instance of CIM_ReplicationSettingData { ConsistentPointInTime = TRUE; ElementName = "x"; };
 * Keywords case-insensitive; whitespace and // and C comments allowed between tokens; the final
 * ';' is optional; a property set to NULL is skipped; booleans TRUE/FALSE; integers decimal or
 * 0x hex, with an optional "+"; strings in double quotes with MOF escapes (\" \\ \n \t \r \b
 * \f \' \xHH) and adjacent string literals concatenated. Every property goes through the
 * cim_rsd_add_* checks. rsd must have been initialised; on error it is left initialised but
 * empty. */
enum cim_rv cim_rsd_parse_mof(const char *text, struct cim_rsd *rsd, struct cim_err *err);
/* cim_rsd_parse_mof for a text of len bytes, which need not end in a NUL: a NUL among them is a
 * byte like any other (refused outside a string, a control character inside one). */
enum cim_rv cim_rsd_parse_mof_n(const char *text, size_t len, struct cim_rsd *rsd,
                                struct cim_err *err);

/* Parses a CIM-XML instance (DSP0201), the other textual form of an embedded instance:
 *   <INSTANCE CLASSNAME="CIM_ReplicationSettingData">
 *     <PROPERTY NAME="ConsistentPointInTime" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>
 *   </INSTANCE>
 * TYPE must be the property's (boolean, uint16, uint64, string, datetime); a PROPERTY without a
 * VALUE is NULL and skipped; booleans TRUE/FALSE in any case, integers decimal or 0x hex; white
 * space around any value but a string's is dropped. QUALIFIER elements, comments, processing
 * instructions, an XML declaration (UTF-8), references and CDATA are read; a DOCTYPE, arrays and
 * references are refused. Every property goes through the cim_rsd_add_* checks. rsd must have
 * been initialised; on error it is left initialised but empty. text holds len bytes. */
enum cim_rv cim_rsd_parse_xml_n(const char *text, size_t len, struct cim_rsd *rsd,
                                struct cim_err *err);

/* Stored text of a value: "true"/"false", decimal, or the string itself. New string (caller
 * frees), NULL on OOM. */
char *cim_prop_to_text(const struct cim_prop *prop);

/* Adds a property from its stored text (the reverse of cim_prop_to_text); the name must be
 * known. Used when reading back from the database, so a failure means corrupt data. */
enum cim_rv cim_rsd_add_text(struct cim_rsd *rsd, const char *name, const char *text,
                             struct cim_err *err);

#endif
