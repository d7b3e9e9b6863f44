/* cim/cim_rsd_xml: CIM_ReplicationSettingData from its CIM-XML embedded-instance text (DSP0201
 * INSTANCE): the forms pywbem and WMI write, the XML it reads (references, CDATA, comments, a
 * declaration), what it refuses with the position, and that a failure leaves nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim/cim_rsd.h"

#define PARAM "ReplicationSettingData"
#define OPEN "<INSTANCE CLASSNAME=\"CIM_ReplicationSettingData\">"
#define CLOSE "</INSTANCE>"
/* CIM-NOTES §9.2's example, as pywbem's tocimxml() writes it. */
#define NOTES_EXAMPLE                                                                              \
    OPEN "<PROPERTY NAME=\"ConsistentPointInTime\" TYPE=\"boolean\"><VALUE>TRUE</VALUE>"           \
         "</PROPERTY>" CLOSE

static int setup(void **state)
{
    struct cim_rsd *rsd = malloc(sizeof(*rsd));

    if (!rsd)
        return -1;
    if (cim_rsd_init(rsd) != 0) {
        free(rsd);
        return -1;
    }
    *state = rsd;
    return 0;
}

static int teardown(void **state)
{
    cim_rsd_free(*state);
    free(*state);
    return 0;
}

static const struct cim_prop *find_prop(const struct cim_rsd *rsd, const char *name)
{
    for (size_t i = 0; i < rsd->n_props; i++)
        if (strcmp(rsd->props[i].def->name, name) == 0)
            return &rsd->props[i];
    fail_msg("rsd holds no %s", name);
    return NULL;
}

static void parse_ok(struct cim_rsd *rsd, const char *text)
{
    struct cim_err err;

    cim_err_clear(&err);
    if (cim_rsd_parse_xml_n(text, strlen(text), rsd, &err) != CIM_RV_SUCCESS)
        fail_msg("rejected %s: %s", text, err.detail);
}

/* The parse must fail with a 5 naming param, a detail holding fragment in printable ASCII, and
 * leave rsd initialised but empty. */
static void parse_fails_n(struct cim_rsd *rsd, const char *text, size_t len, const char *param,
                          const char *fragment)
{
    struct cim_err err;

    cim_err_clear(&err);
    assert_int_equal(cim_rsd_parse_xml_n(text, len, rsd, &err), CIM_RV_INVALID_PARAMETER);
    assert_string_equal(err.param, param);
    if (!strstr(err.detail, fragment))
        fail_msg("detail \"%s\" does not mention \"%s\"", err.detail, fragment);
    for (const char *s = err.detail; *s; s++)
        assert_true(*s >= 0x20 && *s < 0x7F);
    assert_int_equal(rsd->n_props, 0);
    assert_string_equal(rsd->class_name, CIM_RSD_CLASS);
}

static void parse_fails(struct cim_rsd *rsd, const char *text, const char *param,
                        const char *fragment)
{
    parse_fails_n(rsd, text, strlen(text), param, fragment);
}

static void test_xml_reads_the_notes_example(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, NOTES_EXAMPLE);
    assert_int_equal(rsd->n_props, 1);
    assert_true(find_prop(rsd, "ConsistentPointInTime")->b);
}

/* Every type, with the layout, declaration, comments and qualifiers real writers add. */
static void test_xml_reads_every_type(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "\xEF\xBB\xBF<?xml version=\"1.0\" encoding='UTF-8'?>\n<!-- from pywbem -->\n"
                  "<INSTANCE CLASSNAME='MSISCSITARGET_ReplicationSettingData' xml:lang=\"en\">\r\n"
                  "  <QUALIFIER NAME=\"Description\" TYPE=\"string\"><VALUE>x</VALUE></QUALIFIER>\n"
                  "  <PROPERTY NAME=\"elementname\" TYPE=\"string\" PROPAGATED=\"false\">"
                  "<QUALIFIER NAME=\"Key\" TYPE=\"boolean\"/><VALUE>nightly</VALUE></PROPERTY>\n"
                  "  <PROPERTY NAME=\"FailedCopyStopsHostIO\" TYPE=\"boolean\">"
                  "<VALUE> false </VALUE></PROPERTY>\n"
                  "  <PROPERTY NAME=\"Multihop\" TYPE=\"uint16\"><VALUE>\n  +7\n</VALUE>"
                  "</PROPERTY>\n"
                  "  <PROPERTY NAME=\"DeltaUpdateBlocks\" TYPE=\"uint64\"><VALUE>0x10</VALUE>"
                  "</PROPERTY>\n"
                  "  <PROPERTY NAME=\"DesiredRPO\" TYPE=\"datetime\">"
                  "<VALUE>00000000000130.000000:000</VALUE></PROPERTY>\n"
                  "  <PROPERTY NAME=\"Caption\" TYPE=\"string\"/>\n"
                  "  <PROPERTY NAME=\"Description\" TYPE=\"string\"></PROPERTY>\n" CLOSE "\n");
    assert_string_equal(rsd->class_name, "MSISCSITARGET_ReplicationSettingData");
    assert_int_equal(rsd->n_props, 5);
    assert_string_equal(find_prop(rsd, "ElementName")->s, "nightly");
    assert_false(find_prop(rsd, "FailedCopyStopsHostIO")->b);
    assert_int_equal(find_prop(rsd, "Multihop")->u, 7);
    assert_int_equal(find_prop(rsd, "DeltaUpdateBlocks")->u, 16);
    assert_string_equal(find_prop(rsd, "DesiredRPO")->s, "00000000000130.000000:000");
}

/* A string keeps its white space; references, CDATA and line ends are XML's. */
static void test_xml_decodes_strings(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, OPEN "<PROPERTY NAME=\"ElementName\" TYPE=\"string\"><VALUE> a &lt;&amp;&gt; "
                       "&quot;&apos; &#65;&#x42;&#x10348; <![CDATA[<i>&amp;</i>]]>\r\nz<!-- c -->"
                       "</VALUE></PROPERTY><PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE/>"
                       "</PROPERTY>" CLOSE);
    assert_string_equal(find_prop(rsd, "ElementName")->s,
                        " a <&> \"' AB\xF0\x90\x8D\x88 <i>&amp;</i>\nz");
    assert_string_equal(find_prop(rsd, "Caption")->s, "");
}

/* What WMI's GetText and a default instance read back carry besides the values: system
 * properties (__CLASS, __DERIVATION[], ...) and a NULL ComponentSetting[], both left out; a
 * processing instruction inside a value is dropped like a comment. */
static void test_xml_reads_what_wmi_and_pywbem_add(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "<INSTANCE CLASSNAME=\"MSISCSITARGET_ReplicationSettingData\">"
                  "<PROPERTY NAME=\"__CLASS\" CLASSORIGIN=\"___SYSTEM\" TYPE=\"string\">"
                  "<VALUE>MSISCSITARGET_ReplicationSettingData</VALUE></PROPERTY>"
                  "<PROPERTY NAME=\"__GENUS\" TYPE=\"sint32\"><VALUE>2</VALUE></PROPERTY>"
                  "<PROPERTY.ARRAY NAME=\"__DERIVATION\" TYPE=\"string\"><VALUE.ARRAY>"
                  "<VALUE>CIM_SettingData</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>"
                  "<PROPERTY.ARRAY NAME=\"ComponentSetting\" TYPE=\"string\""
                  " EmbeddedObject=\"instance\"><QUALIFIER NAME=\"EmbeddedInstance\""
                  " TYPE=\"string\"><VALUE>CIM_SettingData</VALUE></QUALIFIER></PROPERTY.ARRAY>"
                  "<PROPERTY NAME=\"Description\" TYPE=\"string\"><VALUE>a<?pi x?>b</VALUE>"
                  "</PROPERTY>" CLOSE);
    assert_int_equal(rsd->n_props, 1);
    assert_string_equal(find_prop(rsd, "Description")->s, "ab");
    parse_ok(rsd, OPEN "<PROPERTY.ARRAY NAME=\"ComponentSetting\" TYPE=\"string\"/>" CLOSE);
    assert_int_equal(rsd->n_props, 0);
}

/* A character XML does not allow, written as a reference, is a fault of the value it is in. */
static void test_xml_names_the_property_of_a_bad_reference(void **state)
{
    parse_fails(*state,
                OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>&#1;</VALUE></PROPERTY>"
                CLOSE, PARAM ".Caption", "U+0001, which XML does not allow");
    parse_fails(*state,
                OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>&#xD800;</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".Caption", "U+D800");
}

static void test_xml_reads_an_empty_instance(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_ok(rsd, "<INSTANCE CLASSNAME=\"CIM_ReplicationSettingData\"/>");
    assert_int_equal(rsd->n_props, 0);
}

static void test_xml_refuses_what_the_class_does_not_allow(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_fails(rsd, "<INSTANCE CLASSNAME=\"CIM_Other\"/>", PARAM, "the class must be");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Bogus\" TYPE=\"string\"/>" CLOSE, PARAM ".Bogus",
                "Bogus is not a property of CIM_ReplicationSettingData at 1:50");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\" TYPE=\"string\"><VALUE>1</VALUE></PROPERTY>"
                CLOSE, PARAM ".Multihop", "Multihop is a uint16, not TYPE \"string\" at 1:50");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\"><VALUE>1</VALUE></PROPERTY>" CLOSE,
                PARAM ".Multihop", "needs a TYPE (uint16)");
    parse_fails(rsd, OPEN "<PROPERTY TYPE=\"uint16\"/>" CLOSE, PARAM, "<PROPERTY> needs a NAME");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"OnGroupOrListError\" TYPE=\"uint16\"><VALUE>9</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".OnGroupOrListError", "must be one of 2 (Continue)");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\" TYPE=\"uint16\"><VALUE>-1</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".Multihop", "must not be negative");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\" TYPE=\"uint16\"><VALUE>1.5</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".Multihop", "decimal or 0x hexadecimal");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"AutoDelete\" TYPE=\"boolean\"><VALUE>yes</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".AutoDelete", "must be TRUE or FALSE");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"ElementName\" TYPE=\"string\"><VALUE>&#x85;</VALUE>"
                "</PROPERTY>" CLOSE, PARAM ".ElementName", "control character");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\" TYPE=\"uint16\"><VALUE>1</VALUE></PROPERTY>"
                "<PROPERTY NAME=\"MULTIHOP\" TYPE=\"uint16\"/>" CLOSE, PARAM ".Multihop",
                "given more than once");
    parse_fails(rsd, OPEN "<PROPERTY.ARRAY NAME=\"ComponentSetting\" TYPE=\"string\">"
                "<VALUE.ARRAY><VALUE>x</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>" CLOSE,
                PARAM ".ComponentSetting", "does not take");
    parse_fails(rsd, OPEN "<PROPERTY.REFERENCE NAME=\"ComponentSetting\"/>" CLOSE,
                PARAM ".ComponentSetting", "does not take");
    parse_fails(rsd, OPEN "<PROPERTY.ARRAY NAME=\"Multihop\" TYPE=\"uint16\"/>" CLOSE,
                PARAM ".Multihop", "not an array or a reference");
    parse_fails(rsd, OPEN "<PROPERTY NAME=\"Multihop\" TYPE=\"uint16\"><VALUE.ARRAY/></PROPERTY>"
                CLOSE, PARAM ".Multihop", "array values are not supported");
}

static void test_xml_refuses_malformed_xml(void **state)
{
    static const struct {
        const char *text;
        const char *fragment;
    } cases[] = {
        {"", "the CIM-XML text is empty"},
        {" ", "expected <INSTANCE> at 1:2"},
        {"<instance CLASSNAME=\"CIM_ReplicationSettingData\"/>",
         "expected <INSTANCE>, not <instance>"},
        {"<INSTANCE/>", "<INSTANCE> needs a CLASSNAME"},
        {OPEN, "the text ends inside <INSTANCE>"},
        {OPEN "</PROPERTY>", "</PROPERTY> closes <INSTANCE>"},
        {OPEN "text" CLOSE, "text is not allowed directly inside <INSTANCE> at 1:50"},
        {OPEN "<VALUE>1</VALUE>" CLOSE, "unexpected <VALUE> in <INSTANCE>"},
        {OPEN CLOSE "<x/>", "unexpected text after the instance"},
        {"<!DOCTYPE INSTANCE [<!ENTITY e \"x\">]>" OPEN CLOSE, "a DOCTYPE is not accepted"},
        {"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" OPEN CLOSE, "other than UTF-8"},
        {"<INSTANCE CLASSNAME=CIM_ReplicationSettingData/>", "expected a quoted attribute value"},
        {"<INSTANCE CLASSNAME=\"CIM_ReplicationSettingData\" CLASSNAME=\"x\"/>", "given twice"},
        {"<INSTANCE CLASSNAME=\"CIM_ReplicationSettingData\"", "unterminated tag <INSTANCE>"},
        {"<INSTANCE CLASSNAME=\"a<b\"/>", "'<' inside an attribute value"},
        {"<!-- open" OPEN CLOSE, "unterminated comment at 1:1"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>a & b</VALUE></PROPERTY>" CLOSE,
         "'&' starts no reference"},
        {"\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>" OPEN CLOSE,
         "an XML declaration may only open the text"},
        {"<?xml version=\"1.0\"?><?XML version=\"1.0\"?>" OPEN CLOSE,
         "an XML declaration may only open the text"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\" CLASSORIGIN=\"&#1;\"/>" CLOSE,
         "U+0001, which XML does not allow"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>&#x;</VALUE></PROPERTY>" CLOSE,
         "malformed character reference"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE><b/></VALUE></PROPERTY>" CLOSE,
         "<VALUE> holds text only, not <b>"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>a</VALUE><VALUE>b</VALUE>"
              "</PROPERTY>" CLOSE,
         "unexpected <VALUE> in <PROPERTY>"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE><![CDATA[a</VALUE>"
              "</PROPERTY>" CLOSE,
         "unterminated CDATA section"},
        {OPEN "<QUALIFIER NAME=\"q\"><VALUE>x</QUALIFIER>" CLOSE, "</QUALIFIER> closes <VALUE>"},
        {OPEN "<QUALIFIER NAME=\"q\"><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>",
         "nest deeper than 16 levels"},
        /* What XML 1.0 forbids, written out as it is forbidden written as a reference. */
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>\xef\xbf\xbf</VALUE>"
              "</PROPERTY>" CLOSE,
         "U+FFFF is a character XML does not allow"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>a\x01</VALUE>"
              "</PROPERTY>" CLOSE,
         "U+0001 is a character XML does not allow"},
        {OPEN "<!-- a -- b -->" CLOSE, "'--' inside a comment"},
        {"<!-- a --->" OPEN CLOSE, "'--' inside a comment"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>a]]>b</VALUE>"
              "</PROPERTY>" CLOSE,
         "']]>' outside a CDATA section"},
        {OPEN "<PROPERTY NAME=\"Caption\" TYPE=\"string\"><VALUE>\xe9</VALUE>"
              "</PROPERTY>" CLOSE,
         "the text is not UTF-8"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        parse_fails(*state, cases[i].text, PARAM, cases[i].fragment);
}

/* A NUL is a byte like any other of the text, and no XML. */
static void test_xml_refuses_a_nul(void **state)
{
    static const char text[] = OPEN "\0" CLOSE;

    parse_fails_n(*state, text, sizeof(text) - 1, PARAM, "a NUL byte is not XML at 1:50");
}

/* A failure after a good property leaves the instance as it was: its class, no properties. */
static void test_xml_failure_keeps_class_and_empties_rsd(void **state)
{
    struct cim_rsd *rsd = *state;

    parse_fails(rsd, "<INSTANCE CLASSNAME=\"XX_ReplicationSettingData\">"
                     "<PROPERTY NAME=\"Multihop\" "
                     "TYPE=\"uint16\"><VALUE>1</VALUE></PROPERTY><bad/>" CLOSE,
                PARAM, "unexpected <bad>");
}

/* Every prefix of a full instance is either refused or read, never read past its end (the
 * sanitizers watch the reads). */
static void test_xml_every_prefix_is_handled(void **state)
{
    static const char text[] =
        "<?xml version=\"1.0\"?><!--c--><INSTANCE CLASSNAME=\"CIM_ReplicationSettingData\">"
        "<QUALIFIER NAME=\"q\" TYPE=\"string\"><VALUE>x</VALUE></QUALIFIER>"
        "<PROPERTY NAME=\"ElementName\" TYPE=\"string\"><VALUE>a&amp;&#x41;<![CDATA[b]]></VALUE>"
        "</PROPERTY></INSTANCE>";
    struct cim_rsd *rsd = *state;

    for (size_t len = 0; len < sizeof(text) - 1; len++) {
        char *copy = malloc(len ? len : 1);
        struct cim_err err;

        assert_non_null(copy);
        memcpy(copy, text, len);
        cim_err_clear(&err);
        assert_int_equal(cim_rsd_parse_xml_n(copy, len, rsd, &err), CIM_RV_INVALID_PARAMETER);
        free(copy);
    }
    parse_ok(rsd, text);
    assert_string_equal(find_prop(rsd, "ElementName")->s, "a&Ab");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_xml_reads_the_notes_example),
        T(test_xml_reads_every_type),
        T(test_xml_decodes_strings),
        T(test_xml_reads_what_wmi_and_pywbem_add),
        T(test_xml_names_the_property_of_a_bad_reference),
        T(test_xml_reads_an_empty_instance),
        T(test_xml_refuses_what_the_class_does_not_allow),
        T(test_xml_refuses_malformed_xml),
        T(test_xml_refuses_a_nul),
        T(test_xml_failure_keeps_class_and_empties_rsd),
        T(test_xml_every_prefix_is_handled),
    };

    return cmocka_run_group_tests_name("cim_rsd_xml", tests, NULL, NULL);
}
