#!/usr/bin/env python3
"""Writes the seeds of fuzz_pclntab: small, valid Go pclntabs in the 1.16,
1.18 and 1.20 layouts (see src/agent/pclntab.c), two functions, one with an
inlined call, a moduledata for the inline tree's base. Each seed is one
flag byte (0: with a .gopclntab section, 1: found by scanning) and the
table, which fuzz_pclntab places at 0x400100 (mapped again, writable, at
0x800000).

    python3 tests/fuzz/gen_pclntab_seeds.py tests/fuzz/corpus/pclntab
"""
import os
import struct
import sys

VA = 0x400100          # where fuzz_pclntab maps the table
TEXT = 0x401000


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pcvalue(steps):
    """steps: [(value, pc_end_offset)] -> the pc-value table bytes."""
    out, val, pc = bytearray(), -1, 0
    for value, end in steps:
        d = value - val
        out += uvarint((d << 1) if d >= 0 else ((-d << 1) - 1))
        out += uvarint(end - pc)
        val, pc = value, end
    return bytes(out + b"\0")


def build(ver):
    ps = 8
    names = b"main.outer\0main.inl\0main.leaf\0"
    n_outer, n_inl, n_leaf = 0, 11, 20
    files = b"a.go\0b.go\0"
    cutab = struct.pack("<II", 0, 5)
    pct = bytearray(b"\0")          # offset 0 means "no table"

    def add(t):
        off = len(pct)
        pct.extend(t)
        return off
    f0_file = add(pcvalue([(0, 0x40)]))
    f0_line = add(pcvalue([(10, 0x20), (12, 0x40)]))
    f0_inl = add(pcvalue([(-1, 0x10), (0, 0x20), (-1, 0x40)]))
    f1_file = add(pcvalue([(1, 0x20)]))
    f1_line = add(pcvalue([(5, 0x20)]))

    nwords = 7 if ver == 116 else 8
    hdr_len = 8 + nwords * ps
    off_names = hdr_len
    off_cu = off_names + len(names)
    off_files = off_cu + len(cutab)
    off_pct = off_files + len(files)
    off_pcln = off_pct + len(pct)
    off_pcln += (-off_pcln) % 8
    pad = off_pcln - (off_pct + len(pct))

    # pclntable: functab then the _funcs.
    fentry = 2 * ps if ver == 116 else 8
    ftab_len = 3 * fentry
    inl_size = 16 if ver == 120 else 20

    def func(entry_off, name, pfile, pline, pcdata, funcdata):
        if ver == 116:
            b = struct.pack("<Q", TEXT + entry_off)
        else:
            b = struct.pack("<I", entry_off)
        b += struct.pack("<iiIIIIII", name, 0, 0, 0, pfile, pline, len(pcdata), 0)
        if ver == 120:
            b += struct.pack("<i", 1)
        b += struct.pack("<BBBB", 0, 0, 0, len(funcdata))
        b += b"".join(struct.pack("<I", x) for x in pcdata)
        if ver == 116:
            if (off_pcln + f_off + len(b)) % 8:
                b += b"\0" * 4
            b += b"".join(struct.pack("<Q", x) for x in funcdata)
        else:
            b += b"".join(struct.pack("<I", x) for x in funcdata)
        return b

    # Place: functab, func0, func1, inline tree, moduledata.
    f_off = ftab_len
    tree_va_placeholder = 0
    f0 = func(0, n_outer, f0_file, f0_line, [0, 0, f0_inl],
              [0, 0, 0, tree_va_placeholder] if ver == 116 else [0xffffffff] * 3 + [0])
    f0_off = f_off
    f_off += len(f0) + (-len(f0)) % 8
    f1_off = f_off
    f1 = func(0x40, n_leaf, f1_file, f1_line, [], [])
    f_off += len(f1) + (-len(f1)) % 8
    tree_off = off_pcln + f_off
    tree_va = VA + tree_off
    if ver == 116:   # absolute pointer to the tree
        f_off = f0_off
        f0 = func(0, n_outer, f0_file, f0_line, [0, 0, f0_inl], [0, 0, 0, tree_va])
    if ver == 120:
        tree = struct.pack("<BBBBiii", 0, 0, 0, 0, n_inl, 0x08, 3)
    else:
        tree = struct.pack("<hBBiiii", -1, 0, 0, 0, 0, n_inl, 0x08)
    assert len(tree) == inl_size
    if ver == 116:
        ftab = struct.pack("<QQQQQQ", TEXT, f0_off, TEXT + 0x40, f1_off, TEXT + 0x60, 0)
    else:
        ftab = struct.pack("<IIIIII", 0, f0_off, 0x40, f1_off, 0x60, 0)
    body = bytearray(ftab)
    body += f0 + b"\0" * ((-len(f0)) % 8)
    body += f1 + b"\0" * ((-len(f1)) % 8)
    assert off_pcln + len(body) == tree_off
    body += tree + b"\0" * ((-len(tree)) % 8)
    # moduledata: pcHeader, funcnametab slice ...; gofunc = tree_va (so
    # funcdata offset 0 is the tree). Found by the writable-segment scan.
    md = [0] * 44
    md[0] = VA
    md[1] = VA + off_names
    md[22] = TEXT
    md[38 if ver == 118 else 40] = tree_va
    body += struct.pack("<44Q", *md)

    hdr = struct.pack("<IBBBB", {116: 0xfffffffa, 118: 0xfffffff0, 120: 0xfffffff1}[ver],
                      0, 0, 1, ps)
    words = [2, 2] + ([] if ver == 116 else [TEXT]) + \
        [off_names, off_cu, off_files, off_pct, off_pcln]
    hdr += struct.pack("<%dQ" % len(words), *words)
    assert len(hdr) == hdr_len
    return hdr + names + cutab + files + bytes(pct) + b"\0" * pad + bytes(body)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for ver in (116, 118, 120):
        tab = build(ver)
        for flag in (0, 1):
            name = "go%d-%s.bin" % (ver, "section" if flag == 0 else "scan")
            with open(os.path.join(out, name), "wb") as f:
                f.write(bytes([flag]) + tab)


if __name__ == "__main__":
    main()
