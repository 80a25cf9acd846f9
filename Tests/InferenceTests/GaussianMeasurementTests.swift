import Maths
import Fit
import Foundation
import Inference
import Likelihood
import Testing
import TestSupport

/// The Gaussian-measurement (reinterpretation) channel: the likelihood against closed forms, its
/// gradient against finite differences, the multi-piece interval finder, and the ATLAS H→4ℓ
/// SMEFT intervals (HIGG-2018-28) against the published ones (eft.md §2.1).
@Suite struct GaussianMeasurementTests {
  typealias File = GaussianMeasurementFile

  static let atlasPath = TestPaths.packageRoot
    .appendingPathComponent("Datacards/atlas-h4l-smeft/atlas-h4l-smeft-cpeven.json").path

  static func channel(_ f: File) throws -> GaussianMeasurementNLL {
    GaussianMeasurementNLL(channel: try GaussianMeasurementChannel(f))
  }

  static func value(_ f: ObjectiveFunction, _ x: [Double]) -> Double {
    x.withUnsafeBufferPointer { f.value($0) }
  }

  static func gradient(_ f: ObjectiveFunction, _ x: [Double]) -> (Double, [Double]) {
    var g = [Double](repeating: 0, count: x.count)
    let v = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { f.valueAndGradient(xb, $0) } }
    return (v, g)
  }

  /// Two measurements, linear in two parameters: y = 1 + A c, C = D R D.
  /// The minimum is ĉ = (AᵀC⁻¹A)⁻¹ AᵀC⁻¹ (y − 1), the covariance (AᵀC⁻¹A)⁻¹, NLL(ĉ) = 0 (A square).
  @Test func linearModelHasTheClosedFormSolution() throws {
    let a = [[2.0, 0.5], [-1.0, 3.0]]
    let y = [1.3, 0.8], s = [0.2, 0.3], rho = 0.4
    let f = File(
      polynomials: [
        "p1": .init(terms: ["c1": a[0][0], "c2": a[0][1]]),
        "p2": .init(terms: ["c1": a[1][0], "c2": a[1][1]]),
      ],
      measurements: [
        .init(name: "m1", value: y[0], minus: s[0], plus: s[0], numerator: ["p1"]),
        .init(name: "m2", value: y[1], minus: s[1], plus: s[1], numerator: ["p2"]),
      ],
      correlation: [[1, rho], [rho, 1]])
    let nll = try Self.channel(f)
    #expect(nll.channel.parameterNames == ["c1", "c2"])

    // C⁻¹ of the 2×2 covariance, and the closed forms.
    let c11 = s[0] * s[0], c22 = s[1] * s[1], c12 = rho * s[0] * s[1]
    let det = c11 * c22 - c12 * c12
    let ci = [[c22 / det, -c12 / det], [-c12 / det, c11 / det]]
    // NLL at an arbitrary point, by hand.
    let x = [0.07, -0.03]
    let r = (0..<2).map { i in 1 + a[i][0] * x[0] + a[i][1] * x[1] - y[i] }
    var chi2 = 0.0
    for i in 0..<2 { for j in 0..<2 { chi2 += r[i] * ci[i][j] * r[j] } }
    #expect(abs(Self.value(nll, x) - chi2 / 2) < 1e-12)

    // F = AᵀC⁻¹A, ĉ = A⁻¹(y − 1) (A invertible), covariance F⁻¹.
    var fm = [[0.0, 0.0], [0.0, 0.0]]
    for p in 0..<2 { for q in 0..<2 { for i in 0..<2 { for j in 0..<2 { fm[p][q] += a[i][p] * ci[i][j] * a[j][q] } } } }
    let fdet = fm[0][0] * fm[1][1] - fm[0][1] * fm[1][0]
    let cov = [fm[1][1] / fdet, -fm[0][1] / fdet, -fm[1][0] / fdet, fm[0][0] / fdet]
    let adet = a[0][0] * a[1][1] - a[0][1] * a[1][0]
    let d = [y[0] - 1, y[1] - 1]
    let chat = [(a[1][1] * d[0] - a[0][1] * d[1]) / adet, (-a[1][0] * d[0] + a[0][0] * d[1]) / adet]

    let specs = [ParameterSpec(name: "c1", value: 0), ParameterSpec(name: "c2", value: 0)]
    let fit = Minimizer().minimize(nll, parameters: specs)
    #expect(fit.status.isConverged)
    #expect(abs(fit.x[0] - chat[0]) < 1e-8 && abs(fit.x[1] - chat[1]) < 1e-8)
    #expect(abs(fit.fval) < 1e-12)
    let v = try #require(fit.inverseHessian)
    for k in 0..<4 { #expect(abs(v[k] - cov[k]) < 1e-6 * abs(cov[0])) }
  }

  /// Variable Gaussian: one measurement y +σ+ −σ−; χ² = 1 exactly at y + σ+ and at y − σ−.
  @Test func variableGaussianWidths() throws {
    let f = File(polynomials: ["p": .init(terms: ["c": 1])],
                 measurements: [.init(name: "m", value: 1.5, minus: 0.3, plus: 0.7, numerator: ["p"])])
    let nll = try Self.channel(f)
    // μ = 1 + c: μ = 2.2 at c = 1.2, μ = 1.2 at c = 0.2.
    #expect(abs(nll.chiSquared([1.2]) - 1) < 1e-12)
    #expect(abs(nll.chiSquared([0.2]) - 1) < 1e-12)
    var sym = f
    sym.asymmetric = "symmetrised"
    #expect(abs(try Self.channel(sym).chiSquared([1.0]) - 1) < 1e-12)  // σ = 0.5
  }

  /// The analytic gradient against central differences: the ATLAS channel (variable Gaussian,
  /// theory covariance, ratios of polynomials with cubic terms) at random points, and a
  /// SumObjective of it with a second channel sharing one parameter.
  @Test func gradientMatchesFiniteDifferences() throws {
    let atlas = GaussianMeasurementNLL(channel: try .load(contentsOf: Self.atlasPath))
    let other = try Self.channel(File(
      polynomials: ["p": .init(terms: ["cHW": 0.8, "cHW^2": 0.3, "cX": -0.5, "cX*cHW": 0.2])],
      measurements: [.init(name: "m", value: 1.2, minus: 0.2, plus: 0.35, numerator: ["p"])]))
    let sum = try SumObjective(components: [(atlas, atlas.channel.parameterNames), (other, other.channel.parameterNames)])
    #expect(sum.names == ["cHB", "cHG", "cHW", "cHWB", "cuH", "cX"])
    var rng = SplitMix64(seed: 6)
    let scales = [0.5, 0.01, 2.0, 0.8, 15.0, 1.0]
    for _ in 0..<20 {
      let x = scales.map { $0 * (2 * rng.uniform() - 1) }
      for (f, xs) in [(atlas as ObjectiveFunction, Array(x[0..<5])), (sum, x)] {
        let (v, g) = Self.gradient(f, xs)
        #expect(abs(v - Self.value(f, xs)) < 1e-12 * max(1, abs(v)))
        let fd = finiteDifferenceGradient({ Self.value(f, $0) }, at: xs, step: 1e-6)
        for j in xs.indices {
          #expect(abs(g[j] - fd[j]) < 1e-6 * max(1, abs(fd[j])), "parameter \(j) at \(xs)")
        }
      }
      #expect(abs(Self.value(sum, x) - Self.value(atlas, Array(x[0..<5])) - Self.value(other, [x[2], x[5]])) < 1e-12)
    }
  }

  /// A curve with two minima gives a two-piece set, found exactly: μ(c) = 1 − 0.108c + 0.009c²
  /// (the ttH polynomial in c_uH) measured as 1.93 ± 1: {χ² < 1} = {0.93 < μ < 2.93}.
  @Test func twoMinimaGiveTwoPieces() throws {
    let f = File(polynomials: ["p": .init(terms: ["cuH": -0.108, "cuH^2": 0.009])],
                 measurements: [.init(name: "ttH", value: 1.93, minus: 1, plus: 1, numerator: ["p"])])
    let nll = try Self.channel(f)
    let scan = IntervalScan.run(nll, parameters: [ParameterSpec(name: "cuH", value: 0)], index: 0,
                                range: (-40, 50), points: 901, profile: false)
    func roots(_ m: Double) -> (Double, Double) {  // 0.009c² − 0.108c + 1 − m = 0
      let disc = (0.108 * 0.108 - 4 * 0.009 * (1 - m)).squareRoot()
      return ((0.108 - disc) / 0.018, (0.108 + disc) / 0.018)
    }
    let inner = roots(0.93), outer = roots(2.93)
    let p = scan.pieces(level: 1)
    try #require(p.count == 2)
    #expect(abs(p[0].lower - outer.0) < 1e-6 && abs(p[0].upper - inner.0) < 1e-6)
    #expect(abs(p[1].lower - inner.1) < 1e-6 && abs(p[1].upper - outer.1) < 1e-6)
    #expect(scan.localMinima.count == 2 && abs(scan.minimum) < 1e-12)
    // Open ends are flagged: a range that cuts the outer piece.
    let cut = IntervalScan.run(nll, parameters: [ParameterSpec(name: "cuH", value: 0)], index: 0,
                               range: (-5, 15), points: 201, profile: false).pieces(level: 1)
    #expect(cut.count == 2 && cut[0].lowerOpen && !cut[0].upperOpen && cut[1].upperOpen && cut[1].upper == 15)
  }

  @Test func formatErrors() throws {
    #expect(try SparsePolynomial.parseMonomial("cHW^2*cHB") == ["cHW", "cHW", "cHB"])
    #expect(throws: LikelihoodError.self) { try SparsePolynomial.parseMonomial("cHW^0") }
    #expect(throws: LikelihoodError.self) { try SparsePolynomial.parseMonomial("cHW**2") }
    let bad = File(polynomials: ["p": .init(terms: ["c": 1])],
                   measurements: [.init(name: "m", value: 1, minus: 0.1, plus: 0.1, numerator: ["q"])])
    #expect(throws: LikelihoodError.self) { try GaussianMeasurementChannel(bad) }
    var abs_ = File(polynomials: ["p": .init(terms: ["c": 1])],
                    measurements: [.init(name: "m", value: 1, minus: 0.1, plus: 0.1, numerator: ["p"])])
    abs_.observable = "absolute"  // needs "sm"
    #expect(throws: LikelihoodError.self) { try GaussianMeasurementChannel(abs_) }
    // A symmetric matrix with unit diagonal and entries in [−1, 1] that is not a correlation
    // matrix (eigenvalue 1 − 0.9 − 0.9 − 0.9 < 0 for ρ12 = ρ13 = 0.9, ρ23 = −0.9) is refused.
    var three = File(polynomials: ["p": .init(terms: ["c": 1])],
                     measurements: ["a", "b", "c"].map { .init(name: $0, value: 1, minus: 0.1, plus: 0.1, numerator: ["p"]) })
    three.correlation = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
    let e = #expect(throws: LikelihoodError.self) { try GaussianMeasurementChannel(three) }
    #expect(e?.message.contains("not positive definite") == true)
    three.correlation = [[1, 0.5, 0.2], [0.5, 1, 0.1], [0.2, 0.1, 1]]
    _ = try GaussianMeasurementChannel(three)
  }

  // MARK: ATLAS HIGG-2018-28 (eft.md §2.1)

  /// The 1D scan of one Wilson coefficient, the others at 0 (as ATLAS's aux. Figs. 12).
  static func atlasScan(_ name: String, _ range: (Double, Double)) throws -> IntervalScanResult {
    let nll = GaussianMeasurementNLL(channel: try .load(contentsOf: atlasPath))
    let specs = nll.channel.parameterNames.map { ParameterSpec(name: $0, value: 0, fixed: true) }
    let k = try #require(nll.channel.parameterIndex(name))
    return IntervalScan.run(nll, parameters: specs, index: k, range: range, points: 4001, profile: false)
  }

  /// Published 95% intervals are linear interpolations of digitised curves at 3.84 (eft.md), good
  /// to a few % of the plotted range. Tested: one piece; each end within 10% of the published
  /// interval's width from the published end, and the width within 10%. (Relative to the end
  /// values themselves, c_HG's ends are 14% and 12% off: its interval is shifted by −0.0008, 5% of
  /// its width, while its width agrees to 3%.)
  static func expectMatches(_ name: String, _ range: (Double, Double), _ published: (Double, Double)) throws {
    let p = try atlasScan(name, range).pieces(level: 3.841458820694124)
    try #require(p.count == 1, "\(name): \(p)")
    let w = published.1 - published.0
    #expect(!p[0].lowerOpen && !p[0].upperOpen)
    #expect(abs(p[0].lower - published.0) < 0.1 * w, "\(name) lower \(p[0].lower) vs \(published.0)")
    #expect(abs(p[0].upper - published.1) < 0.1 * w, "\(name) upper \(p[0].upper) vs \(published.1)")
    #expect(abs(p[0].width - w) < 0.1 * w, "\(name) width \(p[0].width) vs \(w)")
  }

  /// The channel works with Fit's MINOS-like `profileInterval`: for c_HB (one minimum) its 68%
  /// interval equals the scan's crossings.
  @Test func profileIntervalAgreesWithScan() throws {
    let nll = GaussianMeasurementNLL(channel: try .load(contentsOf: Self.atlasPath))
    let k = try #require(nll.channel.parameterIndex("cHB"))
    let specs = nll.channel.parameterNames.indices.map {
      ParameterSpec(name: nll.channel.parameterNames[$0], value: 0, fixed: $0 != k, step: 0.1)
    }
    let best = Minimizer().minimize(nll, parameters: specs)
    #expect(best.status.isConverged)
    let iv = profileInterval(nll, parameters: specs, best: best, index: k, delta: 0.5, minimizer: Minimizer())
    let p = try Self.atlasScan("cHB", (-2, 2)).pieces(level: 1)
    try #require(p.count == 1)
    #expect(abs(iv.lower - p[0].lower) < 1e-6 && abs(iv.upper - p[0].upper) < 1e-6, "\(iv.lower), \(iv.upper) vs \(p[0])")
  }

  @Test func atlas95IntervalsCHG() throws { try Self.expectMatches("cHG", (-0.03, 0.03), (-0.0083, 0.0069)) }
  @Test func atlas95IntervalsCHB() throws { try Self.expectMatches("cHB", (-2, 2), (-0.62, 0.59)) }
  @Test func atlas95IntervalsCHWB() throws { try Self.expectMatches("cHWB", (-3, 3), (-1.05, 0.98)) }
  @Test func atlas95IntervalsCHW() throws { try Self.expectMatches("cHW", (-8, 6), (-3.44, 2.12)) }

  /// Second method: Lilith-2 (the tool whose transcription of the ATLAS inputs we use) computed
  /// the same c_uH curve in its own validation (`lilith-cuH-even.csv`, regenerated by
  /// `lilith-crosscheck.sh`). χ² = 2·NLL is compared absolutely, not as a difference:
  /// - with Lilith's two differing modelling choices aligned (README there), to its 5 printed
  ///   decimals (2e-5);
  /// - against its curve as published, the 68% and 95% sets agree to 0.1 (both one piece: Lilith's
  ///   hump at c_uH = 6 is 0.55 too), and χ² to 0.25 (its variable-Gaussian theory uncertainties).
  @Test func cuHCurveEqualsLilith() throws {
    let url = TestPaths.packageRoot.appendingPathComponent("Datacards/atlas-h4l-smeft/lilith-cuH-even.csv")
    let rows = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
      .filter { !$0.hasPrefix("#") && !$0.hasPrefix("cuH") }
      .map { $0.split(separator: ",").map { Double($0)! } }
    try #require(rows.count == 101)
    let nll = GaussianMeasurementNLL(channel: try .load(contentsOf: Self.atlasPath))
    let k = try #require(nll.channel.parameterIndex("cuH"))
    var x = [Double](repeating: 0, count: nll.channel.parameterNames.count)
    var ours: [Double] = []
    for r in rows {
      x[k] = r[0]
      let chi2 = 2 * Self.value(nll, x)
      ours.append(chi2)
      #expect(abs(chi2 - r[2]) < 2e-5, "c_uH = \(r[0]): \(chi2) vs Lilith aligned \(r[2])")
      #expect(abs(chi2 - r[1]) < 0.25, "c_uH = \(r[0]): \(chi2) vs Lilith published \(r[1])")
    }
    /// Crossings of a sampled curve (shifted to its minimum) with `level`, by linear interpolation.
    func crossings(_ y: [Double], _ level: Double) -> [Double] {
      let m = y.min()!
      return (0..<(y.count - 1)).compactMap { i in
        let a = y[i] - m - level, b = y[i + 1] - m - level
        return a * b < 0 ? rows[i][0] + (rows[i + 1][0] - rows[i][0]) * a / (a - b) : nil
      }
    }
    for level in [1, 3.841458820694124] {
      let lilith = crossings(rows.map { $0[1] }, level)
      let scan = try Self.atlasScan("cuH", (-25, 35)).pieces(level: level)
      try #require(lilith.count == 2 && scan.count == 1, "\(lilith) \(scan)")
      #expect(abs(scan[0].lower - lilith[0]) < 0.1 && abs(scan[0].upper - lilith[1]) < 0.1, "\(scan[0]) vs \(lilith)")
    }
  }

  /// c_uH enters only ttH (1 − 0.108c + 0.009c², symmetric about c = 6): two minima, mirror images
  /// about 6. The 95% interval reproduces; the 68% set's hull [−10.4, 22.4] is close to the
  /// published hull [−12.3, 24.4], but the hump at c = 6 rises to 2ΔNLL ≈ 0.55 only, not above 1
  /// as in ATLAS's curve (≈ 1.05), so the set is one piece, not [−12.3, 4.7] ∪ [7.7, 24.4].
  /// ATLAS's minima sit at ≈ −5.8 and 17.9 (μ_ttH ≈ 1.93), ours at −3.57 and 15.57 (μ_ttH ≈ 1.50,
  /// the 25 fb measurement pulled by its correlations): the published curve is not the Gaussian
  /// of the reduced-STXS numbers (see Datacards/atlas-h4l-smeft/README.md).
  @Test func atlasCuH() throws {
    try Self.expectMatches("cuH", (-60, 70), (-18.4, 30.5))
    let scan = try Self.atlasScan("cuH", (-60, 70))
    #expect(scan.localMinima.count == 2)
    #expect(abs(scan.localMinima[0] + scan.localMinima[1] - 12) < 1e-3)
    let p = scan.pieces(level: 1)
    let hull = (p.first!.lower, p.last!.upper), published = (-12.3, 24.4)
    let w = published.1 - published.0
    #expect(abs(hull.0 - published.0) < 0.1 * w && abs(hull.1 - published.1) < 0.1 * w)
    let i6 = scan.grid.indices.min { abs(scan.grid[$0] - 6) < abs(scan.grid[$1] - 6) }!
    #expect(scan.twoDeltaNLL[i6] > 0.4 && scan.twoDeltaNLL[i6] < 0.7)
    withKnownIssue("reduced-STXS Gaussian: the hump at c_uH = 6 is 2ΔNLL ≈ 0.55 < 1, published ≈ 1.05") {
      #expect(p.count == 2)
    }
  }
}
