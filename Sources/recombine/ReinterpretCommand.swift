//===--- ReinterpretCommand.swift -----------------------------------------===//
// `recombine reinterpret`: fits of a Gaussian-measurement channel (published cross sections with
// their correlations and a SMEFT parametrisation), one Wilson coefficient at a time.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Fit
import Foundation
import Inference
import Likelihood

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
      guard points >= 3 else { throw LikelihoodError("--scan must be ≥ 3") }
      let channel = try GaussianMeasurementChannel.load(contentsOf: file)
      let nll = GaussianMeasurementNLL(channel: channel)
      let names = parameters.isEmpty ? channel.parameterNames : parameters
      var fixedRange: (Double, Double)? = nil
      if let range {
        let parts = range.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], b > a else {
          throw LikelihoodError("--range must be 'a,b' with a < b")
        }
        fixedRange = (a, b)
      }
      let specs = channel.parameterNames.map { ParameterSpec(name: $0, value: 0, step: 0.1) }
      let minimizer = Minimizer()
      print("\(channel.name): \(channel.count) measurements, parameters \(channel.parameterNames.joined(separator: ", "))")
      print("others \(profile ? "profiled" : "fixed at 0"); χ² at the SM (all 0): "
        + String(format: "%.4f", nll.chiSquared([Double](repeating: 0, count: specs.count))))
      var rows: [String] = []
      for name in names {
        guard let k = channel.parameterIndex(name) else {
          throw LikelihoodError("unknown parameter '\(name)' (have: \(channel.parameterNames.joined(separator: ", ")))")
        }
        // 1D best fit (others fixed or profiled) for the default range's centre and scale.
        var s = specs
        if !profile { for j in s.indices where j != k { s[j].fixed = true } }
        let fit = minimizer.minimize(nll, parameters: s)
        let sigma = fit.error(k) ?? 1
        let r = fixedRange ?? IntervalScan.automaticRange(
          nll, parameters: s, index: k, center: fit.x[k], scale: max(sigma, 1e-6), level: 3.84, profile: profile,
          minimizer: minimizer)
        let scan = IntervalScan.run(nll, parameters: s, index: k, range: r, points: points, profile: profile,
                                    minimizer: minimizer)
        let p68 = scan.pieces(level: 1)
        let p95 = scan.pieces(level: 3.841458820694124)
        func fmt(_ p: [IntervalPiece]) -> String { p.isEmpty ? "∅" : p.map { $0.description }.joined(separator: " ∪ ") }
        print(String(format: "%@: best %.6g (χ²_min %.3f); range [%.6g, %.6g]", name, scan.best, 2 * scan.minimum, r.0, r.1))
        if scan.localMinima.count > 1 {
          print("  local minima at " + scan.localMinima.map { String(format: "%.6g", $0) }.joined(separator: ", "))
        }
        print("  68% CL: " + fmt(p68))
        print("  95% CL: " + fmt(p95))
        for (t, q) in zip(scan.grid, scan.twoDeltaNLL) {
          rows.append("\(name),\(String(format: "%.9g", t)),\(String(format: "%.9g", q / 2))")
        }
      }
      if let csv {
        let text = "parameter,value,deltaNLL\n" + rows.joined(separator: "\n") + "\n"
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        printError("reinterpret: \(rows.count) points written to \(csv)")
      }
    }
  }
}
