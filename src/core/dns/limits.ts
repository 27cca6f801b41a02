// DNS limits shared by every resolver implementation, each with its reason.

/** CNAME chains longer than this are treated as a loop and answered as `servfail` (RFC 1034 §3.6.2 asks
 * resolvers to bound chains; BIND and unbound use similar bounds). */
export const MAX_CNAME_CHAIN = 8;
