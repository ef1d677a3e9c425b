#!/usr/bin/env python3
"""List the GPU code images inside the .nv_fatbin section of an ELF shared library (what cuobjdump
--list-elf / --list-ptx report, for machines without cuobjdump). Usage: list_fatbin.py LIBRARY.so

Checked against nvcc-built libraries with known contents (sm_75 cubin only; compute_75 PTX only;
sm_86 + sm_90 cubins with compute_90 PTX). Needs python3 and readelf (binutils).

Fatbin container: header {u32 magic 0xBA55ED50, u16 version, u16 header_size, u64 body_size},
then entries {u16 kind (1 = PTX, 2 = ELF cubin), u16 ?, u32 header_size, u64 payload_size, ...,
u32 sm_arch at offset 28}."""
import struct, sys, collections, subprocess

def section(path, name):
    out = subprocess.check_output(["readelf", "-S", "-W", path], text=True)
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[1] == name:
            return int(parts[4], 16), int(parts[5], 16)
    raise SystemExit(f"no {name} section in {path}")

path = sys.argv[1]
off, size = section(path, ".nv_fatbin")
with open(path, "rb") as f:
    f.seek(off); data = f.read(size)
pos = 0; containers = 0; kinds = collections.Counter()
while pos + 16 <= len(data):
    magic, ver, hsize, body = struct.unpack_from("<IHHQ", data, pos)
    if magic != 0xBA55ED50:
        pos += 8; continue          # containers are 8-byte aligned; skip padding
    containers += 1
    e = pos + hsize; end = e + body
    while e < end:
        kind, _, ehs, psize = struct.unpack_from("<HHIQ", data, e)
        arch, = struct.unpack_from("<I", data, e + 28)
        kinds[("PTX" if kind == 1 else "ELF" if kind == 2 else f"kind{kind}", arch)] += 1
        e += ehs + psize
    pos = end
print(f"fatbin containers: {containers}")
for (k, a), n in sorted(kinds.items()):
    print(f"{k} sm_{a}: {n} images")
