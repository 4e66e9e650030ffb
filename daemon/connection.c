/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt connection management: open with keepalive, subscribe to domain
 * events, and reopen with back-off when the daemon goes away (libvirtd or
 * virtqemud restart, socket activation).
 */
#include <errno.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

#include "basic/log.h"
#include "basic/strv.h"
#include "core/domain-xml.h"
#include "daemon.h"

#define RECONNECT_MIN_MS 500
#define RECONNECT_MAX_MS 30000

static int on_lifecycle(virConnectPtr conn _unused_, virDomainPtr dom, int event, int detail, void *opaque) {
        Daemon *d = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];

        if (virDomainGetUUIDString(dom, uuid) < 0)
                return 0;
        log_debug("Domain %s event %d detail %d", virDomainGetName(dom), event, detail);

        if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_STOPPED)
                daemon_pinning_refresh(d); /* QEMU pids and vCPU pins changed */
        switch (event) {
        case VIR_DOMAIN_EVENT_RESUMED:
                /* incoming migration finished (or post-copy switched over) */
                if (detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED || detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY)
                        daemon_commit_incoming(d, uuid, "guest resumed after incoming migration");
                daemon_queue_publish(d, uuid);
                break;
        case VIR_DOMAIN_EVENT_SUSPENDED:
                /* `virsh migrate --suspend`: completed, left paused */
                if (detail == VIR_DOMAIN_EVENT_SUSPENDED_PAUSED)
                        daemon_commit_incoming(d, uuid, "incoming migration completed, guest paused");
                /* source switchover: QEMU still talks to the destination */
                if (detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED)
                        daemon_note_peer(d, dom, uuid);
                break;
        case VIR_DOMAIN_EVENT_STOPPED:
                if (detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
                        daemon_source_migrated(d, dom, uuid);
                break;
        case VIR_DOMAIN_EVENT_DEFINED:
                /* a --config change: the published definition must follow */
                daemon_queue_publish(d, uuid);
                break;
        case VIR_DOMAIN_EVENT_STARTED:
                /* an incoming guest is published once it resumed: until
                 * then setting metadata would wait for the migration job */
                if (detail != VIR_DOMAIN_EVENT_STARTED_MIGRATED)
                        daemon_queue_publish(d, uuid);
                break;
        default: break;
        }
        return 0;
}

static void on_device_added(virConnectPtr conn _unused_, virDomainPtr dom, const char *alias _unused_, void *opaque) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virDomainGetUUIDString(dom, uuid) >= 0)
                daemon_queue_publish(opaque, uuid);
}

static void on_metadata(virConnectPtr conn _unused_, virDomainPtr dom, int type _unused_, const char *nsuri,
                        void *opaque) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        /* our own live facts changing is no news */
        if ((!nsuri || !streq(nsuri, MG_XMLNS)) && virDomainGetUUIDString(dom, uuid) >= 0)
                daemon_queue_publish(opaque, uuid);
}

static void on_close(virConnectPtr conn _unused_, int reason, void *opaque) {
        Daemon *d = opaque;
        log_warning("Connection to libvirt lost (reason %d), reconnecting", reason);
        daemon_schedule_reconnect(d);
}

void daemon_disconnect(Daemon *d) {
        if (!d->conn)
                return;
        if (d->lifecycle_cb >= 0)
                (void) virConnectDomainEventDeregisterAny(d->conn, d->lifecycle_cb);
        if (d->device_cb >= 0)
                (void) virConnectDomainEventDeregisterAny(d->conn, d->device_cb);
        if (d->metadata_cb >= 0)
                (void) virConnectDomainEventDeregisterAny(d->conn, d->metadata_cb);
        (void) virConnectUnregisterCloseCallback(d->conn, on_close);
        (void) virConnectClose(d->conn);
        d->conn = NULL;
        d->lifecycle_cb = d->device_cb = d->metadata_cb = -1;
}

int daemon_connect(Daemon *d) {
        daemon_disconnect(d);
        d->conn = virConnectOpen(d->uri);
        if (!d->conn)
                return -ECONNREFUSED;
        (void) virConnectSetKeepAlive(d->conn, 5, 3);
        (void) virConnectRegisterCloseCallback(d->conn, on_close, d, NULL);
        d->lifecycle_cb = virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                           VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
        d->device_cb = virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                                                        VIR_DOMAIN_EVENT_CALLBACK(on_device_added), d, NULL);
        d->metadata_cb = virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                          VIR_DOMAIN_EVENT_CALLBACK(on_metadata), d, NULL);
        if (d->lifecycle_cb < 0) {
                daemon_disconnect(d);
                return -EIO;
        }
        LogFields f = { .message_id = MG_MSGID_DAEMON };
        log_struct(LOG_INFO, &f, "Connected to %s", d->uri);
        (void) sd_notifyf(0, "STATUS=Connected to %s", d->uri);

        /* Whatever happened while we were away. */
        daemon_reconcile(d);
        daemon_reconcile_sources(d);
        daemon_pinning_refresh(d);
        daemon_queue_publish_all(d);
        return 0;
}

static void reconnect_cb(int timer _unused_, void *opaque) {
        Daemon *d = opaque;

        virEventUpdateTimeout(d->reconnect_timer, -1);
        if (daemon_connect(d) >= 0) {
                d->reconnect_delay_ms = 0;
                return;
        }
        (void) sd_notifyf(0, "STATUS=Waiting for libvirt at %s", d->uri);
        daemon_schedule_reconnect(d);
}

void daemon_schedule_reconnect(Daemon *d) {
        if (d->reconnect_timer < 0) {
                d->reconnect_timer = virEventAddTimeout(-1, reconnect_cb, d, NULL);
                if (d->reconnect_timer < 0)
                        return;
        }
        d->reconnect_delay_ms = d->reconnect_delay_ms ? d->reconnect_delay_ms * 2 : RECONNECT_MIN_MS;
        if (d->reconnect_delay_ms > RECONNECT_MAX_MS)
                d->reconnect_delay_ms = RECONNECT_MAX_MS;
        virEventUpdateTimeout(d->reconnect_timer, (int) d->reconnect_delay_ms);
}
