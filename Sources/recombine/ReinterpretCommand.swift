//===--- ReinterpretCommand.swift -----------------------------------------===//
// `recombine reinterpret`: fits of a Gaussian-measurement channel (published cross sections with
// their correlations and a SMEFT parametrisation), one Wilson coefficient at a time.
//===----------------------------------------------------------------------===//

import Maths
import ArgumentParser
import Foundation
import Inference
import Likelihood
import Support

struct ReinterpretCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reinterpret",
    abstract: "1D fits of a Gaussian-measurement channel (format: Datacards/atlas-h4l-smeft/README.md).",
    discussion: """
      For each parameter (-P, default: all), the others are held at 0 (as ATLAS's 1D scans; \
      --profile minimises them instead), the curve 2ΔNLL is computed on a grid of --scan points \
      over --range (default: grown from the minimum until 2ΔNLL > 4.84 on both sides), and the 68% \
      and 95% sets {2ΔNLL < 1}, {2ΔNLL < 3.84} are printed as unions of pieces: every crossing \
      along the grid is refined by root finding, so a curve with two minima gives two pieces.
      """)

  @Argument(help: "The channel file (JSON, recombine-gaussian-measurements/1).")
  var file: String

  @Option(name: .customShort("P"), help: "A parameter to scan (repeatable; default: every parameter).")
  var parameters: [String] = []

  @Option(name: .customLong("scan"), help: "Grid points per parameter.")
  var points: Int = 2001

  @Option(name: .customLong("range"), parsing: .unconditional, help: "Scan range 'a,b' (applies to every -P).")
  var range: String?

  @Flag(name: .customLong("profile"), help: "Profile the other parameters instead of fixing them at 0.")
  var profile = false

  @Option(name: .customLong("csv"), help: "Write the curves here: parameter,value,deltaNLL (deltaNLL = ΔNLL, Combine's column).")
  var csv: String?

  func run() throws {
    try runReportingErrors {
      guard points >= 3 else { throw UsageError("--scan must be ≥ 3") }
      let channel = try GaussianMeasurementChannel.load(contentsOf: file)
      var fixedRange: (Double, Double)? = nil
      if let range {
        let parts = range.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], b > a else {
          throw UsageError("--range must be 'a,b' with a < b")
        }
        fixedRange = (a, b)
      }
      print("\(channel.name): \(channel.count) measurements, parameters \(channel.parameterNames.joined(separator: ", "))")
      print("others \(profile ? "profiled" : "fixed at 0"); χ² at the SM (all 0): "
        + String(format: "%.4f", Reinterpretation.chiSquaredAtSM(channel)))
      let curves = try Reinterpretation.scan(channel, parameters: parameters, range: fixedRange, points: points, profile: profile)
      var rows: [String] = []
      for c in curves {
        func fmt(_ p: [IntervalPiece]) -> String { p.isEmpty ? "∅" : p.map { $0.description }.joined(separator: " ∪ ") }
        print(String(format: "%@: best %.6g (χ²_min %.3f); range [%.6g, %.6g]", c.parameter, c.scan.best, 2 * c.scan.minimum, c.range.0, c.range.1))
        if c.scan.localMinima.count > 1 {
          print("  local minima at " + c.scan.localMinima.map { String(format: "%.6g", $0) }.joined(separator: ", "))
        }
        print("  68% CL: " + fmt(c.cl68))
        print("  95% CL: " + fmt(c.cl95))
        for (t, q) in zip(c.scan.grid, c.scan.twoDeltaNLL) {
          rows.append("\(c.parameter),\(String(format: "%.9g", t)),\(String(format: "%.9g", q / 2))")
        }
      }
      if let csv {
        let text = "parameter,value,deltaNLL\n" + rows.joined(separator: "\n") + "\n"
        try writeFileAtomically(text, to: csv)
        printError("reinterpret: \(rows.count) points written to \(csv)")
      }
    }
  }
}
