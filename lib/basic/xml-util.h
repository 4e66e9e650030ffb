/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small libxml2/XPath helpers shared by the domain and metadata readers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "basic/alloc-util.h"

/*
 * Parse untrusted XML: no network, no entity substitution, no DTD allowed
 * at all (libvirt never sends one).  *ret_error (if not NULL) gets a
 * one-line reason.
 */
int xml_parse_untrusted(const char *buf, size_t len, xmlDocPtr *ret, char **ret_error);

/* The same, with an XPath context over the document (free the context
 * first: declare it after the document). */
int xml_parse_xpath(const char *buf, size_t len, xmlDocPtr *ret_doc, xmlXPathContextPtr *ret_ctx, char **ret_error);

/* String value of @expr relative to @node (NULL: document); NULL if empty. */
char *xpath_string(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr);
bool xpath_exists(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr);
/* Node set for @expr; caller frees the object. */
xmlXPathObjectPtr xpath_nodes(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr);

char *xml_prop(xmlNodePtr node, const char *name);
/* The whole document as a malloc()ed string. */
int xml_doc_to_string(xmlDocPtr doc, char **ret);
/* One element and its children as text (no XML declaration). */
int xml_node_to_string(xmlDocPtr doc, xmlNodePtr node, char **ret);
int parse_u64(const char *s, uint64_t *ret);
