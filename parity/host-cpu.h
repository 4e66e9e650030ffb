/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Turning libvirt's host CPU descriptions into what migguard publishes
 * and compares: the domain-capabilities host-model CPU as a plain <cpu>
 * element (what `virsh hypervisor-cpu-compare` does with domcapabilities),
 * and the capabilities' host CPU model name.
 */
#pragma once

/* <domainCapabilities> -> "<cpu mode='custom' match='exact'>...</cpu>" and its model. */
int host_cpu_from_domcaps(const char *domcaps_xml, char **ret_cpu_xml, char **ret_model);
/* <capabilities> -> /capabilities/host/cpu/model. */
int host_cpu_model_from_caps(const char *caps_xml, char **ret_model);
