#!/usr/bin/python3
"""Runs dkimpy (Debian python3-dkim) over a batch of DKIM and ARC operations: one process per corpus.

Input on stdin (JSON):
  {"keys":  {"rsa._domainkey.example.com": "v=DKIM1; k=rsa; p=..."},       # what the dnsfunc answers
   "privateKeys": {"rsa": "-----BEGIN RSA PRIVATE KEY-----...",            # PKCS#1 PEM (RSA)
                   "ed25519": "base64 of the 32-octet seed"},               # dkimpy's Ed25519 form
   "ops": [{"id": "x", "op": "dkim-verify", "message": "<base64>"},
           {"id": "y", "op": "dkim-sign", "message": "<base64>", "key": "rsa", "domain": "example.com",
            "selector": "rsa", "algorithm": "rsa-sha256", "canonicalization": "relaxed/simple",
            "headers": ["from", "to"] | null, "identity": "@example.com" | null, "length": false},
           {"id": "z", "op": "arc-sign", "message": "<base64>", "key": "rsa", "domain": "example.com",
            "selector": "rsa", "algorithm": "rsa-sha256", "srvId": "mx.example.org",
            "headers": [...] | null, "timestamp": 1700000000 | null},
           {"id": "w", "op": "arc-verify", "message": "<base64>"}]}
Output on stdout (JSON):
  {"dkimpy": "1.1.4", "results": [
     {"id": "x", "result": "pass" | "fail", "log": ["..."]},              # dkim-verify
     {"id": "y", "header": "DKIM-Signature: ..."},                         # dkim-sign (fields without final CRLF)
     {"id": "z", "headers": ["ARC-Seal: ...", ...]},                       # arc-sign
     {"id": "w", "result": "pass" | "fail" | "none", "reason": "...", "log": [...]},   # arc-verify
     {"id": ..., "result": "crash", "error": "...", "trace": "..."}]}     # dkimpy raised

Keys come from the "keys" map through dkimpy's dnsfunc hook: nothing is looked up in real DNS. A name not
in the map answers None, which dkimpy treats as no key. Call with /usr/bin/python3: Debian's dkim module is
not visible to other interpreters.
"""

import base64
import json
import logging
import sys
import traceback

try:
    import dkim
except ImportError as err:  # the TypeScript side turns this into a failing test with this message
    sys.stderr.write('dkim-dkimpy-driver: cannot import dkim (%s); install python3-dkim\n' % err)
    sys.exit(3)


class Collect(logging.Handler):
    """Keeps dkimpy's debug log of the current operation: its only account of why a check failed."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def dkimpy_version():
    try:
        from importlib.metadata import version
        return version('dkimpy')
    except Exception:  # noqa: BLE001 - the version is informational only
        return 'unknown'


def main():
    request = json.load(sys.stdin)
    keys = {name.lower().rstrip('.'): value for name, value in request.get('keys', {}).items()}
    private_keys = request.get('privateKeys', {})

    def dnsfunc(name, timeout=5):
        text = keys.get(name.decode('ascii', 'replace').lower().rstrip('.'))
        return None if text is None else text.encode('ascii')

    collect = Collect()
    logger = logging.getLogger('dkimpy-driver')
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(collect)

    def private_key(op):
        value = private_keys[op['key']]
        return value.encode('ascii')

    def names(op):
        headers = op.get('headers')
        return None if headers is None else [h.encode('ascii') for h in headers]

    def run(op):
        message = base64.b64decode(op['message'])
        kind = op['op']
        if kind == 'dkim-verify':
            d = dkim.DKIM(message, logger=logger, minkey=1024)
            try:
                ok = d.verify(idx=op.get('index', 0), dnsfunc=dnsfunc)
            except dkim.DKIMException as err:
                return {'result': 'fail', 'log': collect.lines + ['DKIMException: %s' % err]}
            return {'result': 'pass' if ok else 'fail', 'log': collect.lines}
        if kind == 'dkim-sign':
            header_c, body_c = op['canonicalization'].split('/')
            identity = op.get('identity')
            signature = dkim.sign(
                message, op['selector'].encode('ascii'), op['domain'].encode('ascii'), private_key(op),
                identity=None if identity is None else identity.encode('ascii'),
                canonicalize=(header_c.encode('ascii'), body_c.encode('ascii')),
                signature_algorithm=op['algorithm'].encode('ascii'),
                include_headers=names(op), length=bool(op.get('length')), logger=logger)
            return {'header': signature.decode('latin-1').rstrip('\r\n')}
        if kind == 'arc-sign':
            timestamp = op.get('timestamp')
            fields = dkim.arc_sign(
                message, op['selector'].encode('ascii'), op['domain'].encode('ascii'), private_key(op),
                op['srvId'].encode('ascii'), signature_algorithm=op['algorithm'].encode('ascii'),
                include_headers=names(op), timestamp=None if timestamp is None else str(timestamp).encode('ascii'),
                logger=logger)
            return {'headers': [f.decode('latin-1').rstrip('\r\n') for f in fields]}
        if kind == 'arc-verify':
            cv, results, reason = dkim.arc_verify(message, logger=logger, dnsfunc=dnsfunc, minkey=1024)
            return {'result': cv.decode('ascii'), 'reason': reason, 'log': collect.lines,
                    'instances': [{k: (v.decode('latin-1') if isinstance(v, bytes) else v) for k, v in r.items()} for r in results]}
        raise ValueError('unknown op %r' % kind)

    results = []
    for op in request['ops']:
        collect.lines = []
        try:
            out = run(op)
        except Exception as err:  # noqa: BLE001 - a crash is a result we report, not a reason to stop the batch
            out = {'result': 'crash', 'error': '%s: %s' % (type(err).__name__, err), 'trace': traceback.format_exc(limit=4),
                   'log': collect.lines}
        out['id'] = op['id']
        results.append(out)
    json.dump({'dkimpy': dkimpy_version(), 'results': results}, sys.stdout)


if __name__ == '__main__':
    main()
