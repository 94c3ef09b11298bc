#ifndef TAPESTRY_CNETLINK_H
#define TAPESTRY_CNETLINK_H
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/link/veth.h>
#endif
