/* cim/cim_path: parsing the WBEM URI and WMI forms of object paths, the reasons given for bad
 * ones, key lookup, and the canonical form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim/cim_path.h"

static void parse_ok(const char *text, struct cim_path *p)
{
    char why[160];

    if (cim_path_parse(text, p, why, sizeof(why)) != 0)
        fail_msg("rejected %s: %s", text, why);
}

static void assert_zeroed(const struct cim_path *p)
{
    static const struct cim_path zero;

    assert_memory_equal(p, &zero, sizeof(zero));
}

/* The parse must fail, say why (a reason holding fragment, in printable ASCII since it goes
 * into JSON), and leave the struct zeroed even when it held garbage before. */
static void assert_rejected(const char *text, const char *fragment)
{
    struct cim_path p;
    char why[160];

    memset(&p, 0xA5, sizeof(p));
    memset(why, 0, sizeof(why));
    if (cim_path_parse(text, &p, why, sizeof(why)) == 0)
        fail_msg("accepted %s", text ? text : "(null)");
    assert_true(strlen(why) > 0);
    if (!strstr(why, fragment))
        fail_msg("reason for %s is \"%s\", expected it to mention \"%s\"", text, why, fragment);
    for (const char *s = why; *s; s++)
        assert_true(*s >= 0x20 && *s < 0x7F);
    assert_zeroed(&p);
}

static const char *key_value(const struct cim_path *p, const char *name)
{
    const struct cim_keybinding *kb = cim_path_key(p, name);

    if (!kb)
        fail_msg("no key %s", name);
    return kb->value;
}

static enum cim_key_type key_type(const struct cim_path *p, const char *name)
{
    const struct cim_keybinding *kb = cim_path_key(p, name);

    if (!kb)
        fail_msg("no key %s", name);
    return kb->type;
}

static char *format_path(const struct cim_path *p)
{
    char *s = cim_path_format(p->ns, p->class_name, p->keys, p->n_keys);

    assert_non_null(s);
    return s;
}

/* ==== accepted forms ==== */

static void test_parse_wbem_uri_with_host(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("//tgt01/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume."
             "CreationClassName=\"MSISCSITARGET_StorageVolume\",DeviceID=\"vol1\","
             "SystemCreationClassName=\"CIM_ComputerSystem\",SystemName=\"tgt01\"",
             &p);
    assert_string_equal(p.host, "tgt01");
    assert_string_equal(p.ns, "root/cimv2/storage/iscsitarget");
    assert_string_equal(p.class_name, "MSISCSITARGET_StorageVolume");
    assert_int_equal(p.n_keys, 4);
    assert_string_equal(p.keys[0].name, "CreationClassName");
    assert_string_equal(p.keys[0].value, "MSISCSITARGET_StorageVolume");
    assert_string_equal(p.keys[1].name, "DeviceID");
    assert_string_equal(p.keys[1].value, "vol1");
    assert_int_equal(p.keys[1].type, CIM_KEY_STRING);
    assert_string_equal(p.keys[3].value, "tgt01");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_scheme_and_port(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("http://host:5988/root/cimv2:CIM_X.K=\"v\"", &p);
    assert_string_equal(p.host, "host:5988");
    assert_string_equal(p.ns, "root/cimv2");
    assert_string_equal(p.class_name, "CIM_X");
    assert_string_equal(key_value(&p, "K"), "v");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_user_info(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("https://user:pw@host.example:5989/root/cimv2:CIM_X.K=\"v\"", &p);
    assert_string_equal(p.host, "user:pw@host.example:5989");
    assert_string_equal(p.ns, "root/cimv2");
    assert_string_equal(p.class_name, "CIM_X");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_ipv6_host(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("https://[::1]:5989/root/cimv2:CIM_X.K=1", &p);
    assert_string_equal(p.host, "[::1]:5989");
    assert_string_equal(p.ns, "root/cimv2");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_scheme_is_case_insensitive(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("CIMXML-WBEMS://h/interop:CIM_X.K=1", &p);
    assert_string_equal(p.host, "h");
    assert_string_equal(p.ns, "interop");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_scheme_and_no_authority(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("cimxml-wbem:/root/cimv2:CIM_X.K=1", &p);
    assert_null(p.host);
    assert_string_equal(p.ns, "root/cimv2");
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_host_and_empty_namespace(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("//h/:CIM_X.K=1", &p);
    assert_string_equal(p.host, "h");
    assert_null(p.ns);
    assert_string_equal(p.class_name, "CIM_X");
    cim_path_free(&p);
}

static void test_parse_local_path_without_namespace(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/:CIM_RegisteredProfile.InstanceID=\"Acme.1\"", &p);
    assert_null(p.host);
    assert_null(p.ns);
    assert_string_equal(p.class_name, "CIM_RegisteredProfile");
    assert_string_equal(key_value(&p, "InstanceID"), "Acme.1");
    cim_path_free(&p);
}

static void test_parse_namespace_without_leading_slash(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("root/cimv2:CIM_X.K=\"v\"", &p);
    assert_null(p.host);
    assert_string_equal(p.ns, "root/cimv2");
    assert_string_equal(p.class_name, "CIM_X");
    cim_path_free(&p);
}

static void test_parse_relative_path(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("CIM_X.K=\"v\"", &p);
    assert_null(p.host);
    assert_null(p.ns);
    assert_string_equal(p.class_name, "CIM_X");
    assert_string_equal(key_value(&p, "K"), "v");
    cim_path_free(&p);
}

static void test_parse_relative_path_with_colon_in_value(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("CIM_X.K=\"a:b/c\"", &p);
    assert_null(p.ns);
    assert_string_equal(p.class_name, "CIM_X");
    assert_string_equal(key_value(&p, "K"), "a:b/c");
    cim_path_free(&p);
}

static void test_parse_wmi_path_with_host(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("\\\\TGT01\\root\\cimv2\\Storage\\iScsiTarget:MSISCSITARGET_StorageVolume."
             "DeviceID=\"x\",SystemName=\"TGT01\"",
             &p);
    assert_string_equal(p.host, "TGT01");
    assert_string_equal(p.ns, "root/cimv2/Storage/iScsiTarget");
    assert_string_equal(p.class_name, "MSISCSITARGET_StorageVolume");
    assert_int_equal(p.n_keys, 2);
    assert_string_equal(key_value(&p, "SystemName"), "TGT01");
    cim_path_free(&p);
}

static void test_parse_wmi_path_with_local_machine(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("\\\\.\\root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\"", &p);
    assert_string_equal(p.host, ".");
    assert_string_equal(p.ns, "root/cimv2");
    assert_string_equal(key_value(&p, "DeviceID"), "C:");
    cim_path_free(&p);
}

static void test_parse_wmi_namespace_without_host(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\"", &p);
    assert_null(p.host);
    assert_string_equal(p.ns, "root/cimv2");
    cim_path_free(&p);
}

static void test_parse_wmi_relative_path(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("Win32_LogicalDisk.DeviceID=\"C:\\\\\"", &p);
    assert_null(p.host);
    assert_null(p.ns);
    assert_string_equal(key_value(&p, "DeviceID"), "C:\\");
    cim_path_free(&p);
}

static void test_parse_keeps_names_as_written(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/Root/CIMv2:Cim_StorageVolume.deviceId=\"v\"", &p);
    assert_string_equal(p.ns, "Root/CIMv2");
    assert_string_equal(p.class_name, "Cim_StorageVolume");
    assert_string_equal(p.keys[0].name, "deviceId");
    cim_path_free(&p);
}

/* ==== key values ==== */

static void test_parse_quoted_value_holds_separators(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.A=\"x,y.z:w=v/u\\\\t\",B=\"@\"", &p);
    assert_int_equal(p.n_keys, 2);
    assert_string_equal(key_value(&p, "A"), "x,y.z:w=v/u\\t");
    assert_string_equal(key_value(&p, "B"), "@");
    cim_path_free(&p);
}

static void test_parse_escapes_are_removed(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.K=\"say \\\"hi\\\" to C:\\\\dir\"", &p);
    assert_string_equal(key_value(&p, "K"), "say \"hi\" to C:\\dir");
    cim_path_free(&p);
}

static void test_parse_empty_string_value(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.K=\"\"", &p);
    assert_string_equal(key_value(&p, "K"), "");
    assert_int_equal(key_type(&p, "K"), CIM_KEY_STRING);
    cim_path_free(&p);
}

static void test_parse_quoted_nested_path_is_a_string(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:CIM_Assoc.Ref=\"/n:CIM_X.K=\\\"v\\\"\"", &p);
    assert_int_equal(key_type(&p, "Ref"), CIM_KEY_STRING);
    assert_string_equal(key_value(&p, "Ref"), "/n:CIM_X.K=\"v\"");
    cim_path_free(&p);
}

static void test_parse_control_character_inside_quotes_is_kept(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.K=\"a\tb\"", &p);
    assert_string_equal(key_value(&p, "K"), "a\tb");
    cim_path_free(&p);
}

static void test_parse_integer_values_as_written(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.A=-12,B=+7,C=0", &p);
    assert_int_equal(key_type(&p, "A"), CIM_KEY_INTEGER);
    assert_string_equal(key_value(&p, "A"), "-12");
    assert_string_equal(key_value(&p, "B"), "+7");
    assert_string_equal(key_value(&p, "C"), "0");
    cim_path_free(&p);
}

static void test_parse_boolean_values_any_case(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.A=true,B=False,C=TRUE", &p);
    assert_int_equal(key_type(&p, "A"), CIM_KEY_BOOLEAN);
    assert_string_equal(key_value(&p, "A"), "TRUE");
    assert_string_equal(key_value(&p, "B"), "FALSE");
    assert_string_equal(key_value(&p, "C"), "TRUE");
    cim_path_free(&p);
}

/* ==== limits ==== */

static void test_parse_accepts_max_keys(void **state)
{
    char text[512] = "/n:C.";
    struct cim_path p;

    (void)state;
    for (int i = 0; i < CIM_PATH_MAX_KEYS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%sK%d=%d", i ? "," : "", i, i);
    parse_ok(text, &p);
    assert_int_equal(p.n_keys, CIM_PATH_MAX_KEYS);
    assert_string_equal(key_value(&p, "k15"), "15");
    cim_path_free(&p);
}

/* "/n:C.K=\"" + filler + "\"": a path of exactly len bytes. */
static char *make_path_of_length(size_t len)
{
    static const char head[] = "/n:C.K=\"";
    char *text = malloc(len + 1);

    assert_non_null(text);
    memcpy(text, head, sizeof(head) - 1);
    memset(text + sizeof(head) - 1, 'x', len - sizeof(head));
    text[len - 1] = '"';
    text[len] = '\0';
    return text;
}

static void test_parse_accepts_max_length(void **state)
{
    char *text = make_path_of_length(CIM_PATH_MAX_LEN);
    struct cim_path p;

    (void)state;
    parse_ok(text, &p);
    assert_int_equal(strlen(key_value(&p, "K")), CIM_PATH_MAX_LEN - 9);
    cim_path_free(&p);
    free(text);
}

/* ==== rejections ==== */

static void test_reject_null(void **state)
{
    (void)state;
    assert_rejected(NULL, "empty");
}

static void test_reject_empty(void **state)
{
    (void)state;
    assert_rejected("", "empty");
}

static void test_reject_too_long(void **state)
{
    char *text = make_path_of_length(CIM_PATH_MAX_LEN + 1);

    (void)state;
    assert_rejected(text, "longer than 4096 bytes");
    free(text);
}

static void test_reject_too_many_keys(void **state)
{
    char text[512] = "/n:C.";

    (void)state;
    for (int i = 0; i <= CIM_PATH_MAX_KEYS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%sK%d=1", i ? "," : "", i);
    assert_rejected(text, "more than 16 keys");
}

static void test_reject_missing_class(void **state)
{
    (void)state;
    assert_rejected("/root/cimv2:", "missing class name");
}

static void test_reject_missing_class_before_keys(void **state)
{
    (void)state;
    assert_rejected("/root/cimv2:.K=1", "missing class name");
}

static void test_reject_bad_class_name(void **state)
{
    (void)state;
    assert_rejected("/root:9X.K=1", "class name must start with a letter or '_', not '9'");
}

static void test_reject_class_path_without_keys(void **state)
{
    (void)state;
    assert_rejected("/root/cimv2:CIM_X", "no keys");
}

static void test_reject_relative_class_without_keys(void **state)
{
    (void)state;
    assert_rejected("CIM_X", "no keys");
}

static void test_reject_singleton_path(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X=@", "singleton");
}

static void test_reject_bad_character_after_class(void **state)
{
    (void)state;
    assert_rejected("/root:CIM-X.K=1", "expected '.' after the class name, found '-'");
}

static void test_reject_missing_key_after_dot(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.", "missing key name");
}

static void test_reject_empty_key_name(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.=\"v\"", "missing key name");
}

static void test_reject_bad_key_name(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.1K=1", "key name must start with a letter or '_', not '1'");
}

static void test_reject_missing_equals_at_end(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K", "expected '=' after key 'K', found the end of the path");
}

static void test_reject_wrong_character_for_equals(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K:\"v\"", "expected '=' after key 'K', found ':'");
}

static void test_reject_whitespace_around_equals(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K = 1", "expected '=' after key 'K', found ' '");
}

static void test_reject_missing_value_at_end(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=", "missing value for key 'K'");
}

static void test_reject_missing_value_before_comma(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=,L=1", "missing value for key 'K'");
}

static void test_reject_unterminated_string(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.DeviceID=\"vol1", "unterminated string value for key 'DeviceID'");
}

static void test_reject_string_ending_in_escape(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=\"v\\\"", "unterminated string value for key 'K'");
}

static void test_reject_unknown_escape(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=\"a\\nb\"", "bad escape: '\\' before 'n'");
}

static void test_reject_trailing_garbage_after_string(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=\"v\"junk", "unexpected 'j' after the value of key 'K'");
}

static void test_reject_dangling_comma(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=\"v\",", "missing key name");
}

static void test_reject_duplicate_key_any_case(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.DeviceID=\"a\",deviceid=\"b\"", "key 'deviceid' is given twice");
}

static void test_reject_unquoted_string(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=bare", "must be a quoted string, an integer, TRUE or FALSE");
}

static void test_namespace_ok(void **state)
{
    (void)state;
    assert_true(cim_path_namespace_ok("root/cimv2/storage/iscsitarget"));
    assert_true(cim_path_namespace_ok("Root/My_NS2"));
    assert_false(cim_path_namespace_ok(""));
    assert_false(cim_path_namespace_ok("/root/x"));
    assert_false(cim_path_namespace_ok("root/x/"));
    assert_false(cim_path_namespace_ok("root//x"));
    assert_false(cim_path_namespace_ok("root\\x"));
    assert_false(cim_path_namespace_ok("root/x:y"));
    assert_false(cim_path_namespace_ok("a b"));
}

/* DSP0207's WBEM URI quotes with '"' only; a WMI path, as WMI's tools write it, with either. */
static void test_reject_single_quoted_string(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K='v'", "must be a quoted string");
    assert_rejected("http://h/root:CIM_X.K='v'", "must be a quoted string");
    assert_rejected("\\\\.\\root:CIM_X.K='a\\\"b'", "bad escape: '\\' before '\"'");
}

static void test_parse_wmi_single_quoted_values(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("\\\\TGT01\\root\\cimv2:MSISCSITARGET_StorageVolume.DeviceID='it\\'s \"x\"',"
             "SystemName=\"TGT01\"",
             &p);
    assert_string_equal(key_value(&p, "DeviceID"), "it's \"x\"");
    assert_string_equal(key_value(&p, "SystemName"), "TGT01");
    cim_path_free(&p);
    parse_ok("root\\cimv2:CIM_X.K='v'", &p);
    assert_string_equal(key_value(&p, "K"), "v");
    cim_path_free(&p);
    parse_ok("CIM_X.K='v'", &p);
    assert_string_equal(key_value(&p, "K"), "v");
    cim_path_free(&p);
}

static void test_reject_boolean_with_suffix(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=TRUEISH", "must be a quoted string");
}

static void test_reject_decimal_fraction(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=1.5", "bad integer value for key 'K'");
}

static void test_reject_integer_with_suffix(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=12abc", "bad integer value for key 'K'");
}

static void test_reject_sign_without_digits(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=-", "bad integer value for key 'K'");
}

static void test_reject_unquoted_absolute_reference(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_Assoc.Ref=/root:CIM_X.K=\"v\"", "key 'Ref' has a reference value");
}

static void test_reject_unquoted_relative_reference(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_Assoc.Ref=CIM_X.K=\"v\"", "key 'Ref' has a reference value");
}

static void test_reject_unquoted_wmi_reference(void **state)
{
    (void)state;
    assert_rejected("CIM_Assoc.Ref=\\\\h\\root:CIM_X.K=1", "key 'Ref' has a reference value");
}

static void test_reject_bad_namespace_character(void **state)
{
    (void)state;
    assert_rejected("/ro-ot/cimv2:CIM_X.K=1", "bad character '-' in the namespace");
}

static void test_reject_empty_namespace_segment(void **state)
{
    (void)state;
    assert_rejected("/root//cimv2:CIM_X.K=1", "empty segment in the namespace");
}

static void test_reject_trailing_namespace_separator(void **state)
{
    (void)state;
    assert_rejected("/root/cimv2/:CIM_X.K=1", "empty segment in the namespace");
}

static void test_reject_missing_colon_before_class(void **state)
{
    (void)state;
    assert_rejected("/CIM_X.K=\"a:b\"", "missing ':' before the class name");
}

static void test_reject_unsupported_scheme(void **state)
{
    (void)state;
    assert_rejected("ftp://h/root:CIM_X.K=1", "unsupported scheme 'ftp'");
}

static void test_reject_host_without_namespace(void **state)
{
    (void)state;
    assert_rejected("//host", "missing namespace after the host");
}

static void test_reject_wmi_host_without_namespace(void **state)
{
    (void)state;
    assert_rejected("\\\\host", "missing namespace after the host");
}

static void test_reject_empty_host(void **state)
{
    (void)state;
    assert_rejected("///root:CIM_X.K=1", "missing host after '//'");
}

static void test_reject_bad_host_character(void **state)
{
    (void)state;
    assert_rejected("//ho st/root:CIM_X.K=1", "bad character ' ' in the host");
}

static void test_reject_quoted_value_in_host_position(void **state)
{
    (void)state;
    assert_rejected("//h:CIM_X.K=\"a/b\"", "bad character '\"' in the host");
}

static void test_reject_control_character_after_keys(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=1\n",
                    "unexpected control character 0x0A after the value of key 'K'");
}

static void test_reject_control_character_after_string(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_X.K=\"v\"\n", "unexpected control character 0x0A");
}

static void test_reject_control_character_in_namespace(void **state)
{
    (void)state;
    assert_rejected("/ro\tot:CIM_X.K=1", "control character 0x09 in the namespace");
}

static void test_reject_control_character_in_host(void **state)
{
    (void)state;
    assert_rejected("//h\x01/root:CIM_X.K=1", "control character 0x01 in the host");
}

static void test_reject_control_character_in_class(void **state)
{
    (void)state;
    assert_rejected("/root:CIM\x7F_X.K=1", "found control character 0x7F");
}

static void test_reject_non_ascii_class_without_echoing_it(void **state)
{
    (void)state;
    assert_rejected("/root:CIM_\xc3\xa9.K=1", "non-ASCII byte 0xC3");
}

/* ==== reason buffer ==== */

static void test_parse_reason_is_cut_to_buffer(void **state)
{
    struct cim_path p;
    char why[8];

    (void)state;
    memset(why, 'z', sizeof(why));
    assert_int_equal(cim_path_parse("CIM_X", &p, why, sizeof(why)), -1);
    assert_int_equal(strlen(why), sizeof(why) - 1);
    assert_zeroed(&p);
}

static void test_parse_without_reason_buffer(void **state)
{
    struct cim_path p;

    (void)state;
    assert_int_equal(cim_path_parse("CIM_X", &p, NULL, 0), -1);
    assert_zeroed(&p);
}

/* ==== key lookup and free ==== */

static void test_key_lookup_is_case_insensitive(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.DeviceID=\"v1\",SystemName=\"h\"", &p);
    assert_ptr_equal(cim_path_key(&p, "deviceid"), &p.keys[0]);
    assert_ptr_equal(cim_path_key(&p, "SYSTEMNAME"), &p.keys[1]);
    cim_path_free(&p);
}

static void test_key_lookup_of_missing_key_is_null(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.DeviceID=\"v1\"", &p);
    assert_null(cim_path_key(&p, "Device"));
    assert_null(cim_path_key(&p, "DeviceIDs"));
    cim_path_free(&p);
}

static void test_free_zeroes_the_struct(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("//h/n:C.K=\"v\"", &p);
    cim_path_free(&p);
    assert_zeroed(&p);
}

static void test_free_on_zeroed_struct(void **state)
{
    struct cim_path p = {0};

    (void)state;
    cim_path_free(&p);
    cim_path_free(&p);
    assert_zeroed(&p);
}

static void test_free_null(void **state)
{
    (void)state;
    cim_path_free(NULL);
}

/* ==== canonical form ==== */

static void test_format_sorts_keys_case_insensitively(void **state)
{
    struct cim_keybinding keys[] = {
        {"SystemName", "h", CIM_KEY_STRING},
        {"deviceID", "v", CIM_KEY_STRING},
        {"CreationClassName", "c", CIM_KEY_STRING},
        {"systemCreationClassName", "s", CIM_KEY_STRING},
    };
    char *s;

    (void)state;
    s = cim_path_format("root", "C", keys, 4);
    assert_string_equal(s, "/root:c.CreationClassName=\"c\",deviceID=\"v\","
                           "systemCreationClassName=\"s\",SystemName=\"h\"");
    free(s);
}

static void test_format_lowercases_namespace_and_class_only(void **state)
{
    struct cim_keybinding key = {"DeviceID", "MixedCase", CIM_KEY_STRING};
    char *s;

    (void)state;
    s = cim_path_format("Root/CIMv2", "CIM_StorageVolume", &key, 1);
    assert_string_equal(s, "/root/cimv2:cim_storagevolume.DeviceID=\"MixedCase\"");
    free(s);
}

static void test_format_escapes_quotes_and_backslashes(void **state)
{
    struct cim_keybinding key = {"K", "a\"b\\c", CIM_KEY_STRING};
    char *s;

    (void)state;
    s = cim_path_format("n", "C", &key, 1);
    assert_string_equal(s, "/n:c.K=\"a\\\"b\\\\c\"");
    free(s);
}

static void test_format_writes_integers_and_booleans_bare(void **state)
{
    struct cim_keybinding keys[] = {
        {"Count", "-3", CIM_KEY_INTEGER},
        {"Active", "TRUE", CIM_KEY_BOOLEAN},
        {"Bound", "false", CIM_KEY_BOOLEAN},
    };
    char *s;

    (void)state;
    s = cim_path_format("n", "C", keys, 3);
    assert_string_equal(s, "/n:c.Active=TRUE,Bound=FALSE,Count=-3");
    free(s);
}

static void test_format_normalizes_integer_spelling(void **state)
{
    struct cim_keybinding keys[] = {
        {"A", "+7", CIM_KEY_INTEGER},
        {"B", "-007", CIM_KEY_INTEGER},
        {"C", "-0", CIM_KEY_INTEGER},
        {"D", "000", CIM_KEY_INTEGER},
    };
    char *s;

    (void)state;
    s = cim_path_format("n", "C", keys, 4);
    assert_string_equal(s, "/n:c.A=7,B=-7,C=0,D=0");
    free(s);
}

static void test_format_without_namespace(void **state)
{
    struct cim_keybinding key = {"InstanceID", "Acme:1", CIM_KEY_STRING};
    char *with_null, *with_empty;

    (void)state;
    with_null = cim_path_format(NULL, "CIM_RegisteredProfile", &key, 1);
    with_empty = cim_path_format("", "CIM_RegisteredProfile", &key, 1);
    assert_string_equal(with_null, "/:cim_registeredprofile.InstanceID=\"Acme:1\"");
    assert_string_equal(with_empty, with_null);
    free(with_null);
    free(with_empty);
}

static void test_format_drops_the_host(void **state)
{
    struct cim_path p;
    char *s;

    (void)state;
    parse_ok("https://user:pw@h:5989/Root/CIMv2:CIM_X.K=1", &p);
    s = format_path(&p);
    assert_string_equal(s, "/root/cimv2:cim_x.K=1");
    free(s);
    cim_path_free(&p);
}

static void test_format_of_wmi_path_uses_slashes(void **state)
{
    struct cim_path p;
    char *s;

    (void)state;
    parse_ok("\\\\TGT01\\Root\\CIMv2\\Storage:MSFT_Disk.Number=2,ObjectId=\"{1}\"", &p);
    s = format_path(&p);
    assert_string_equal(s, "/root/cimv2/storage:msft_disk.Number=2,ObjectId=\"{1}\"");
    free(s);
    cim_path_free(&p);
}

static void test_format_round_trips_escaped_values(void **state)
{
    static const char value[] = "q\"b\\,.=:/@";
    struct cim_keybinding key = {"S", (char *)value, CIM_KEY_STRING};
    struct cim_path p;
    char *s, *again;

    (void)state;
    s = cim_path_format("n", "C", &key, 1);
    assert_non_null(s);
    parse_ok(s, &p);
    assert_string_equal(key_value(&p, "S"), value);
    again = format_path(&p);
    assert_string_equal(again, s);
    free(again);
    free(s);
    cim_path_free(&p);
}

static void test_format_is_the_same_for_equivalent_paths(void **state)
{
    struct cim_path a, b;
    char *sa, *sb;

    (void)state;
    parse_ok("//h/ROOT/cimv2:cim_x.b=+1,A=\"v\",c=true", &a);
    parse_ok("\\\\.\\root\\CIMV2:CIM_X.c=TRUE,b=1,A=\"v\"", &b);
    sa = format_path(&a);
    sb = format_path(&b);
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    cim_path_free(&a);
    cim_path_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_wbem_uri_with_host),
        cmocka_unit_test(test_parse_wbem_uri_with_scheme_and_port),
        cmocka_unit_test(test_parse_wbem_uri_with_user_info),
        cmocka_unit_test(test_parse_wbem_uri_with_ipv6_host),
        cmocka_unit_test(test_parse_wbem_uri_scheme_is_case_insensitive),
        cmocka_unit_test(test_parse_wbem_uri_with_scheme_and_no_authority),
        cmocka_unit_test(test_parse_wbem_uri_with_host_and_empty_namespace),
        cmocka_unit_test(test_parse_local_path_without_namespace),
        cmocka_unit_test(test_parse_namespace_without_leading_slash),
        cmocka_unit_test(test_parse_relative_path),
        cmocka_unit_test(test_parse_relative_path_with_colon_in_value),
        cmocka_unit_test(test_parse_wmi_path_with_host),
        cmocka_unit_test(test_parse_wmi_path_with_local_machine),
        cmocka_unit_test(test_parse_wmi_namespace_without_host),
        cmocka_unit_test(test_parse_wmi_relative_path),
        cmocka_unit_test(test_parse_keeps_names_as_written),
        cmocka_unit_test(test_parse_quoted_value_holds_separators),
        cmocka_unit_test(test_parse_escapes_are_removed),
        cmocka_unit_test(test_parse_empty_string_value),
        cmocka_unit_test(test_parse_quoted_nested_path_is_a_string),
        cmocka_unit_test(test_parse_control_character_inside_quotes_is_kept),
        cmocka_unit_test(test_parse_integer_values_as_written),
        cmocka_unit_test(test_parse_boolean_values_any_case),
        cmocka_unit_test(test_parse_accepts_max_keys),
        cmocka_unit_test(test_parse_accepts_max_length),
        cmocka_unit_test(test_reject_null),
        cmocka_unit_test(test_reject_empty),
        cmocka_unit_test(test_reject_too_long),
        cmocka_unit_test(test_reject_too_many_keys),
        cmocka_unit_test(test_reject_missing_class),
        cmocka_unit_test(test_reject_missing_class_before_keys),
        cmocka_unit_test(test_reject_bad_class_name),
        cmocka_unit_test(test_reject_class_path_without_keys),
        cmocka_unit_test(test_reject_relative_class_without_keys),
        cmocka_unit_test(test_reject_singleton_path),
        cmocka_unit_test(test_reject_bad_character_after_class),
        cmocka_unit_test(test_reject_missing_key_after_dot),
        cmocka_unit_test(test_reject_empty_key_name),
        cmocka_unit_test(test_reject_bad_key_name),
        cmocka_unit_test(test_reject_missing_equals_at_end),
        cmocka_unit_test(test_reject_wrong_character_for_equals),
        cmocka_unit_test(test_reject_whitespace_around_equals),
        cmocka_unit_test(test_reject_missing_value_at_end),
        cmocka_unit_test(test_reject_missing_value_before_comma),
        cmocka_unit_test(test_reject_unterminated_string),
        cmocka_unit_test(test_reject_string_ending_in_escape),
        cmocka_unit_test(test_reject_unknown_escape),
        cmocka_unit_test(test_reject_trailing_garbage_after_string),
        cmocka_unit_test(test_reject_dangling_comma),
        cmocka_unit_test(test_reject_duplicate_key_any_case),
        cmocka_unit_test(test_reject_unquoted_string),
        cmocka_unit_test(test_namespace_ok),
        cmocka_unit_test(test_reject_single_quoted_string),
        cmocka_unit_test(test_parse_wmi_single_quoted_values),
        cmocka_unit_test(test_reject_boolean_with_suffix),
        cmocka_unit_test(test_reject_decimal_fraction),
        cmocka_unit_test(test_reject_integer_with_suffix),
        cmocka_unit_test(test_reject_sign_without_digits),
        cmocka_unit_test(test_reject_unquoted_absolute_reference),
        cmocka_unit_test(test_reject_unquoted_relative_reference),
        cmocka_unit_test(test_reject_unquoted_wmi_reference),
        cmocka_unit_test(test_reject_bad_namespace_character),
        cmocka_unit_test(test_reject_empty_namespace_segment),
        cmocka_unit_test(test_reject_trailing_namespace_separator),
        cmocka_unit_test(test_reject_missing_colon_before_class),
        cmocka_unit_test(test_reject_unsupported_scheme),
        cmocka_unit_test(test_reject_host_without_namespace),
        cmocka_unit_test(test_reject_wmi_host_without_namespace),
        cmocka_unit_test(test_reject_empty_host),
        cmocka_unit_test(test_reject_bad_host_character),
        cmocka_unit_test(test_reject_quoted_value_in_host_position),
        cmocka_unit_test(test_reject_control_character_after_keys),
        cmocka_unit_test(test_reject_control_character_after_string),
        cmocka_unit_test(test_reject_control_character_in_namespace),
        cmocka_unit_test(test_reject_control_character_in_host),
        cmocka_unit_test(test_reject_control_character_in_class),
        cmocka_unit_test(test_reject_non_ascii_class_without_echoing_it),
        cmocka_unit_test(test_parse_reason_is_cut_to_buffer),
        cmocka_unit_test(test_parse_without_reason_buffer),
        cmocka_unit_test(test_key_lookup_is_case_insensitive),
        cmocka_unit_test(test_key_lookup_of_missing_key_is_null),
        cmocka_unit_test(test_free_zeroes_the_struct),
        cmocka_unit_test(test_free_on_zeroed_struct),
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_format_sorts_keys_case_insensitively),
        cmocka_unit_test(test_format_lowercases_namespace_and_class_only),
        cmocka_unit_test(test_format_escapes_quotes_and_backslashes),
        cmocka_unit_test(test_format_writes_integers_and_booleans_bare),
        cmocka_unit_test(test_format_normalizes_integer_spelling),
        cmocka_unit_test(test_format_without_namespace),
        cmocka_unit_test(test_format_drops_the_host),
        cmocka_unit_test(test_format_of_wmi_path_uses_slashes),
        cmocka_unit_test(test_format_round_trips_escaped_values),
        cmocka_unit_test(test_format_is_the_same_for_equivalent_paths),
    };

    return cmocka_run_group_tests_name("cim_path", tests, NULL, NULL);
}
