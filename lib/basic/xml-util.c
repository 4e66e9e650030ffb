/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxml2 helpers: hardened parsing and XPath string/node queries. */
#include "basic/xml-util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

static void xml_silent(void *ctx _unused_, const char *msg _unused_, ...) {
}

int xml_parse_untrusted(const char *buf, size_t len, xmlDocPtr *ret, char **ret_error) {
        _cleanup_free_ char *err = NULL;
        if (len > INT32_MAX)
                return -EFBIG;

        /* libxml2 would print to stderr, which is the admin's virsh error. */
        xmlSetGenericErrorFunc(NULL, xml_silent);
        xmlResetLastError();

        xmlDocPtr doc = xmlReadMemory(buf, (int) len, "domain.xml", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                const xmlError *e = xmlGetLastError();
                char msg[256];
                snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "unknown error");
                msg[strcspn(msg, "\n")] = 0;
                if (asprintf(&err, "malformed domain XML (line %d): %s", e ? e->line : 0, msg) < 0)
                        err = NULL;
        } else if (doc->intSubset || doc->extSubset) {
                xmlFreeDoc(doc);
                err = strdup("domain XML must not contain a DOCTYPE");
        } else {
                *ret = doc;
                return 0;
        }
        if (ret_error)
                *ret_error = TAKE_PTR(err);
        return -EBADMSG;
}

xmlXPathObjectPtr xpath_nodes(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr) {
        ctx->node = node ? node : xmlDocGetRootElement(ctx->doc);
        return xmlXPathEvalExpression((const xmlChar *) expr, ctx);
}

char *xpath_string(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr) {
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o = NULL;
        _cleanup_free_ char *wrapped = NULL;

        if (asprintf(&wrapped, "string(%s)", expr) < 0)
                return NULL;
        o = xpath_nodes(ctx, node, wrapped);
        if (!o || o->type != XPATH_STRING || !o->stringval || !o->stringval[0])
                return NULL;
        return strdup((const char *) o->stringval);
}

bool xpath_exists(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr) {
        _cleanup_(xmlXPathFreeObjectp) xmlXPathObjectPtr o = xpath_nodes(ctx, node, expr);
        return o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0;
}

char *xml_prop(xmlNodePtr node, const char *name) {
        xmlChar *v = xmlGetProp(node, (const xmlChar *) name);
        if (!v)
                return NULL;
        char *s = strdup((const char *) v);
        xmlFree(v);
        return s;
}

int parse_u64(const char *s, uint64_t *ret) {
        if (!s || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int xml_doc_to_string(xmlDocPtr doc, char **ret) {
        xmlChar *out = NULL;
        int len = 0;
        xmlDocDumpMemory(doc, &out, &len);
        if (!out)
                return -ENOMEM;
        *ret = strdup((const char *) out);
        xmlFree(out);
        return *ret ? 0 : -ENOMEM;
}

int xml_parse_xpath(const char *buf, size_t len, xmlDocPtr *ret_doc, xmlXPathContextPtr *ret_ctx, char **ret_error) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        int r = xml_parse_untrusted(buf, len, &doc, ret_error);
        if (r < 0)
                return r;
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        if (!ctx)
                return -ENOMEM;
        *ret_ctx = ctx;
        *ret_doc = TAKE_PTR(doc);
        return 0;
}

int xml_node_to_string(xmlDocPtr doc, xmlNodePtr node, char **ret) {
        xmlBufferPtr b = xmlBufferCreate();
        if (!b)
                return -ENOMEM;
        char *s = xmlNodeDump(b, doc, node, 0, 0) >= 0 ? strdup((const char *) xmlBufferContent(b)) : NULL;
        xmlBufferFree(b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
