#!/usr/bin/env python3
"""Checks ROOT files written by ROOTIO's ROOTFileWriter with uproot (run by hand; the Swift tests do not need it).

    python3 check_writer.py                 # the golden files writer_none.root, writer_zlib.root
    python3 check_writer.py FILE.root ...   # any written files (checks 2 and 3 only)

1. uproot opens the golden files and reads every histogram with the same numbers, bit for bit, as
   writer_expected.json (written by the Swift test ROOTWriterTests.matchesGoldenFiles): values and
   variances with flow, edges, titles, and the paths in file order.
2. The StreamerInfo record (uncompressed) is byte-identical to the one uproot writes for a TH1D, whose
   TStreamerInfo bytes come from ROOT itself.
3. Every TH1D object (uncompressed) is byte-identical to what uproot writes for a TH1D with the same
   members (contents, sumw2, axis, statistics read back from our file).
"""
import json
import os
import struct
import sys
import tempfile
import zlib

import numpy as np
import uproot
from uproot.writing.identify import to_TAxis, to_TH1x

HERE = os.path.dirname(os.path.abspath(__file__))


def bits(array):
    return [struct.pack(">d", float(v)).hex() for v in array]


def object_bytes(file, path):
    chunk, cursor = file.key(path).get_uncompressed_chunk_cursor()
    return bytes(chunk.raw_data)


def streamer_info_bytes(file):
    """The uncompressed StreamerInfo record, found from the file header (fSeekInfo, fNbytesInfo)."""
    with open(file.file_path, "rb") as stream:
        data = stream.read()
    start, nbytes = file.file.fSeekInfo, file.file.fNbytesInfo
    objlen, keylen = struct.unpack(">i", data[start + 6:start + 10])[0], struct.unpack(">h", data[start + 14:start + 16])[0]
    payload = data[start + keylen:start + nbytes]
    if len(payload) == objlen:
        return payload
    out = b""
    while payload:
        assert payload[:2] == b"ZL", payload[:2]
        size = int.from_bytes(payload[3:6], "little")
        out += zlib.decompress(payload[9:9 + size])
        payload = payload[9 + size:]
    assert len(out) == objlen
    return out


def histogram_paths(file):
    return [k.split(";")[0] for k, c in file.classnames(recursive=True).items() if c == "TH1D"]


def check_values(path, expected):
    f = uproot.open(path)
    assert histogram_paths(f) == expected["paths"], (histogram_paths(f), expected["paths"])
    for name, e in expected["histograms"].items():
        h = f[name]
        assert h.classname == "TH1D", (name, h.classname)
        assert h.member("fTitle") == e["title"], name
        assert bits(h.axis().edges()) == e["edges"], name
        assert bits(h.values(flow=True)) == e["contents"], name
        if e["sumw2"]:
            assert bits(h.variances(flow=True)) == e["sumw2"], name
        else:
            assert len(h.member("fSumw2")) == 0, name
    return len(expected["histograms"])


def uproot_reference(file, paths, tmpdir):
    """Writes the same TH1D objects with uproot (uncompressed) and returns that file."""
    out = os.path.join(tmpdir, "uproot_same.root")
    with uproot.recreate(out, compression=None) as g:
        for path in paths:
            h = file[path]
            ax = h.member("fXaxis")
            xbins = ax.member("fXbins")
            axis = to_TAxis("xaxis", "", ax.member("fNbins"), ax.member("fXmin"), ax.member("fXmax"),
                            np.asarray(xbins) if len(xbins) else None)
            g[path] = to_TH1x(
                path.split("/")[-1], h.member("fTitle"), np.asarray(h.values(flow=True)),
                h.member("fEntries"), h.member("fTsumw"), h.member("fTsumw2"), h.member("fTsumwx"),
                h.member("fTsumwx2"), np.asarray(h.member("fSumw2")), axis)
    return uproot.open(out)


def check_bytes(path):
    f = uproot.open(path)
    paths = histogram_paths(f)
    with tempfile.TemporaryDirectory() as tmp:
        ref = uproot_reference(f, paths, tmp)
        ours_info = streamer_info_bytes(f)
        ref_info = streamer_info_bytes(ref)
        assert ours_info == ref_info, f"StreamerInfo differs ({len(ours_info)} vs {len(ref_info)} bytes)"
        for p in paths:
            a, b = object_bytes(f, p), object_bytes(ref, p)
            assert a == b, f"{p}: TH1D bytes differ ({len(a)} vs {len(b)}), first at {next(i for i in range(min(len(a), len(b))) if a[i] != b[i]) if a[:min(len(a), len(b))] != b[:min(len(a), len(b))] else min(len(a), len(b))}"
    return len(paths), len(ours_info)


def main(argv):
    if argv:
        files = argv
        expected = None
    else:
        with open(os.path.join(HERE, "writer_expected.json")) as stream:
            expected = json.load(stream)
        files = [os.path.join(HERE, name) for name in expected["files"]]
    for path in files:
        n = check_values(path, expected) if expected else None
        count, info = check_bytes(path)
        print(f"{os.path.basename(path)}: uproot {uproot.__version__} reads {count} TH1D"
              + (f", {n} bit-identical to writer_expected.json" if n is not None else "")
              + f"; StreamerInfo ({info} bytes) and every TH1D object byte-identical to uproot's")
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1:])
