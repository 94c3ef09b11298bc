#ifndef CPCAP_SHIM_H
#define CPCAP_SHIM_H
// libpcap for `tapestry capture`: BPF filters (pcap_compile, pcap_offline_filter) and pcap files (pcap_dump).
#include <pcap/pcap.h>
#endif
