/* cim/cim_path: parsing the WBEM URI and WMI forms of object paths, and the canonical form. */
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
        fail_msg("%s: %s", text, why);
}

static void assert_zeroed(const struct cim_path *p)
{
    assert_null(p->host);
    assert_null(p->ns);
    assert_null(p->class_name);
    assert_int_equal(p->n_keys, 0);
}

static void test_parse_wbem_uri_with_host(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("//tgt01/root/cimv2/storage/iscsitarget:MSISCSITARGET_StorageVolume."
             "CreationClassName=\"MSISCSITARGET_StorageVolume\",DeviceID=\"vol1\"",
             &p);
    assert_string_equal(p.host, "tgt01");
    assert_string_equal(p.ns, "root/cimv2/storage/iscsitarget");
    assert_string_equal(p.class_name, "MSISCSITARGET_StorageVolume");
    assert_int_equal(p.n_keys, 2);
    assert_string_equal(cim_path_key(&p, "deviceid")->value, "vol1");
    assert_int_equal(cim_path_key(&p, "DeviceID")->type, CIM_KEY_STRING);
    cim_path_free(&p);
}

static void test_parse_wbem_uri_with_scheme_port_and_userinfo(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("https://user:pw@host.example:5989/root/cimv2:CIM_X.K=\"v\"", &p);
    assert_string_equal(p.host, "user:pw@host.example:5989");
    assert_string_equal(p.ns, "root/cimv2");
    assert_string_equal(p.class_name, "CIM_X");
    cim_path_free(&p);
    parse_ok("cimxml-wbem://h/ns:C.K=1", &p);
    assert_string_equal(p.ns, "ns");
    cim_path_free(&p);
}

static void test_parse_local_and_relative_forms(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/:CIM_RegisteredProfile.InstanceID=\"Acme.1\"", &p);
    assert_null(p.host);
    assert_null(p.ns);
    assert_string_equal(cim_path_key(&p, "InstanceID")->value, "Acme.1");
    cim_path_free(&p);
    parse_ok("root/cimv2:CIM_X.K=\"v\"", &p);
    assert_string_equal(p.ns, "root/cimv2");
    cim_path_free(&p);
    /* A relative path whose value holds ':' and '/' is not mistaken for a namespace. */
    parse_ok("CIM_X.K=\"a:b/c\"", &p);
    assert_null(p.ns);
    assert_string_equal(cim_path_key(&p, "K")->value, "a:b/c");
    cim_path_free(&p);
}

static void test_parse_wmi_path(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("\\\\TGT01\\root\\cimv2\\Storage\\iScsiTarget:MSISCSITARGET_StorageVolume."
             "DeviceID=\"x\"",
             &p);
    assert_string_equal(p.host, "TGT01");
    assert_string_equal(p.ns, "root/cimv2/Storage/iScsiTarget");
    cim_path_free(&p);
    parse_ok("\\\\.\\root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\"", &p);
    assert_string_equal(p.host, ".");
    assert_string_equal(cim_path_key(&p, "DeviceID")->value, "C:");
    cim_path_free(&p);
    parse_ok("root\\cimv2:Win32_LogicalDisk.DeviceID=\"C:\"", &p);
    assert_string_equal(p.ns, "root/cimv2");
    cim_path_free(&p);
}

static void test_parse_value_types_and_escapes(void **state)
{
    struct cim_path p;

    (void)state;
    parse_ok("/n:C.S=\"q\\\"b\\\\,.=\",I=-12,B=true,F=FALSE", &p);
    assert_string_equal(cim_path_key(&p, "S")->value, "q\"b\\,.=");
    assert_int_equal(cim_path_key(&p, "I")->type, CIM_KEY_INTEGER);
    assert_string_equal(cim_path_key(&p, "I")->value, "-12");
    assert_int_equal(cim_path_key(&p, "B")->type, CIM_KEY_BOOLEAN);
    assert_string_equal(cim_path_key(&p, "B")->value, "TRUE");
    assert_string_equal(cim_path_key(&p, "F")->value, "FALSE");
    assert_null(cim_path_key(&p, "missing"));
    cim_path_free(&p);
}

static void test_parse_rejections(void **state)
{
    static const char *const bad[] = {
        "",
        "CIM_X",                          /* a class, no keys */
        "/root:CIM_X",                    /* a class path */
        "/root:CIM_X.",                   /* no key */
        "/root:CIM_X.K",                  /* no '=' */
        "/root:CIM_X.K=",                 /* no value */
        "/root:CIM_X.K=\"open",           /* unterminated */
        "/root:CIM_X.K=\"v\"junk",        /* trailing text */
        "/root:CIM_X.K=\"v\",",           /* dangling comma */
        "/root:CIM_X.K=\"a\",k=\"b\"",    /* key twice */
        "/root:CIM_X.K=bare",             /* unquoted string */
        "/root:CIM_X.K=\"bad\\escape\"",  /* unknown escape */
        "/root:CIM_X.K=@",                /* singleton */
        "/ro ot:CIM_X.K=1",               /* bad namespace */
        "/root//x:CIM_X.K=1",             /* empty namespace segment */
        "/root:9X.K=1",                   /* bad class */
        "//host",                         /* host only */
        "\\\\host",                       /* WMI host only */
        "/root:CIM_X.K=1\n",              /* control character */
    };
    struct cim_path p;
    char why[160];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        if (cim_path_parse(bad[i], &p, why, sizeof(why)) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(why) > 0);
        assert_zeroed(&p);
    }
}

static void test_parse_limits(void **state)
{
    char *long_path = malloc(CIM_PATH_MAX_LEN + 10);
    char keys[1024] = "/n:C.";
    struct cim_path p;
    char why[160];

    (void)state;
    assert_non_null(long_path);
    memset(long_path, 'a', CIM_PATH_MAX_LEN + 9);
    long_path[CIM_PATH_MAX_LEN + 9] = '\0';
    assert_int_equal(cim_path_parse(long_path, &p, why, sizeof(why)), -1);
    free(long_path);
    for (int i = 0; i <= CIM_PATH_MAX_KEYS; i++)
        snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%sK%d=1", i ? "," : "", i);
    assert_int_equal(cim_path_parse(keys, &p, why, sizeof(why)), -1);
    assert_zeroed(&p);
}

static void test_format_is_canonical(void **state)
{
    struct cim_keybinding keys[] = {
        {"SystemName", "h\"x", CIM_KEY_STRING},
        {"DeviceID", "v\\1", CIM_KEY_STRING},
        {"count", "3", CIM_KEY_INTEGER},
        {"Active", "TRUE", CIM_KEY_BOOLEAN},
    };
    char *s;

    (void)state;
    s = cim_path_format("Root/CIMv2", "CIM_StorageVolume", keys, 4);
    assert_string_equal(s, "/root/cimv2:cim_storagevolume.Active=TRUE,count=3,"
                           "DeviceID=\"v\\\\1\",SystemName=\"h\\\"x\"");
    free(s);
    s = cim_path_format(NULL, "C", keys, 1);
    assert_string_equal(s, "/:c.SystemName=\"h\\\"x\"");
    free(s);
}

static void test_format_round_trips(void **state)
{
    struct cim_path p, q;
    char *s;

    (void)state;
    parse_ok("\\\\H\\Root\\CIMv2:X_StorageVolume.DeviceID=\"a\\\"b\",CreationClassName=\"X\"", &p);
    s = cim_path_format(p.ns, p.class_name, p.keys, p.n_keys);
    parse_ok(s, &q);
    assert_string_equal(cim_path_key(&q, "DeviceID")->value, "a\"b");
    assert_string_equal(q.ns, "root/cimv2");
    free(s);
    cim_path_free(&p);
    cim_path_free(&q);
    cim_path_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_wbem_uri_with_host),
        cmocka_unit_test(test_parse_wbem_uri_with_scheme_port_and_userinfo),
        cmocka_unit_test(test_parse_local_and_relative_forms),
        cmocka_unit_test(test_parse_wmi_path),
        cmocka_unit_test(test_parse_value_types_and_escapes),
        cmocka_unit_test(test_parse_rejections),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_format_is_canonical),
        cmocka_unit_test(test_format_round_trips),
    };

    return cmocka_run_group_tests_name("cim_path", tests, NULL, NULL);
}
