/* CIM object paths (references): parsing the two textual forms clients send and writing the
 * one canonical form the gateway stores and answers with. Knows nothing about which classes
 * exist; resolving a path to a stored element is cim_element's job.
 *
 * Accepted forms (CIM-NOTES §9.1):
 *   WBEM URI (DSP0207): [scheme:][//authority]/namespace:Class.key=value,...
 *     - scheme is one of http, https, cimxml-wbem, cimxml-wbems (case-insensitive);
 *     - "/:Class.k=v" (local, no namespace) and "ns/path:Class.k=v" (no leading slash) are
 *       accepted too, as is a bare relative "Class.k=v".
 *   WMI path: \\host\namespace\path:Class.key=value,...  ("\\." = local machine), or relative.
 * Key values: "string" (inner " and \ escaped by a backslash; in a WMI or relative path also
 * 'string', inner ' and \ escaped), integers (optional sign, decimal), TRUE/FALSE
 * (case-insensitive). Reference-valued keys are not supported (rejected).
 * Key names are CIM identifiers ([A-Za-z_][A-Za-z0-9_]*); a key name given twice
 * (case-insensitively) is an error; at least one key is required; at most CIM_PATH_MAX_KEYS.
 * Class names are CIM identifiers; namespace segments are [A-Za-z0-9_]+ and are stored with
 * '/' separators whatever form they came in.
 */
#ifndef CIM_PATH_H
#define CIM_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define CIM_PATH_MAX_KEYS 16
#define CIM_PATH_MAX_LEN 4096

enum cim_key_type { CIM_KEY_STRING, CIM_KEY_INTEGER, CIM_KEY_BOOLEAN };

struct cim_keybinding {
    char *name;  /* as written by the client */
    char *value; /* unescaped string; integers as written ("-12"); booleans "TRUE"/"FALSE" */
    enum cim_key_type type;
};

struct cim_path {
    char *host;       /* authority or WMI server name; NULL when absent ("." kept as ".") */
    char *ns;         /* namespace with '/' separators, no leading '/'; NULL when absent */
    char *class_name; /* as written */
    size_t n_keys;
    struct cim_keybinding keys[CIM_PATH_MAX_KEYS];
};

/* Parses text (NUL-terminated, at most CIM_PATH_MAX_LEN bytes) in either form into *out.
 * On success returns 0 and *out owns its strings (release with cim_path_free). On failure
 * returns -1, leaves *out zeroed (nothing to free), and writes a one-sentence reason that
 * names the problem (e.g. "missing ':' before the class name") into why (why_len bytes). */
int cim_path_parse(const char *text, struct cim_path *out, char *why, size_t why_len);

/* Releases what *p owns and zeroes it. NULL-safe, and safe on a zeroed struct. */
void cim_path_free(struct cim_path *p);

/* Whether ns is a namespace as paths hold it (cim_path_format writes it so): segments of the
 * characters a namespace segment takes, joined by '/', none empty. */
bool cim_path_namespace_ok(const char *ns);

/* Returns the keybinding named name (case-insensitive), borrowed from p, or NULL. */
const struct cim_keybinding *cim_path_key(const struct cim_path *p, const char *name);

/* Writes the canonical WBEM URI of an instance: "/" + lower-cased namespace + ":" + lower-cased
 * class + "." + the keys sorted by case-insensitive name, each name=value with names as given,
 * string values double-quoted with " and \ escaped, integers bare and normalised ("+07" and
 * "7" write as 7, "-0" as 0), booleans TRUE/FALSE, so equal paths format alike. No host.
 * Example: /root/cimv2:cim_storagevolume.DeviceID="v1",SystemName="h".
 * Returns a new string (caller frees) or NULL when memory runs out. */
char *cim_path_format(const char *ns, const char *class_name, const struct cim_keybinding *keys,
                      size_t n_keys);

#endif
