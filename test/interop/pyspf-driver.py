#!/usr/bin/python3
"""Runs pyspf (Debian python3-spf) over a batch of SPF queries against one test DNS server.

Input on stdin (JSON):  {"server": "127.0.0.1", "port": 5353, "timeout": 1.0,
                         "cases": [{"id": "s001", "ip": "192.0.2.1", "sender": "a@b.test", "helo": "h.test"}]}
Output on stdout (JSON): {"pyspf": "2.0.14", "dnspython": "2.3.0",
                          "results": [{"id": "s001", "result": "pass", "explanation": "..."}]}
                         or, for a case pyspf itself crashed on, {"id": ..., "result": "crash", "error": "..."}.

pyspf resolves through dnspython's module-level `dns.resolver.query`, which uses
`dns.resolver.default_resolver`. We replace that resolver with one that knows only the test server
(configure=False: /etc/resolv.conf is never read, nothing can leak to a live resolver), and cap the
per-lookup lifetime so the suite's TIMEOUT names cost about a second rather than pyspf's 20 s default.
dnspython retries truncated UDP answers over TCP by itself, so the server's TRUNCATE marker works too.

Call with /usr/bin/python3: Debian's spf and dns modules are not visible to other interpreters.
"""

import json
import sys
import traceback

try:
    import dns.resolver
    import dns.version
    import spf
except ImportError as err:  # the TypeScript side turns this into a failing test with this message
    sys.stderr.write('pyspf-driver: cannot import pyspf/dnspython (%s); install python3-spf\n' % err)
    sys.exit(3)


def point_at(server, port, lifetime):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server]
    resolver.port = port
    resolver.timeout = lifetime
    resolver.lifetime = lifetime
    resolver.cache = None  # pyspf keeps its own per-query cache; a shared one would hide lookups
    dns.resolver.default_resolver = resolver

    original = spf.DNSLookup

    def lookup(name, qtype, strict=True, timeout=30):
        return original(name, qtype, strict, min(timeout, lifetime))

    spf.DNSLookup = lookup


def run_case(case):
    try:
        # querytime=0: no overall budget, each lookup bounded by the capped lifetime above.
        result, explanation = spf.check2(i=case['ip'], s=case['sender'], h=case['helo'], querytime=0)
        return {'id': case['id'], 'result': result, 'explanation': explanation}
    except Exception as err:  # noqa: BLE001 - a crash is a result we report, not a reason to stop the batch
        return {
            'id': case['id'],
            'result': 'crash',
            'error': '%s: %s' % (type(err).__name__, err),
            'trace': traceback.format_exc(limit=3),
        }


def main():
    request = json.load(sys.stdin)
    point_at(request['server'], int(request['port']), float(request.get('timeout', 1.0)))
    results = [run_case(case) for case in request['cases']]
    json.dump({'pyspf': spf.__version__, 'dnspython': dns.version.version, 'results': results}, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
