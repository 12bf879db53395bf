"""Writes props_expected.tsv: for every dataset of the interop files, what `h5dump -p -H`
(hdf5-tools 1.10.8) prints in STORAGE_LAYOUT (first line, OFFSET for contiguous), FILTERS,
FILLVALUE (FILL_TIME, VALUE) and ALLOCATION_TIME, whitespace collapsed.
Columns: file, path, layout, filters, fill time, fill value, allocation time.
Run from crates/h5kit-object-header/tests/data."""
import re, subprocess

INTEROP = '../../../../tests/data/interop/'
files = sorted({l.split()[0] for l in open('interop_headers.txt')})
out = open('props_expected.tsv', 'w')
for f in files:
    try:
        text = subprocess.run(['h5dump', '-p', '-H', INTEROP + f], capture_output=True, text=True, timeout=60).stdout
    except subprocess.TimeoutExpired:
        continue
    lines = [l.strip() for l in text.splitlines()]
    stack = []
    i = 0
    while i < len(lines):
        s = lines[i]
        m = re.match(r'^(GROUP|DATASET|DATATYPE|ATTRIBUTE) "(.*)" \{$', s)
        if m and not (m.group(1) == 'DATATYPE' and stack and stack[-1][0] in ('DATASET', 'ATTRIBUTE')):
            stack.append([m.group(1), m.group(2), {}])
            i += 1
            continue
        if stack and stack[-1][0] == 'DATASET' and s in ('STORAGE_LAYOUT {', 'FILTERS {', 'FILLVALUE {', 'ALLOCATION_TIME {'):
            key = s.split()[0]
            body = []
            depth = 1
            while True:
                i += 1
                t = lines[i]
                depth += t.count('{') - t.count('}')
                if depth <= 0:
                    break
                body.append(t)
            stack[-1][2][key] = body
            i += 1
            continue
        if s == '}' and stack:
            kind, name, info = stack.pop()
            if kind == 'DATASET' and 'STORAGE_LAYOUT' in info:
                objs = [n for k, n, _ in stack if n != '/']
                path = '/' + '/'.join(objs + [name])
                lay = info['STORAGE_LAYOUT']
                layout = lay[0] if lay else ''
                for l in lay[1:]:
                    if l.startswith('OFFSET') or (layout.startswith('COMPACT') and l.startswith('SIZE')) or (layout.startswith('CONTIGUOUS') and l.startswith('SIZE')):
                        layout += ' ' + l
                filters = ' '.join(info.get('FILTERS', []))
                fill = info.get('FILLVALUE', [])
                ftime = next((l.split()[1] for l in fill if l.startswith('FILL_TIME')), '')
                fval = next((' '.join(l.split()[1:]) for l in fill if l.startswith('VALUE')), '')
                alloc = ' '.join(info.get('ALLOCATION_TIME', []))
                out.write('\t'.join([f, path, ' '.join(layout.split()), ' '.join(filters.split()), ftime, fval, alloc]) + '\n')
        i += 1
out.close()
