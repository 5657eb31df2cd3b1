/* Fleet sync: bans and limit_req zones shared by several hush instances
 * through Redis, local-first (README "Running a fleet", docs/internals.md).
 *
 * Every decision stays local and is taken from the instance's own shared
 * zones; Redis only carries what instances tell each other: a ban that
 * started (a key with the ban's TTL, and a message on PREFIX:events), and
 * the requests each instance accepted per key of a synced limit_req zone
 * (a message every sync_interval). Redis being down, slow or full never
 * touches traffic: the instance goes on alone and catches up later. */
#ifndef HS_SYNC_SYNC_H
#define HS_SYNC_SYNC_H

#include "conf/module.h"

extern hs_module hs_sync_module;

#endif
