import Datacard
import Fit
import Foundation
import Inference
import Likelihood
import ROOTIO
import Testing

/// Pre-/post-fit yields and their uncertainties (FitDiagnostics) against closed forms.
@Suite struct YieldsTests {
  static func nll(_ text: String, path: String = "<text>") throws -> NLL {
    let card = try Datacard.parse(text: text, path: path)
    return try NLL(model: try CompiledModel.compile(card, physics: DefaultPhysicsModel(), mass: 120))
  }

  /// The s+b fit of `nll` with its HESSE covariance, as `fit-diagnostics` does.
  static func fit(_ nll: NLL, rRange: (Double, Double) = (-10, 10)) -> (x: [Double], cov: [Double], floating: [Int]) {
    let m = nll.model
    var specs = m.parameters.map { ParameterSpec(name: $0.name, value: $0.initial, lower: $0.lower, upper: $0.upper, step: $0.step) }
    if let r = m.pois.first {
      specs[r].lower = rRange.0
      specs[r].upper = rRange.1
    }
    let best = Minimizer().minimize(nll, parameters: specs)
    #expect(best.status.isConverged)
    let cov = Minimizer().hesse(nll, at: best.x, parameters: specs).covariance
    return (best.x, cov, specs.indices.filter { !specs[$0].fixed })
  }

  /// One bin, n = 400, s = 50, b = 300, with the given systematics lines.
  static func counting(_ systematics: [String]) -> String {
    """
    imax 1
    jmax 1
    kmax \(systematics.count)
    bin ch
    observation 400
    bin ch ch
    process sig bkg
    process 0 1
    rate 50 300

    """ + systematics.joined(separator: "\n")
  }
  static let counting = counting(["s_unc lnN 1.1 -", "b_unc1 lnN - 1.2", "b_unc2 lnN - 0.9/1.15"])

  /// Pre-fit, linear: σ_b² = b² Σ (∂ ln ν/∂θ_k)² = b²(ln²1.2 + ((ln 1.15 − ln 0.9)/2)²) (the
  /// asymmetric interpolation's slope at 0 is the mean of the two logs); signal s·ln 1.1; the total
  /// adds them in quadrature (independent nuisances).
  @Test func prefitLinearMatchesClosedForm() throws {
    let n = try Self.nll(Self.counting)
    let t = try yieldTable(nll: n, at: n.model.initialValues, distribution: .prefit(fixed: []), method: .linear)
    let ch = try #require(t.first)
    #expect(ch.processes == ["sig", "bkg"] && ch.signal == [true, false])
    let sb = 300 * (log(1.2) * log(1.2) + pow((log(1.15) - log(0.9)) / 2, 2)).squareRoot()
    let ss = 50 * log(1.1)
    #expect(abs(ch.process[1].total - 300) < 1e-9 && abs(ch.process[0].total - 50) < 1e-9)
    #expect(abs(ch.process[1].totalError - sb) < 1e-6 * sb, "\(ch.process[1].totalError) vs \(sb)")
    #expect(abs(ch.process[0].totalError - ss) < 1e-6 * ss)
    #expect(abs(ch.total.totalError - (sb * sb + ss * ss).squareRoot()) < 1e-6 * sb)
    #expect(ch.data == [400])
  }

  /// Pre-fit, sampling: for y = s·e^{θ ln κ}, θ ~ N(0, 1), the root mean square deviation from s is
  /// s·√(e^{2σ²} − 2e^{σ²/2} + 1), σ = ln κ (log-normal moments). 40000 toys: ≈0.5% statistical.
  @Test func prefitSamplingMatchesLogNormalMoments() throws {
    let n = try Self.nll(Self.counting)
    let t = try yieldTable(nll: n, at: n.model.initialValues, distribution: .prefit(fixed: []),
                           method: .sampling(toys: 40000, seed: 7))
    let s = log(1.1)
    let expected = 50 * (exp(2 * s * s) - 2 * exp(s * s / 2) + 1).squareRoot()
    #expect(abs(t[0].process[0].totalError - expected) < 0.02 * expected, "\(t[0].process[0].totalError) vs \(expected)")
    // Fixed parameters are not varied.
    let fixed = Set(n.model.parameters.indices.filter { n.model.parameters[$0].name == "s_unc" })
    let u = try yieldTable(nll: n, at: n.model.initialValues, distribution: .prefit(fixed: fixed), method: .sampling(toys: 100, seed: 7))
    #expect(u[0].process[0].totalError == 0)
  }

  /// gmN: θ starts at N + 1 (the flat-prior posterior mean) and is sampled from Gamma(N + 1, 1):
  /// y = α θ has mean α(N + 1) and variance α²(N + 1), both by propagation and by sampling.
  @Test func gmNPrefit() throws {
    let n = try Self.nll("""
      imax 1
      jmax 1
      kmax 1
      bin ch
      observation 20
      bin ch ch
      process sig bkg
      process 0 1
      rate 5 8
      cr gmN 4 - 2
      """)
    let lin = try yieldTable(nll: n, at: n.model.initialValues, distribution: .prefit(fixed: []), method: .linear)
    #expect(abs(lin[0].process[1].total - 10) < 1e-9)
    #expect(abs(lin[0].process[1].totalError - 2 * 5.0.squareRoot()) < 1e-6)
    let smp = try yieldTable(nll: n, at: n.model.initialValues, distribution: .prefit(fixed: []),
                             method: .sampling(toys: 40000, seed: 3))
    #expect(abs(smp[0].process[1].totalError - 2 * 5.0.squareRoot()) < 0.02 * 2 * 5.0.squareRoot())
  }

  /// Post-fit with r free: the likelihood depends on (ν, θ) only through ν = r s + b(θ) and the
  /// constraints, so ν̂ = n, θ̂ = 0 and, in the Gaussian approximation, ν ~ N(n, n) independent of
  /// θ ~ N(0, 1): σ_total = √n, σ_bkg = √((b ln 1.2)² + (b (ln 1.15 − ln 0.9)/2)²),
  /// σ_sig² = n + σ_bkg² (the signal is the total minus the background).
  @Test func postfitCountingClosedForm() throws {
    let n = try Self.nll(Self.counting(["b_unc1 lnN - 1.2", "b_unc2 lnN - 0.9/1.15"]))
    let (x, cov, floating) = Self.fit(n)
    let t = try yieldTable(nll: n, at: x, distribution: .postfit(covariance: cov, floating: floating), method: .linear)
    let ch = t[0]
    let sb = 300 * (log(1.2) * log(1.2) + pow((log(1.15) - log(0.9)) / 2, 2)).squareRoot()
    #expect(abs(ch.total.total - 400) < 1e-4)
    #expect(abs(ch.total.totalError - 20) < 2e-3 * 20, "\(ch.total.totalError)")
    #expect(abs(ch.totalBackground.totalError - sb) < 2e-3 * sb, "\(ch.totalBackground.totalError) vs \(sb)")
    let ss = (400 + sb * sb).squareRoot()
    #expect(abs(ch.totalSignal.totalError - ss) < 2e-3 * ss, "\(ch.totalSignal.totalError) vs \(ss)")
    // Sampling draws (r, θ) from the same Gaussian, but the background is log-normal in θ (and the
    // 0.9/1.15 interpolation is curved), so its sampled RMS exceeds the linear one; with r alone
    // floating every yield is linear in it and the sampled RMS is √n (40000 toys: ≈0.4%).
    let linear = try Self.nll(Self.counting([]))
    let f = Self.fit(linear)
    let smp = try yieldTable(nll: linear, at: f.x, distribution: .postfit(covariance: f.cov, floating: f.floating),
                             method: .sampling(toys: 40000, seed: 11))
    #expect(abs(smp[0].total.totalError - 20) < 0.02 * 20, "\(smp[0].total.totalError)")
    #expect(abs(smp[0].totalSignal.totalError - 20) < 0.02 * 20)
    #expect(smp[0].totalBackground.totalError == 0)
  }

  /// Barlow–Beeston-lite in one bin, one process, nothing else floating: ν = v + e x with x profiled,
  /// so the post-fit total is the conditional minimum and its variance e²/(1 + n e²/ν̂²); pre-fit
  /// it is e² (x ~ N(0, 1)). The process itself carries no BB term (it belongs to the bin's total).
  @Test func barlowBeestonLiteOneBin() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-yields-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func th1(_ name: String, _ v: Double, _ w2: Double) -> Histogram {
      Histogram(name: name, title: name, className: "TH1D", dimension: 1, nbinsX: 1, nbinsY: 0,
                xEdges: [0, 1], yEdges: [], contents: [0, v, 0], sumw2: [0, w2, 0])
    }
    let v = 100.0, e = 15.0, nObs = 130.0
    try writeROOTFile(path: dir.appendingPathComponent("s.root").path,
                      histograms: [("bkg", th1("bkg", v, e * e)), ("sig", th1("sig", 1e-3, 1e-8)), ("data_obs", th1("data_obs", nObs, nObs))])
    let cardPath = dir.appendingPathComponent("card.txt").path
    try """
      imax 1
      jmax 1
      kmax 0
      shapes * * s.root $PROCESS
      bin ch
      observation \(nObs)
      bin ch ch
      process sig bkg
      process 0 1
      rate -1 -1
      * autoMCStats 0
      """.write(toFile: cardPath, atomically: true, encoding: .utf8)
    let n = try NLL(model: try CompiledModel.compile(try Datacard.parse(contentsOf: cardPath), physics: DefaultPhysicsModel(), mass: 120))
    // r is held at 0: only the BB-lite parameter moves.
    let r = n.model.pois[0]
    var x = n.model.initialValues
    x[r] = 0
    let pre = try yieldTable(nll: n, at: x, distribution: .prefit(fixed: [r]), method: .linear)
    #expect(abs(pre[0].total.values[0] - v) < 1e-9 && abs(pre[0].total.errors[0] - e) < 1e-9)
    let nuHat = n.expectedYields(at: x)[0]
    // ν̂ solves ν − n ln ν + ½((ν − v)/e)² minimal: (ν − v)/e² = n/ν − 1.
    #expect(abs((nuHat - v) / (e * e) - (nObs / nuHat - 1)) < 1e-9)
    let post = try yieldTable(nll: n, at: x, distribution: .postfit(covariance: [Double](repeating: 0, count: x.count * x.count), floating: []),
                              method: .linear)
    let expected = e / (1 + nObs * e * e / (nuHat * nuHat)).squareRoot()
    #expect(abs(post[0].total.values[0] - nuHat) < 1e-9)
    #expect(abs(post[0].total.errors[0] - expected) < 1e-9, "\(post[0].total.errors[0]) vs \(expected)")
    #expect(abs(post[0].process[1].values[0] - v) < 1e-9 && post[0].process[1].errors[0] == 0)
    // Sampling draws the BB-lite fluctuation with the same widths (40000 toys: ≈ 0.4%).
    let preS = try yieldTable(nll: n, at: x, distribution: .prefit(fixed: [r]), method: .sampling(toys: 40000, seed: 4))
    #expect(abs(preS[0].total.errors[0] / e - 1) < 0.02)
    let postS = try yieldTable(nll: n, at: x, distribution: .postfit(covariance: [Double](repeating: 0, count: x.count * x.count), floating: []),
                               method: .sampling(toys: 40000, seed: 4))
    #expect(abs(postS[0].total.errors[0] / expected - 1) < 0.02)
  }

  /// Resampling clipped into the parameter ranges (Combine's RooRealVar::setVal): r alone floats,
  /// y = r s + b, post-fit r ~ N(r̂, σ²) with r̂ = 0 on its lower bound 0; clipped, y − ŷ = s·max(r, 0),
  /// whose mean square is s²σ²/2; unclipped it is s²σ² (40000 toys: ≈0.4%).
  @Test func samplingClipsToRanges() throws {
    let n = try Self.nll(Self.counting([]))
    let r = n.model.pois[0]
    var x = n.model.initialValues
    x[r] = 0
    let sigma = 0.3, m = x.count
    var cov = [Double](repeating: 0, count: m * m)
    cov[r * m + r] = sigma * sigma
    var ranges = [ClosedRange<Double>](repeating: -10...10, count: m)
    ranges[r] = 0...10
    let sig = 50.0  // the card's signal rate at r = 1
    let clipped = try yieldTable(nll: n, at: x, distribution: .postfit(covariance: cov, floating: [r]),
                                 method: .sampling(toys: 40000, seed: 5, ranges: ranges))
    let free = try yieldTable(nll: n, at: x, distribution: .postfit(covariance: cov, floating: [r]),
                              method: .sampling(toys: 40000, seed: 5))
    let e = sig * sigma
    #expect(abs(clipped[0].total.totalError / (e / 2.0.squareRoot()) - 1) < 0.02, "\(clipped[0].total.totalError)")
    #expect(abs(free[0].total.totalError / e - 1) < 0.02, "\(free[0].total.totalError)")
  }
}
