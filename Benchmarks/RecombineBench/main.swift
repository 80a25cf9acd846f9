// Recombine benchmarks: `make bench` (release build).
//
// Each figure is the minimum wall time over repetitions, reported with a baseline measured in the
// same process (so machine load affects both): for parsing, the baseline is reading the same bytes
// and splitting them into lines and whitespace tokens; for ROOT files, reading the raw file bytes.

import Datacard
import Foundation
import ROOTIO

func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Minimum wall time of `body` over `reps` runs (seconds).
func timeMin(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
  var best = Double.infinity
  for _ in 0..<reps {
    let t0 = now()
    try body()
    best = min(best, now() - t0)
  }
  return best
}

func fmt(_ s: Double) -> String { s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : String(format: "%.2f ms", s * 1e3) }

let shared = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../shared"
let corpus = shared + "/reference/corpus"
let fm = FileManager.default

// 1. Largest corpus card: parse, and parse + validate (parse-only: its inputs are workspaces).
let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: corpus + "/manifest.json"))) as! [[String: Any]]
let largest = manifest.max { ($0["bytes"] as! Int) < ($1["bytes"] as! Int) }!
let largestPath = corpus + "/" + (largest["path"] as! String)
let bytes = largest["bytes"] as! Int
var sink = 0
let baseline = try timeMin(5) {
  let text = try readTextFile(largestPath)
  for line in text.split(separator: "\n") { sink &+= line.split(whereSeparator: { $0 == " " || $0 == "\t" }).count }
}
let parse = try timeMin(5) { sink &+= try Datacard.parse(contentsOf: largestPath).columns.count }
var vopts = ValidationOptions()
vopts.parseOnly = true
let validate = try timeMin(5) {
  let card = try Datacard.parse(contentsOf: largestPath)
  sink &+= Validator.validate(card, options: vopts).warnings.count
}
print("Largest corpus card: \(largest["path"]!) (\(bytes) bytes)")
print("  read + split into tokens (baseline): \(fmt(baseline))")
print("  parse:             \(fmt(parse))   (\(String(format: "%.1f", parse / baseline))× baseline, \(String(format: "%.1f", Double(bytes) / parse / 1e6)) MB/s)")
print("  parse + validate:  \(fmt(validate))   (\(String(format: "%.1f", validate / baseline))× baseline)")

// 2. Every reference ROOT file: open and read every histogram.
var rootFiles: [String] = []
if let e = fm.enumerator(atPath: shared + "/reference") {
  for case let p as String in e where p.hasSuffix(".root") { rootFiles.append(shared + "/reference/" + p) }
}
rootFiles.sort()
var totalBytes = 0
for f in rootFiles { totalBytes += (try? fm.attributesOfItem(atPath: f)[.size] as? Int) ?? 0 }
var nHist = 0
let rawRead = try timeMin(5) { for f in rootFiles { sink &+= try Data(contentsOf: URL(fileURLWithPath: f)).count } }
let readAll = try timeMin(5) {
  nHist = 0
  for f in rootFiles {
    let file = try ROOTFile(path: f)
    for p in try file.allHistogramPaths() {
      sink &+= try file.histogram(p).values.count
      nHist += 1
    }
  }
}
print("Reference ROOT files: \(rootFiles.count) files, \(totalBytes) bytes, \(nHist) histograms")
print("  raw file read (baseline): \(fmt(rawRead))")
print("  open + decompress + read every histogram: \(fmt(readAll))   (\(String(format: "%.1f", readAll / rawRead))× baseline, \(String(format: "%.1f", readAll / Double(max(nHist, 1)) * 1e6)) µs per histogram)")
if sink == 42 { print("") }
