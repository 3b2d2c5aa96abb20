/*
 * The DNS record handed to the engine (APP_REC_DNS): one message with the transaction id
 * mamori gave it (a response gets the tx_id of the query it answers).
 */
#ifndef MM_APP_DNS_REC_H
#define MM_APP_DNS_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "app/dns.h"

struct app_dns_rec {
    const struct dns_msg *msg;
    uint64_t tx_id;
    bool tcp;       /* carried over TCP */
    bool unmatched; /* a response to no query seen */
};

#endif
