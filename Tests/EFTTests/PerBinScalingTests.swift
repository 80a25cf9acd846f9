import Datacard
import Foundation
import ROOTIO
import Testing
import TestSupport

@testable import EFT
@testable import Likelihood

/// Per-bin EFT scalings (Combine's `scaling.json`) on templates with shape systematics: Combine's
/// CMSHistSum scales the nominal and adds the shifts unscaled (the default, `.nominal`); `.template`
/// scales the whole morphed template. Both are checked against yields computed by hand, and their
/// gradients against finite differences.
@Suite struct PerBinScalingTests {
  static let bins = 8
  /// Two channels × 8 bins; the signal (scaled per bin by 3 coefficients) and a background, each
  /// with a shape systematic; autoMCStats hist-mode 2 (variations as given: Δ = θ·(Up − nominal)
  /// for |θ| ≥ 1, no normalisation term).
  static func makeCard(in dir: URL) throws -> String {
    func h(_ v: [Double]) -> Histogram {
      Histogram(name: "h", title: "", className: "TH1D", dimension: 1, nbinsX: v.count, nbinsY: 1,
                xEdges: (0...v.count).map(Double.init), yEdges: [], contents: [0] + v + [0], sumw2: [0] + v.map { 0.01 * $0 } + [0])
    }
    var hs: [(path: String, histogram: Histogram)] = []
    for (c, ch) in ["ch1", "ch2"].enumerated() {
      let sig = (0..<bins).map { 5.0 + Double($0) + 3 * Double(c) }
      let bkg = (0..<bins).map { 40.0 - 2 * Double($0) + Double(c) }
      hs += [("\(ch)/sig", h(sig)), ("\(ch)/sig_jesUp", h(sig.enumerated().map { $1 * (1 + 0.02 * Double($0 + 1)) })),
             ("\(ch)/sig_jesDown", h(sig.enumerated().map { $1 * (1 - 0.01 * Double($0 + 1)) })),
             ("\(ch)/bkg", h(bkg)), ("\(ch)/bkg_resUp", h(bkg.map { $0 * 1.05 })), ("\(ch)/bkg_resDown", h(bkg.map { $0 * 0.97 })),
             ("\(ch)/data_obs", h(zip(sig, bkg).map { ($0 + $1).rounded() }))]
    }
    try writeROOTFile(path: dir.appendingPathComponent("shapes.root").path, histograms: hs)
    let card = """
      imax 2 jmax 1 kmax 2
      shapes * * shapes.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC
      bin ch1 ch2
      observation -1 -1
      bin ch1 ch1 ch2 ch2
      process sig bkg sig bkg
      process 0 1 0 1
      rate -1 -1 -1 -1
      jes shape 1 - 1 -
      res shape - 1 - 1
      * autoMCStats 0 0 2
      """
    let path = dir.appendingPathComponent("card.txt").path
    try card.write(toFile: path, atomically: true, encoding: .utf8)
    // μ_i = pᵀ M_i p, p = (1, a, b, c): the lower triangle of M_i row by row.
    var entries: [String] = []
    for ch in ["ch1", "ch2"] {
      let rows = (0..<bins).map { i -> String in
        let m = [1, 0.1 + 0.01 * Double(i), 0.3, -0.05, 0.02, 0.2, 0.04 * Double(i), 0.01, -0.03, 0.15]
        return "[" + m.map { String($0) }.joined(separator: ",") + "]"
      }
      entries.append(#"{"channel":"\#(ch)","process":"sig","parameters":["cSM[1]","a[0,-5,5]","b[0,-5,5]","c[0,-5,5]"],"scaling":[\#(rows.joined(separator: ","))]}"#)
    }
    try ("[" + entries.joined(separator: ",") + "]").write(toFile: dir.appendingPathComponent("scaling.json").path, atomically: true, encoding: .utf8)
    return path
  }

  static func handMu(_ i: Int, _ p: [Double]) -> Double {
    let m = [1, 0.1 + 0.01 * Double(i), 0.3, -0.05, 0.02, 0.2, 0.04 * Double(i), 0.01, -0.03, 0.15]
    var full = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
    var k = 0
    for r in 0..<4 { for c in 0...r { full[r][c] = m[k]; full[c][r] = m[k]; k += 1 } }
    var mu = 0.0
    for r in 0..<4 { for c in 0..<4 { mu += p[r] * full[r][c] * p[c] } }
    return mu
  }

  func model(_ form: PerBinScaling, dir: URL) throws -> CompiledModel {
    let path = try Self.makeCard(in: dir)
    let card = try Datacard.parse(contentsOf: path)
    let eft = try EFTParametrisation.read(path: dir.appendingPathComponent("scaling.json").path)
    var m = try CompiledModel.compile(card, physics: EFTPhysicsModel(model: try eft.compile()))
    m.perBinScaling = form
    return m
  }

  @Test(arguments: PerBinScaling.allCases)
  func yieldsEqualHandComputation(_ form: PerBinScaling) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-perbin-\(getpid())-\(form)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let m = try model(form, dir: dir)
    let nll = try NLL(model: m)
    var x = m.initialValues
    let theta = ["a": 0.7, "b": -1.2, "c": 0.4]
    for (n, v) in theta { x[try #require(m.index(of: n))] = v }
    let ts = 1.5, tb = -1.25  // |θ| ≥ 1: the smooth step is ±1, Δ = θ·d^± (d⁺ for θ > 0, d⁻ for θ < 0)
    x[try #require(m.index(of: "jes"))] = ts
    x[try #require(m.index(of: "res"))] = tb
    let nu = nll.expectedYields(at: x, barlowBeeston: false)
    let p = [1, theta["a"]!, theta["b"]!, theta["c"]!]
    var worst = 0.0
    for c in 0..<2 {
      for i in 0..<Self.bins {
        let sig = 5.0 + Double(i) + 3 * Double(c), bkg = 40.0 - 2 * Double(i) + Double(c)
        let sigUp = sig * (1 + 0.02 * Double(i + 1)), bkgDown = bkg * 0.97
        // float32 templates, as Combine's TH1F copies.
        func f(_ v: Double) -> Double { Double(Float(v)) }
        let t0 = f(sig), dSig = ts * (f(sigUp) - t0)
        let mu = Self.handMu(i, p)
        let s = form == .nominal ? max(mu * t0 + dSig, 1e-9) : mu * max(t0 + dSig, 1e-9)
        let b = max(f(bkg) + (-tb) * (f(bkgDown) - f(bkg)), 1e-9)  // Δ = −θ·d⁻ for θ ≤ −1
        let hand = s + b
        worst = max(worst, abs(nu[c * Self.bins + i] - hand) / hand)
      }
    }
    #expect(worst < 1e-12, "\(form): max relative deviation \(worst)")
  }

  @Test(arguments: PerBinScaling.allCases)
  func gradientMatchesFiniteDifferences(_ form: PerBinScaling) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-perbin-g-\(getpid())-\(form)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let m = try model(form, dir: dir)
    let nll = try NLL(model: m)
    var x = m.initialValues
    var rng = SplitMix64(seed: 11)
    for i in x.indices { x[i] += 0.6 * (rng.uniform() - 0.5) }
    var g = [Double](repeating: 0, count: x.count)
    _ = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { nll.valueAndGradient(xb, $0) } }
    let fd = finiteDifferenceGradient({ v in v.withUnsafeBufferPointer { nll.value($0) } }, at: x)
    for i in x.indices {
      #expect(abs(g[i] - fd[i]) < 1e-5 * max(1, abs(fd[i])), "\(form) \(m.parameters[i].name): \(g[i]) vs \(fd[i])")
    }
  }

  /// The two forms differ exactly by (μ_i − 1)·Σ_s Δ_si (here with θ_s = 1.5, θ_b = 0): a check that
  /// the option changes what it says and nothing else.
  @Test func formsDifferByTheScaledShift() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-perbin-d-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try model(.nominal, dir: dir), b = try model(.template, dir: dir)
    var x = a.initialValues
    x[try #require(a.index(of: "a"))] = 1.1
    x[try #require(a.index(of: "jes"))] = 1.5
    let na = try NLL(model: a).expectedYields(at: x, barlowBeeston: false)
    let nb = try NLL(model: b).expectedYields(at: x, barlowBeeston: false)
    let p = [1, 1.1, 0, 0]
    for c in 0..<2 {
      for i in 0..<Self.bins {
        let sig = 5.0 + Double(i) + 3 * Double(c)
        let d = 1.5 * (Double(Float(sig * (1 + 0.02 * Double(i + 1)))) - Double(Float(sig)))
        let expected = (Self.handMu(i, p) - 1) * d
        #expect(abs((nb[c * Self.bins + i] - na[c * Self.bins + i]) - expected) < 1e-10)
      }
    }
  }
}
