/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for lib/basic/xml-util.c: hardened parsing of untrusted XML
 * (no DOCTYPE, one-line reasons, nothing printed on stderr, which is the
 * admin's virsh error), the XPath context that comes with it, string and
 * node queries, serialising a document or one element, and parse_u64.
 */
#include <fcntl.h>

#include "basic/xml-util.h"
#include "tests.h"

static const char doc_text[] = "<?xml version='1.0'?>\n"
                               "<domain type='kvm'><name>vm1</name><empty></empty>"
                               "<devices><disk device='disk'><target dev='vda'/></disk>"
                               "<disk device='cdrom'><target dev='sda'/></disk></devices></domain>";

TEST(parse_and_query) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_free_ char *err = NULL;

        ASSERT_OK(xml_parse_xpath(doc_text, strlen(doc_text), &doc, &ctx, &err));
        ASSERT_NULL(err);
        ASSERT_TRUE(ctx->doc == doc);

        _cleanup_free_ char *name = xpath_string(ctx, NULL, "/domain/name"), *type = NULL;
        ASSERT_STREQ(name, "vm1");
        ASSERT_NULL(xpath_string(ctx, NULL, "/domain/empty")); /* empty is NULL */
        ASSERT_NULL(xpath_string(ctx, NULL, "/domain/nothing"));
        ASSERT_TRUE(xpath_exists(ctx, NULL, "/domain/devices/disk"));
        ASSERT_FALSE(xpath_exists(ctx, NULL, "/domain/devices/interface"));

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr disks = xpath_nodes(ctx, NULL, "/domain/devices/disk");
        ASSERT_NOT_NULL(disks);
        ASSERT_EQ(disks->nodesetval->nodeNr, 2);
        /* relative to a node */
        _cleanup_free_ char *t0 = xpath_string(ctx, disks->nodesetval->nodeTab[0], "./target/@dev"),
                            *t1 = xpath_string(ctx, disks->nodesetval->nodeTab[1], "./target/@dev");
        ASSERT_STREQ(t0, "vda");
        ASSERT_STREQ(t1, "sda");
        _cleanup_free_ char *dev = xml_prop(disks->nodesetval->nodeTab[1], "device");
        ASSERT_STREQ(dev, "cdrom");
        ASSERT_NULL(xml_prop(disks->nodesetval->nodeTab[1], "bus"));
        type = xml_prop(xmlDocGetRootElement(doc), "type");
        ASSERT_STREQ(type, "kvm");
}

TEST(serialise) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_(xmlXPathFreeContextp) xmlXPathContextPtr ctx = NULL;
        _cleanup_free_ char *all = NULL, *one = NULL;

        ASSERT_OK(xml_parse_xpath(doc_text, strlen(doc_text), &doc, &ctx, NULL));
        ASSERT_OK(xml_doc_to_string(doc, &all));
        ASSERT_CONTAINS(all, "<?xml version=\"1.0\"?>");
        ASSERT_CONTAINS(all, "<name>vm1</name>");

        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr disks = xpath_nodes(ctx, NULL, "/domain/devices/disk");
        ASSERT_OK(xml_node_to_string(doc, disks->nodesetval->nodeTab[1], &one));
        /* the element and its children, nothing else, no declaration */
        ASSERT_STREQ(one, "<disk device=\"cdrom\"><target dev=\"sda\"/></disk>");
}

/* Run the parse with stderr redirected; return what was printed there. */
static char *parse_fails(const char *text, int want, const char *reason) {
        _cleanup_rm_rf_ char *dir = tests_mkdtemp();
        _cleanup_free_ char *path = tests_strdupf("%s/stderr", dir), *err = NULL;
        xmlDocPtr doc = NULL;
        xmlXPathContextPtr ctx = NULL;

        fflush(stderr);
        int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_SYS(saved);
        ASSERT_SYS(fd);
        ASSERT_SYS(dup2(fd, STDERR_FILENO));
        int r = xml_parse_xpath(text, strlen(text), &doc, &ctx, &err);
        fflush(stderr);
        ASSERT_SYS(dup2(saved, STDERR_FILENO));
        close(saved);
        close(fd);

        ASSERT_EQ(r, want);
        ASSERT_NULL(doc);
        ASSERT_NULL(ctx);
        ASSERT_CONTAINS(err, reason);
        ASSERT_NULL(strchr(err, '\n'));
        return tests_read_file(path);
}

TEST(refusals) {
        static const struct {
                const char *text, *reason;
        } bad[] = {
                { "<domain><name>x</domain>", "malformed domain XML (line 1): " },
                { "<domain>\n<name>\n", "malformed domain XML (line " },
                { "", "malformed domain XML" },
                { "not xml at all", "malformed domain XML" },
                { "<!DOCTYPE domain><domain/>", "domain XML must not contain a DOCTYPE" },
                { "<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><d>&e;</d>",
                  "domain XML must not contain a DOCTYPE" },
                { "<!DOCTYPE d SYSTEM 'http://192.0.2.1/d.dtd'><d/>", "domain XML must not contain a DOCTYPE" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *printed = parse_fails(bad[i].text, -EBADMSG, bad[i].reason);
                if (*printed)
                        TEST_FAIL("libxml2 printed on stderr for '%s': %s", bad[i].text, printed);
        }

        /* the reason is optional */
        xmlDocPtr doc = NULL;
        ASSERT_ERR(xml_parse_untrusted("<a>", 3, &doc, NULL), -EBADMSG);
        ASSERT_NULL(doc);
        /* @len bytes only: a longer buffer is cut there */
        ASSERT_OK(xml_parse_untrusted("<a/>garbage", 4, &doc, NULL));
        xmlFreeDoc(doc);
}

TEST(u64) {
        uint64_t v = 7;
        ASSERT_OK(parse_u64("0", &v));
        ASSERT_U64_EQ(v, 0);
        ASSERT_OK(parse_u64("10486272", &v));
        ASSERT_U64_EQ(v, 10486272);
        ASSERT_OK(parse_u64("18446744073709551615", &v));
        ASSERT_U64_EQ(v, UINT64_MAX);
        v = 7;
        static const char *const bad[] = { "", "-1", "+1", " 1", "1 ", "1x", "0x10", "18446744073709551616", "1e3" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_ERR(parse_u64(bad[i], &v), -EINVAL);
        ASSERT_ERR(parse_u64(NULL, &v), -EINVAL);
        ASSERT_U64_EQ(v, 7); /* untouched on failure */
}

int main(void) {
        RUN(parse_and_query);
        RUN(serialise);
        RUN(refusals);
        RUN(u64);
        return tests_done();
}
