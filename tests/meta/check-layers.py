#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""check-layers.py -- lib/ calls go down: no loop among its files, and every
function's prefix names the file that defines it

  check-layers.py NM LIBPMKV_INTERNAL.a

Reads the archive's symbol table (nm): a file that uses a symbol another
file defines depends on it. A loop among those dependencies is a failure,
printed as the files around it and a symbol for each step; so is a global
function whose name does not start with its file's name (or the file's
prefix below), or with pmkv_ for the public API. design.md's "Where things
are" draws the layers this keeps.
"""
import subprocess
import sys

# files whose functions carry a shorter prefix than the file's name
PREFIX = {
    'errormsg': 'err_',
    'record': 'rec_',
    'device_daxctl': 'device_',
    'device_none': 'device_',
}


def symbols(nm, archive):
    out = subprocess.run([nm, '-A', archive], check=True,
                         capture_output=True, text=True).stdout
    defs, uses = {}, {}
    for line in out.splitlines():
        where, _, rest = line.rpartition(':')
        member = where.rsplit(':', 1)[-1].rsplit('/', 1)[-1]
        if not member.endswith('.c.o'):
            continue
        f = member[:-len('.c.o')]
        parts = rest.split()
        if len(parts) == 2 and parts[0] == 'U':
            uses.setdefault(f, set()).add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBR':
            # the compiler's own (__odr_asan.* under ASan, say)
            if not parts[2].startswith('__'):
                defs.setdefault(f, set()).add(parts[2])
    return defs, uses


def loops(edges):
    """strongly connected components of more than one file (Tarjan)"""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 99
    defs, uses = symbols(sys.argv[1], sys.argv[2])
    owner = {s: f for f, ss in defs.items() for s in ss}
    edges = {}
    for f, ss in uses.items():
        for s in ss:
            g = owner.get(s)
            if g and g != f:
                edges.setdefault(f, {}).setdefault(g, s)
    failed = 0
    for comp in loops(edges):
        failed += 1
        print('not ok: a loop among', ' '.join(c + '.c' for c in comp))
        for f in comp:
            for g, s in sorted(edges.get(f, {}).items()):
                if g in comp:
                    print(f'  {f}.c -> {g}.c ({s})')
    for f, ss in sorted(defs.items()):
        want = PREFIX.get(f, f + '_')
        for s in sorted(ss):
            if not s.startswith((want, 'pmkv_')):
                failed += 1
                print(f'not ok: {f}.c defines {s}, not {want}*')
    nedges = sum(len(v) for v in edges.values())
    print(f'{len(defs)} files, {nedges} dependencies between them, '
          f'{failed} problems')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
