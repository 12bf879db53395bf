"""Writes ddl_expected.tsv: for every dataset and attribute of the interop files, the
DATATYPE and DATASPACE text that `h5dump -H` (hdf5-tools 1.10.8) prints, whitespace collapsed.
Columns: file, object path, attribute name ('-' for the dataset itself), datatype, dataspace.
Run from crates/h5kit-object-header/tests/data."""
import re, subprocess, sys

INTEROP = '../../../../tests/data/interop/'
files = sorted({l.split()[0] for l in open('interop_headers.txt')})
out = open('ddl_expected.tsv', 'w')
for f in files:
    try:
        text = subprocess.run(['h5dump', '-H', INTEROP + f], capture_output=True, text=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        continue
    lines = text.splitlines()
    stack = []  # (kind, name)
    i = 0
    cur = {}
    while i < len(lines):
        s = lines[i].strip()
        m = re.match(r'^(GROUP|DATASET|ATTRIBUTE|DATATYPE) "(.*)" \{$', s)
        if m and not (m.group(1) == 'DATATYPE' and stack and stack[-1][0] in ('DATASET', 'ATTRIBUTE')):
            stack.append((m.group(1), m.group(2)))
            cur[len(stack)] = {}
            i += 1
            continue
        if s.startswith('DATATYPE') and stack and stack[-1][0] in ('DATASET', 'ATTRIBUTE'):
            buf = [s[len('DATATYPE'):].strip()]
            depth = buf[0].count('{') - buf[0].count('}')
            while depth > 0:
                i += 1
                t = lines[i].strip()
                buf.append(t)
                depth += t.count('{') - t.count('}')
            cur[len(stack)]['dt'] = ' '.join(buf)
            i += 1
            continue
        if s.startswith('DATASPACE') and stack and stack[-1][0] in ('DATASET', 'ATTRIBUTE'):
            cur[len(stack)]['ds'] = ' '.join(s[len('DATASPACE'):].split())
            i += 1
            continue
        if s == '}' and stack:
            kind, name = stack.pop()
            info = cur.pop(len(stack) + 1, {})
            if kind in ('DATASET', 'ATTRIBUTE') and 'dt' in info and 'ds' in info:
                objs = [n for k, n in stack if k in ('GROUP', 'DATASET', 'DATATYPE') and n != '/']
                if kind == 'DATASET':
                    path, attr = '/' + '/'.join(objs + [name]), '-'
                else:
                    path, attr = '/' + '/'.join(objs), name
                dt = ' '.join(info['dt'].split())
                out.write('\t'.join([f, path, attr, dt, info['ds']]) + '\n')
        i += 1
out.close()
