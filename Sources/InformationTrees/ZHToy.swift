//===--- ZHToy.swift ------------------------------------------------------===//
// The ZH toy of arXiv:2205.12976: LO pp → Z(→ℓℓ) h with the helicity amplitudes of Nakamura
// (arXiv:1706.01816), Wilson coefficients c_HW, c_HW̃, c_HQ^(3) at Λ = 1 TeV. Phase space is
// sampled flat; the physics is in the weights w_0, w_a, w_ab (exact derivatives at SM).
//===----------------------------------------------------------------------===//

import Dispatch
import Foundation
import Support

/// A parton-density lookup table: rows (x_j, f_j) in a histogram with bins [x_j, x_{j+1}) and a
/// last bin [x_last, 1.001), evaluated like ROOT's `TH1::Interpolate` (linear between bin
/// centres, clamped to the first/last bin content outside them), then max(0, ·).
public struct PDFTable: Sendable {
  /// Bin edges (count + 1).
  public var edges: [Double]
  public var contents: [Double]

  public init(x: [Double], f: [Double]) {
    edges = x + [1.001]
    contents = f
  }

  /// Reads `x,f(x)` lines.
  public init(path: String) throws {
    let t = try Table.parseCSV(Array("x,f\n".utf8) + (try readFileMaybeGzipped(path)))
    guard t.rowCount > 1 else { throw BITError("\(path): empty PDF table") }
    self.init(x: t.column("x")!, f: t.column("f")!)
  }

  /// Centre of 1-based bin b, as ROOT computes it: lo + ½(hi − lo).
  @inline(__always) func center(_ b: Int) -> Double { edges[b - 1] + 0.5 * (edges[b] - edges[b - 1]) }
  @inline(__always) func content(_ b: Int) -> Double { contents[b - 1] }

  public func value(_ x: Double) -> Double {
    let nb = contents.count
    // FindFixBin: 1 + index of the largest edge ≤ x
    var lo = 0, hi = edges.count  // edges[lo] ≤ x < edges[hi]
    if x < edges[0] { lo = -1 } else {
      while hi - lo > 1 { let m = (lo + hi) >> 1; if edges[m] <= x { lo = m } else { hi = m } }
    }
    let xbin = lo + 1
    let v: Double
    if x <= center(1) {
      v = content(1)
    } else if x >= center(nb) {
      v = content(nb)
    } else {
      let x0: Double, x1: Double, y0: Double, y1: Double
      if x <= center(xbin) {
        y0 = content(xbin - 1); x0 = center(xbin - 1); y1 = content(xbin); x1 = center(xbin)
      } else {
        y0 = content(xbin); x0 = center(xbin); y1 = content(xbin + 1); x1 = center(xbin + 1)
      }
      v = y0 + (x - x0) * ((y1 - y0) / (x1 - x0))
    }
    return max(0, v)
  }
}

/// Recombine's own parton densities for the ZH toy, so that it runs without the reference's tables.
/// Each density is a sum of smooth shapes of the familiar kind,
///
///     x·f(x) = A · x^a · (1 − x)^b · (1 + c√x + d·x) · exp(e√x),
///
/// quarks u = u_v + ū and d = d_v + d̄ (valence plus sea), s = s̄, c = c̄, b = b̄. The parameters
/// were fitted by least squares in ln(x·f) to the reference tables (proton densities near the ZH
/// scale): the valence shapes to q − q̄ within 3% for 10⁻³ < x < 0.7, the sea within 7% for
/// x < 0.1. The valence number sum rules ∫u_v = 2, ∫d_v = 1, which the fit did not impose, hold to
/// 0.1% (tested). The toy's kinematics and weights are unchanged; only the parton luminosities
/// differ slightly from the tables'.
public enum BuiltinPDF {
  /// One term x·f(x) = A x^a (1 − x)^b (1 + c√x + d x) exp(e√x).
  public struct Shape: Sendable {
    public var A: Double, a: Double, b: Double, c: Double, d: Double, e: Double
    /// f(x) of this term (0 outside (0, 1)).
    public func density(_ x: Double) -> Double {
      guard x > 0, x < 1 else { return 0 }
      return A * pow(x, a - 1) * pow(1 - x, b) * (1 + c * x.squareRoot() + d * x) * exp(e * x.squareRoot())
    }
  }

  static let uValence = Shape(A: 2.833, a: 0.5709, b: 4, c: 0.0921, d: 0.8013, e: 0)
  static let dValence = Shape(A: 1.095, a: 0.4856, b: 5.141, c: -0.2654, d: 3.304, e: 0)
  static let dSea = Shape(A: 0.08489, a: -0.3257, b: 10.36, c: 0, d: 0, e: 2.455)
  static let uSea = Shape(A: 0.125, a: -0.2889, b: 5.729, c: 0, d: 0, e: -0.9382)
  static let strange = Shape(A: 0.102, a: -0.2912, b: 6.097, c: 0, d: 0, e: -1.651)
  static let charm = Shape(A: 0.1404, a: -0.2466, b: 3.043, c: 0, d: 0, e: -6.03)
  static let bottom = Shape(A: 0.03694, a: -0.31, b: 3.316, c: 0, d: 0, e: -5.96)

  /// d, u, s, c, b (the order of `ZHToy.quark`), each the sum of its shapes.
  public static let quarks: [[Shape]] = [[dValence, dSea], [uValence, uSea], [strange], [charm], [bottom]]
  /// d̄, ū, s̄, c̄, b̄.
  public static let antiquarks: [[Shape]] = [[dSea], [uSea], [strange], [charm], [bottom]]

  /// f(x) of a density given by its shapes.
  public static func density(_ shapes: [Shape], _ x: Double) -> Double { shapes.reduce(0) { $0 + $1.density(x) } }
}

/// The ZH toy model.
public struct ZHToy: Sendable {
  /// Feature order of the reference.
  public static let featureNames = [
    "sqrt_s_hat", "pT", "y", "cos_theta", "phi_hat", "cos_theta_hat", "fLL", "f1TT", "f2TT", "f1LT", "f2LT",
    "f1tildeLT", "f2tildeLT", "fTTprime", "ftildeTTprime",
  ]
  /// Coefficient order of the weight columns (alphabetical, as the reference).
  public static let coefficients = ["cHQ3", "cHW", "cHWtil"]
  static let quarkNames = ["d", "u", "s", "c", "b"]

  // constants (§9.1)
  static let e = 0.3028, s2w = 0.23122
  static let sw = s2w.squareRoot(), cw = (1 - s2w).squareRoot()
  static let g = e / sw, gZ = g / cw, v = 246.22
  static let mZ = 91.1876, mH = 125.1
  static let eLHC = 13000.0, sHatMax = 13000.0 * 13000.0, clip = 0.03, lambda = 1000.0
  static let Q: [Double] = [-1.0 / 3, 2.0 / 3, -1.0 / 3, 2.0 / 3, -1.0 / 3]
  static let T3: [Double] = [-0.5, 0.5, -0.5, 0.5, -0.5]

  /// Tables for q = d, u, s, c, b and their antiquarks.
  public var quark: [PDFTable]
  public var antiquark: [PDFTable]

  /// Loads `pdf_<q>.txt` and `pdf_<q>bar.txt` from the reference's `pdf_data` directory.
  public init(pdfDirectory dir: String) throws {
    quark = try Self.quarkNames.map { try PDFTable(path: dir + "/pdf_\($0).txt") }
    antiquark = try Self.quarkNames.map { try PDFTable(path: dir + "/pdf_\($0)bar.txt") }
  }

  /// The toy with Recombine's own smooth parton densities (`BuiltinPDF`) instead of tables: the
  /// same x grid as the reference's tables (10001 points log-spaced from 10⁻⁵ to 1).
  public init() {
    let xs = (0...10_000).map { pow(10, -5 + 5 * Double($0) / 10_000) }
    func table(_ p: [BuiltinPDF.Shape]) -> PDFTable { PDFTable(x: xs, f: xs.map { BuiltinPDF.density(p, $0) }) }
    quark = BuiltinPDF.quarks.map(table)
    antiquark = BuiltinPDF.antiquarks.map(table)
  }

  /// Samples the 15 features of n events (§9.2): cosΘ ~ U(−1,1); ŝ flat in
  /// [ŝ_min, ŝ_min + clip·(ŝ_max − ŝ_min)], ŝ_min = (m_H + m_Z)²; φ̂ ~ U(−π,π); cosθ̂ ~ U(−1,1);
  /// y ~ U(−1,1)·(−ln √(ŝ/ŝ_max)).
  public static func sampleFeatures(count n: Int, seed: UInt64) -> [Double] {
    var rng = Xoshiro256(seed: seed)
    var out = [Double](repeating: 0, count: n * 15)
    let sMin = (mH + mZ) * (mH + mZ)
    for i in 0..<n {
      let ct = rng.uniform(-1, 1)
      let s = sMin + (sHatMax - sMin) * rng.uniform(0, clip)
      let rs = s.squareRoot()
      let pT = (0.25 * (1 - ct * ct) / s * (s - (mH + mZ) * (mH + mZ)) * (s - (mH - mZ) * (mH - mZ))).squareRoot()
      let ph = Double.pi * rng.uniform(-1, 1)
      let cth = rng.uniform(-1, 1)
      let y = rng.uniform(-1, 1) * -log((s / sHatMax).squareRoot())
      let c2 = ct * ct, c2h = cth * cth
      let st = (1 - c2).squareRoot(), sth = (1 - c2h).squareRoot()
      let fLL = (1 - c2) * (1 - c2h)
      let f1LT = cos(ph) * st * sth
      let f1tLT = sin(ph) * st * sth
      let row: [Double] = [
        rs, pT, y, ct, ph, cth, fLL, ct * cth, (1 + c2) * (1 + c2h), f1LT, f1LT * ct * cth, f1tLT, f1tLT * ct * cth,
        cos(2 * ph) * fLL, sin(2 * ph) * fLL,
      ]
      for j in 0..<15 { out[i * 15 + j] = row[j] }
    }
    return out
  }

  /// Momentum fractions x1 = √ŝ/E e^{y}, x2 = √ŝ/E e^{−y}.
  public static func momentumFractions(sqrtSHat rs: Double, y: Double) -> (Double, Double) {
    (rs / eLHC * exp(y), rs / eLHC * exp(-y))
  }

  /// Parton luminosities per quark flavour q (d, u, s, c, b): (q(x1) q̄(x2), q̄(x1) q(x2)).
  public func luminosities(x1: Double, x2: Double) -> [(Double, Double)] {
    (0..<5).map { q in
      (quark[q].value(x1) * antiquark[q].value(x2), antiquark[q].value(x1) * quark[q].value(x2))
    }
  }

  /// The 10 weights (w_0, w_cHQ3, w_cHW, w_cHWtil, then the pairs in canonical order) of one
  /// event from its features (reference order) and parton luminosities (§9.4–9.5):
  ///   S_j = Σ_λ M⁽ʲ⁾_{λ,σ,ch} d_{λ,τ},  pref = m_Z k/ŝ^{3/2} g_{Z,τ}² L_ch,
  ///   w_0 += pref |S_0|², w_a += pref 2Re(S_a* S_0), w_ab += pref 2Re(S_a* S_b).
  /// The longitudinal decay amplitude is τ/√2 (the reference's quirk, §9.6).
  public static func weights(features f: UnsafePointer<Double>, luminosities L: [(Double, Double)],
                             into out: UnsafeMutablePointer<Double>) {
    let rs = f[0], ct = f[3], ph = f[4], cth = f[5]
    let s = rs * rs
    let st = (1 - ct * ct).squareRoot()
    let wZ = (s + mZ * mZ - mH * mH) / (2 * rs)
    let k = (wZ * wZ - mZ * mZ).squareRoot()
    let sq2 = 2.0.squareRoot()
    let c2 = 2 * v * v / (lambda * lambda)
    let gl: (plus: Double, minus: Double) = (gZ * s2w, gZ * (-0.5 + s2w))
    // decay amplitudes d[λ][τ], λ ∈ {+1, −1, 0} → index 0, 1, 2; τ ∈ {+1, −1} → 0, 1
    var dRe = [Double](repeating: 0, count: 6), dIm = [Double](repeating: 0, count: 6)
    let lams: [Double] = [1, -1, 0]
    for (li, lam) in lams.enumerated() {
      for (ti, tau) in [1.0, -1.0].enumerated() {
        let a = tau * (1 + lam * tau * cth) / sq2
        dRe[li * 2 + ti] = a * cos(lam * ph)
        dIm[li * 2 + ti] = a * sin(lam * ph)
      }
    }
    for d in 0..<10 { out[d] = 0 }
    let prefCommon = mZ * k / pow(s, 1.5)
    for q in 0..<5 {
      for sig in [1.0, -1.0] {
        let t3q = sig == -1 ? T3[q] : 0
        let gq = sig == 1 ? gZ * (-Q[q] * s2w) : gZ * (T3[q] - Q[q] * s2w)
        let P = gq / (s - mZ * mZ)
        let A = P * c2 * cw * cw + Q[q] * e / s * c2 * cw * sw
        let hq = -2 * g / cw * v * v / (lambda * lambda) * (-t3q) / (2 * mZ * mZ)
        // amplitudes M[ch][λ][j] (complex), j = 0 (SM), 1 cHQ3, 2 cHW, 3 cHWtil
        var mRe = [Double](repeating: 0, count: 2 * 3 * 4), mIm = [Double](repeating: 0, count: 2 * 3 * 4)
        for (li, lam) in lams.enumerated() where li < 2 {
          let pre = gZ * mZ * rs
          let hRe: [Double] = [pre * P, pre * hq, pre * 0.5 * (1 + (s - mH * mH) / (mZ * mZ)) * A, 0]
          let hIm: [Double] = [0, 0, 0, pre * (-lam * k * rs / (mZ * mZ)) * A]
          let fq = sig * (1 + sig * lam * ct) / sq2, fqb = -sig * (1 - sig * lam * ct) / sq2
          for j in 0..<4 {
            mRe[(0 * 3 + li) * 4 + j] = fq * hRe[j]; mIm[(0 * 3 + li) * 4 + j] = fq * hIm[j]
            mRe[(1 * 3 + li) * 4 + j] = fqb * hRe[j]; mIm[(1 * 3 + li) * 4 + j] = fqb * hIm[j]
          }
        }
        let pre0 = -gZ * wZ * st * rs
        let fac = 0.5 * (1 + (s - mH * mH) / (mZ * mZ) - 2 * k * k * rs / (mZ * mZ * wZ))
        let m0: [Double] = [pre0 * P, pre0 * hq, pre0 * fac * A, 0]
        for ch in 0..<2 { for j in 0..<4 { mRe[(ch * 3 + 2) * 4 + j] = m0[j]; mIm[(ch * 3 + 2) * 4 + j] = 0 } }
        for (ti, glt) in [gl.plus, gl.minus].enumerated() {
          for ch in 0..<2 {
            var sRe = [0.0, 0, 0, 0], sIm = [0.0, 0, 0, 0]
            for j in 0..<4 {
              for li in 0..<3 {
                let ar = mRe[(ch * 3 + li) * 4 + j], ai = mIm[(ch * 3 + li) * 4 + j]
                let br = dRe[li * 2 + ti], bi = dIm[li * 2 + ti]
                sRe[j] += ar * br - ai * bi
                sIm[j] += ar * bi + ai * br
              }
            }
            let lum = ch == 0 ? L[q].0 : L[q].1
            let pf = prefCommon * glt * glt * lum
            // Re(S_a* S_b) = Re_a Re_b + Im_a Im_b
            func re(_ a: Int, _ b: Int) -> Double { sRe[a] * sRe[b] + sIm[a] * sIm[b] }
            out[0] += pf * re(0, 0)
            for a in 1...3 { out[a] += pf * 2 * re(a, 0) }
            var idx = 4
            for a in 1...3 { for b in a...3 { out[idx] += pf * 2 * re(a, b); idx += 1 } }
          }
        }
      }
    }
  }

  /// Generates n weighted events (15 features, weights of the 3 coefficients up to second order).
  public func generate(count n: Int, seed: UInt64) -> Events {
    let X = Self.sampleFeatures(count: n, seed: seed)
    var W = [Double](repeating: 0, count: n * 10)
    X.withUnsafeBufferPointer { xb in
      W.withUnsafeMutableBufferPointer { wb in
        let xp = UnsafeSendable(UnsafeMutablePointer(mutating: xb.baseAddress!)), wp = UnsafeSendable(wb.baseAddress!)
        let chunk = 4096
        DispatchQueue.concurrentPerform(iterations: (n + chunk - 1) / chunk) { c in
          for i in (c * chunk)..<min(n, c * chunk + chunk) {
            let f = xp.p + i * 15
            let (x1, x2) = Self.momentumFractions(sqrtSHat: f[0], y: f[2])
            Self.weights(features: f, luminosities: self.luminosities(x1: x1, x2: x2), into: wp.p + i * 10)
          }
        }
      }
    }
    return Events(featureNames: Self.featureNames, coefficients: Self.coefficients,
                  derivatives: canonicalDerivatives(coefficientCount: 3, quadratic: true), features: X, weights: W)
  }
}
