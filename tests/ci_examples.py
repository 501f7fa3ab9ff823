#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""CI configuration checked by schema, as TAP (the `docs` suite, and .ci/run).

  ci_examples.py SOURCE-DIR

- Every GitHub Actions workflow (.github/workflows/*.yml, and the sharded
  one in docs/examples/) against GitHub's workflow schema, with
  action-validator (npm: @action-validator/cli; $ACTION_VALIDATOR or PATH).
- The Kubernetes manifest (docs/examples/*.yaml) against
  tests/schemas/k8s-indexed-job.schema.json, a small schema written for
  fpvm (no validator of the whole Kubernetes API is a Debian or npm
  package), with python3-jsonschema and python3-yaml; then what a schema
  cannot say: each mount names a volume, each claim a claim in the file,
  and '--shard index/N' matches the Job's completions.
A check whose tool is not installed is skipped with the reason, never failed.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys

from tap import Tap

TAP = Tap()
result, skip = TAP.result, TAP.skip

def workflows(src):
    validator = os.environ.get('ACTION_VALIDATOR') or shutil.which('action-validator')
    files = sorted(glob.glob(os.path.join(src, '.github', 'workflows', '*.yml')) +
                   glob.glob(os.path.join(src, 'docs', 'examples', '*.yml')))
    for f in files:
        desc = 'workflow %s against the GitHub workflow schema' % os.path.relpath(f, src)
        if not validator:
            skip(desc, 'action-validator not installed (npm install @action-validator/cli)')
            continue
        r = subprocess.run([validator, f], capture_output=True, text=True, check=False)
        result(r.returncode == 0, desc, r.stdout + r.stderr)


def k8s_cross_checks(docs):
    """What the schema cannot say about the documents of one file."""
    problems = []
    claims = {d['metadata']['name'] for d in docs if d.get('kind') == 'PersistentVolumeClaim'}
    for d in docs:
        if d.get('kind') != 'Job':
            continue
        spec = d['spec']['template']['spec']
        volumes = {v['name']: v for v in spec.get('volumes', [])}
        for v in volumes.values():
            c = v.get('persistentVolumeClaim', {}).get('claimName')
            if c and c not in claims:
                problems.append('%s: volume %s: claim %s is not in the file' %
                                (d['metadata']['name'], v['name'], c))
        for c in spec['containers']:
            for m in c.get('volumeMounts', []):
                if m['name'] not in volumes:
                    problems.append('%s: mount of %s: no such volume' %
                                    (d['metadata']['name'], m['name']))
            words = c.get('command', []) + c.get('args', [])
            for i, w in enumerate(words[:-1]):
                m = re.match(r'^index/(\d+)$', words[i + 1]) if w == '--shard' else None
                if m and (d['spec'].get('completionMode') != 'Indexed' or
                          int(m.group(1)) != d['spec'].get('completions')):
                    problems.append('%s: --shard %s, but %s completions of mode %s' %
                                    (d['metadata']['name'], words[i + 1],
                                     d['spec'].get('completions'),
                                     d['spec'].get('completionMode')))
    return problems


def manifests(src):
    files = sorted(glob.glob(os.path.join(src, 'docs', 'examples', '*.yaml')))
    try:
        import jsonschema
        import yaml
    except ImportError as e:
        for f in files:
            skip('Kubernetes manifest %s against its schema' % os.path.relpath(f, src),
                 '%s (Debian: python3-jsonschema python3-yaml)' % e)
        return
    with open(os.path.join(src, 'tests', 'schemas', 'k8s-indexed-job.schema.json')) as s:
        schema = json.load(s)
    for f in files:
        rel = os.path.relpath(f, src)
        with open(f) as y:
            docs = [d for d in yaml.safe_load_all(y) if d is not None]
        errors = []
        for d in docs:
            # Each document against its kind's definition: errors then name the field.
            kind = {'Job': 'job', 'PersistentVolumeClaim': 'pvc'}.get(d.get('kind'))
            if not kind:
                errors.append('kind %r: not one this schema knows' % d.get('kind'))
                continue
            one = {'definitions': schema['definitions'], '$ref': '#/definitions/' + kind}
            for e in jsonschema.Draft7Validator(one).iter_errors(d):
                errors.append('%s/%s: %s' % (d.get('kind'), '/'.join(map(str, e.path)),
                                             e.message[:300]))
        result(docs and not errors, 'Kubernetes manifest %s against its schema' % rel,
               '\n'.join(errors))
        problems = k8s_cross_checks(docs)
        result(not problems, 'Kubernetes manifest %s: volumes, claims and shards agree' % rel,
               '\n'.join(problems))


def main():
    src = sys.argv[1]
    workflows(src)
    manifests(src)
    return TAP.done()


if __name__ == '__main__':
    sys.exit(main())
