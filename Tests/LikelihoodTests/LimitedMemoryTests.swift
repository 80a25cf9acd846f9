import Foundation
import Testing
import TestSupport

@testable import Datacard
@testable import Fit
@testable import Likelihood

/// The limited-memory minimiser (large models) against the variable-metric one on the same
/// problem: 200 channels, each with its own lnN nuisance and a shared r, pseudo-data; and on the
/// Asimov version the closed form (r̂ = 1, every θ̂ = 0, NLL 0).
@Suite struct LimitedMemoryTests {
  static func card(channels n: Int, asimov: Bool) -> String {
    var rng = SplitMix64(state: 3)
    var t = "imax \(n) jmax 1 kmax *\n"
    t += "bin " + (0..<n).map { "c\($0)" }.joined(separator: " ") + "\n"
    t += "observation " + (0..<n).map { i in
      let nu = Double(2 + i % 3 + 10 + i % 7)
      return asimov ? String(format: "%g", nu) : String(Int(max(0, nu + Double(Int(rng.next() % 9)) - 4)))
    }.joined(separator: " ") + "\n"
    t += "bin " + (0..<n).map { "c\($0) c\($0)" }.joined(separator: " ") + "\n"
    t += "process " + (0..<n).map { _ in "sig bkg" }.joined(separator: " ") + "\n"
    t += "process " + (0..<n).map { _ in "0 1" }.joined(separator: " ") + "\n"
    t += "rate " + (0..<n).map { "\(2 + $0 % 3) \(10 + $0 % 7)" }.joined(separator: " ") + "\n"
    for i in 0..<n {
      var row = [String](repeating: "-", count: 2 * n)
      row[2 * i + 1] = "1.1"
      t += "u\(i) lnN " + row.joined(separator: " ") + "\n"
    }
    return t
  }

  static func specs(_ model: CompiledModel) -> [ParameterSpec] { FitSetup(model: model).parameterSpecs(model: model) }

  @Test func agreesWithTheVariableMetricMinimiser() throws {
    let model = try CompiledModel.compile(try Datacard.parse(text: Self.card(channels: 200, asimov: false)))
    let nll = try NLL(model: model)
    let dense = Minimizer().minimize(nll, parameters: Self.specs(model))
    var o = MinimizerOptions()
    o.denseLimit = 10
    let limited = Minimizer(options: o).minimize(nll, parameters: Self.specs(model))
    #expect(dense.status.isConverged && limited.status.isConverged, "\(dense.status) \(limited.status)")
    #expect(abs(limited.fval - dense.fval) < 1e-5, "\(limited.fval) vs \(dense.fval)")
    let r = model.index(of: "r")!
    #expect(abs(limited.x[r] - dense.x[r]) < 2e-3, "\(limited.x[r]) vs \(dense.x[r])")
    #expect(limited.inverseHessian == nil && dense.inverseHessian != nil)
  }

  @Test func asimovClosedForm() throws {
    let model = try CompiledModel.compile(try Datacard.parse(text: Self.card(channels: 400, asimov: true)))
    let nll = try NLL(model: model)
    var s = Self.specs(model)
    let r = model.index(of: "r")!
    s[r].value = 0.5  // start away from the answer
    var o = MinimizerOptions()
    o.denseLimit = 100  // 401 free parameters: the limited-memory path (as 10⁴ nuisances take it)
    let result = Minimizer(options: o).minimize(nll, parameters: s)
    #expect(result.status.isConverged, "\(result.status)")
    #expect(result.inverseHessian == nil)
    // EDM < 1e-6 puts the NLL within about that of its minimum, 0.
    #expect(abs(result.x[r] - 1) < 1e-3 && abs(result.fval) < 1e-5, "r \(result.x[r]), NLL \(result.fval)")
    #expect(result.x.indices.filter { $0 != r }.allSatisfy { abs(result.x[$0]) < 1e-2 })
  }
}
