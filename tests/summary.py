#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-lane results of a `meson test` run, from BUILD/meson-logs/testlog.json.

  summary.py BUILD

Meson counts suites; this counts the tests inside them (TAP lines, Check's
"Checks: N, Failures: F, Errors: E"), per lane, so that a run where a lane
was skipped says so instead of passing in silence.  The last line is
"total: N passed, N failed, N skipped"; a skipped suite counts as one
skipped test there, with its reason printed above.
"""

import json
import os
import re
import sys

LANES = [('unit', 'unit (Check)'), ('integration', 'host KVM'), ('tcg', 'faithful lane (tcg)')]
TAP = re.compile(r'^(not ok|ok)\b[^#]*(#\s*(SKIP|TODO)\b.*)?', re.I)
CHECK = re.compile(r'Checks: (\d+), Failures: (\d+), Errors: (\d+)')
PLAN_SKIP = re.compile(r'^1\.\.0\s*#\s*SKIP\s*(.*)$', re.M | re.I)


def count(entry):
    """passed, failed, skipped tests of one suite, and a skip reason."""
    out = entry.get('stdout') or ''
    m = PLAN_SKIP.search(out)
    if m or entry['result'] == 'SKIP':
        # A suite whose every test skipped (fpvm test's TAP) says why per test.
        why = re.findall(r'^ok\b[^#]*#\s*SKIP\s*(.*)$', out, re.M | re.I)
        reason = m.group(1).strip() if m else (max(set(why), key=why.count) if why else
                                               'skipped by its test program')
        return 0, 0, 0, reason
    passed = failed = skipped = 0
    for line in out.splitlines():
        t = TAP.match(line)
        if t:
            if t.group(3):
                skipped += 1
            elif t.group(1) == 'ok':
                passed += 1
            else:
                failed += 1
    c = CHECK.search(out)
    if c:
        total, fails, errors = map(int, c.groups())
        passed, failed = total - fails - errors, fails + errors
    if passed + failed + skipped == 0:
        # No test lines at all: the program's own result is all there is.
        ok = entry['result'] in ('OK', 'EXPECTEDFAIL')
        passed, failed = int(ok), int(not ok)
    elif entry['result'] not in ('OK', 'EXPECTEDFAIL') and failed == 0:
        failed = 1      # crashed, timed out or exited non-zero after its tests
    return passed, failed, skipped, None


def failures(entry, limit=12):
    """Each failed TAP test of one suite and the first of its "#" lines."""
    lines = (entry.get('stdout') or '').splitlines()
    for i, line in enumerate(lines):
        t = TAP.match(line)
        if not t or t.group(1) != 'not ok' or t.group(3):
            continue
        diag = []
        for d in lines[i + 1:]:
            if not d.startswith('#') or TAP.match(d):
                break
            diag.append(d)
        yield line, diag[:limit] + (['# ... %d more lines' % (len(diag) - limit)]
                                    if len(diag) > limit else [])


def main():
    if len(sys.argv) != 2:
        print('usage: summary.py BUILD', file=sys.stderr)
        return 64
    path = os.path.join(sys.argv[1], 'meson-logs', 'testlog.json')
    try:
        entries = [json.loads(l) for l in open(path) if l.strip()]
    except (OSError, ValueError) as e:
        print('summary: %s: %s' % (path, e), file=sys.stderr)
        return 1
    lanes = {}
    for e in entries:
        suite = (e['name'].split(' / ')[0].split(':')[-1] if ' / ' in e['name'] else 'other')
        lanes.setdefault(suite, []).append(e)
    names = dict(LANES)
    order = [s for s, _ in LANES if s in lanes] + sorted(s for s in lanes if s not in names)
    total = [0, 0, 0]
    print('results of %s, per lane:' % sys.argv[1])
    for suite in order:
        p = f = s = 0
        skipped_suites = []
        for e in lanes[suite]:
            ep, ef, es, why = count(e)
            p, f, s = p + ep, f + ef, s + es
            if why is not None:
                skipped_suites.append((e['name'].split(' / ')[-1], why))
        ran = len(lanes[suite]) - len(skipped_suites)
        print('  %-20s %2d of %2d suites ran: %4d tests, %4d passed, %d failed, %d skipped' %
              (names.get(suite, suite), ran, len(lanes[suite]), p + f + s, p, f, s))
        reasons = {}
        for name, why in skipped_suites:
            reasons.setdefault(why, []).append(name)
        for why, which in reasons.items():
            print('  %-20s   skipped (%s): %s' % ('', ', '.join(which), why))
        total[0] += p
        total[1] += f
        total[2] += s + len(skipped_suites)
    for e in entries:
        if e['result'] in ('OK', 'EXPECTEDFAIL', 'SKIP'):
            continue
        for line, diag in failures(e):
            print('failed in %s: %s' % (e['name'], line))
            for d in diag:
                print('    %s' % d)
    print('total: %d passed, %d failed, %d skipped' % tuple(total))
    return 0


if __name__ == '__main__':
    sys.exit(main())
