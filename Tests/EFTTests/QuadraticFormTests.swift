import Foundation
import Testing

@testable import EFT

/// Relative closeness.
func close(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
  abs(a - b) <= tol * max(1, abs(a), abs(b))
}

@Test func quadraticFormEqualsHandPolynomial() {
  // μ = 2 + 3 θ0 − 1.5 θ2 + 4 θ0² + 0.5 θ0θ2 − 2 θ2², θ1 unused; global indices 0, 2 (and 5 for sparsity).
  let f = QuadraticForm(
    constant: 2, linear: [0: 3, 2: -1.5, 5: 0.25],
    quadratic: [IndexPair(0, 0): 4, IndexPair(2, 0): 0.5, IndexPair(2, 2): -2, IndexPair(5, 0): 1])
  #expect(f.indices == [0, 2, 5])
  #expect(f.packed.count == 10)
  let hand: ([Double]) -> Double = { t in
    2 + 3 * t[0] - 1.5 * t[2] + 0.25 * t[5] + 4 * t[0] * t[0] + 0.5 * t[0] * t[2] - 2 * t[2] * t[2]
      + t[5] * t[0]
  }
  let handLinear: ([Double]) -> Double = { t in 2 + 3 * t[0] - 1.5 * t[2] + 0.25 * t[5] }
  let handGrad: ([Double]) -> [Double] = { t in
    [3 + 8 * t[0] + 0.5 * t[2] + t[5], 0, -1.5 + 0.5 * t[0] - 4 * t[2], 0, 0, 0.25 + t[0]]
  }
  for t in [
    [0.0, 0, 0, 0, 0, 0], [1, 7, -2, 3, 3, 0.5], [-0.3, 1, 0.8, 0, 0, -4],
    [2.5, 0, 2.5, 0, 0, 2.5],
  ] {
    #expect(close(f.value(at: t), hand(t)))
    var g = [Double](repeating: 0, count: 6)
    let v = f.valueAndGradient(at: t, accumulatingInto: &g, weight: 1)
    #expect(close(v, hand(t)))
    for (a, b) in zip(g, handGrad(t)) { #expect(close(a, b)) }
    // weight and accumulation
    var g2 = [Double](repeating: 1, count: 6)
    _ = f.valueAndGradient(at: t, accumulatingInto: &g2, weight: -2)
    for (a, b) in zip(g2, handGrad(t)) { #expect(close(a, 1 - 2 * b)) }
    #expect(close(f.truncated(.linear).value(at: t), handLinear(t)))
    #expect(close(f.truncated(.quadratic).value(at: t), hand(t)))
  }
  // Coefficient accessors use the A/B convention.
  #expect(f.linearCoefficient(0) == 3)
  #expect(f.quadraticCoefficient(2, 0) == 0.5)
  #expect(f.quadraticCoefficient(0, 0) == 4)
  #expect(f.matrixElement(1, 3) == 0.25)  // M_{θ0,θ2} = B/2
  // Dense Combine layout round trip.
  let dense = f.denseLowerTriangle(coefficientCount: 6)
  #expect(QuadraticForm(denseLowerTriangle: dense, coefficientCount: 6) == f)
  // A zero row is pruned: the canonical form does not depend on index 1.
  #expect(QuadraticForm(constant: 1, linear: [1: 0, 3: 2]).indices == [3])
}

@Test func substitutionAndRescaling() {
  let f = QuadraticForm(
    constant: 1, linear: [0: 2, 1: -1],
    quadratic: [IndexPair(0, 0): 3, IndexPair(0, 1): 1, IndexPair(1, 1): 0.5])
  // c = T φ with φ of dimension 3.
  let t: [[Double]] = [[1, 2, 0], [0.5, -1, 3]]
  let g = f.substituted(t, newCount: 3)
  for phi in [[0.1, 0.2, -0.3], [1, -1, 2], [0, 0, 0]] {
    let c = t.map { row in zip(row, phi).reduce(0) { $0 + $1.0 * $1.1 } }
    #expect(close(g.value(at: phi), f.value(at: c)))
  }
  let r = f.rescaled([0.001, 10])
  #expect(close(r.value(at: [2, 0.3]), f.value(at: [0.002, 3])))
}

@Test func expandedRatioMatchesSTXStoSMEFTFormula() {
  // Random-ish A/B for production P, partial f, total T over 3 coefficients.
  let p = QuadraticForm(
    constant: 1, linear: [0: 0.7, 1: -0.2], quadratic: [IndexPair(0, 0): 0.3, IndexPair(0, 1): 0.1])
  let d = QuadraticForm(
    constant: 1, linear: [1: 0.4, 2: 0.9],
    quadratic: [IndexPair(2, 2): 0.25, IndexPair(1, 2): -0.6])
  let tot = QuadraticForm(
    constant: 1, linear: [0: 0.1, 2: 0.5], quadratic: [IndexPair(0, 0): 0.2, IndexPair(0, 2): 0.05])
  let e = QuadraticForm.expandedRatio(numerators: [p, d], denominators: [tot])
  let ap = [0.7, -0.2, 0]
  let af = [0, 0.4, 0.9]
  let at = [0.1, 0, 0.5]
  func b(_ f: QuadraticForm, _ i: Int, _ j: Int) -> Double { f.quadraticCoefficient(i, j) }
  for j in 0..<3 {
    #expect(close(e.linearCoefficient(j), ap[j] + af[j] - at[j]))
    let bjj =
      b(p, j, j) + b(d, j, j) - b(tot, j, j) + ap[j] * af[j] - ap[j] * at[j] - af[j] * at[j] + at[j]
      * at[j]
    #expect(close(e.quadraticCoefficient(j, j), bjj))
    for k in (j + 1)..<3 where k < 3 {
      let bjk =
        b(p, j, k) + b(d, j, k) - b(tot, j, k) + ap[j] * af[k] + ap[k] * af[j] - ap[j] * at[k] - ap[
          k] * at[j]
        - af[j] * at[k] - af[k] * at[j] + 2 * at[j] * at[k]
      #expect(close(e.quadraticCoefficient(j, k), bjk))
    }
  }
  #expect(e.constant == 1)
}

@Test func ratioGradientMatchesFiniteDifferences() {
  let p = QuadraticForm(
    constant: 1, linear: [0: 0.7, 1: -0.2], quadratic: [IndexPair(0, 0): 0.3, IndexPair(0, 1): 0.1])
  let d = QuadraticForm(
    constant: 1.2, linear: [1: 0.4, 2: 0.9], quadratic: [IndexPair(2, 2): 0.25])
  let tot = QuadraticForm(constant: 1, linear: [0: 0.1, 2: 0.5], quadratic: [IndexPair(0, 0): 0.2])
  let s = CompiledScaling(numerators: [p, d], denominators: [tot])
  let theta = [0.3, -0.4, 0.2]
  var g = [0.0, 0, 0]
  let v = s.valueAndGradient(at: theta, accumulatingInto: &g, weight: 1)
  #expect(close(v, p.value(at: theta) * d.value(at: theta) / tot.value(at: theta)))
  for i in 0..<3 {
    var a = theta
    var b = theta
    a[i] += 1e-6
    b[i] -= 1e-6
    let fd = (s.value(at: a) - s.value(at: b)) / 2e-6
    #expect(abs(fd - g[i]) < 1e-7)
  }
}

@Test func fisherEigenbasisAnalytic2x2() throws {
  let a = 4.0
  let b = 1.5
  let d = 1.0
  let mean = (a + d) / 2
  let rad = sqrt((a - d) * (a - d) / 4 + b * b)
  let l1 = mean + rad
  let l2 = mean - rad
  let basis = try EFTBasis.fisherEigenbasis(fisher: [[a, b], [b, d]], threshold: 0)
  #expect(basis.parameters.map(\.name) == ["EV0", "EV1"])
  #expect(close(basis.eigenvalues![0], l1) && close(basis.eigenvalues![1], l2))
  // Eigenvector of l1: (b, l1 − a)/norm, sign: largest component positive.
  let n1 = sqrt(b * b + (l1 - a) * (l1 - a))
  let v1 = [b / n1, (l1 - a) / n1]
  #expect(close(basis.transform[0][0], v1[0]) && close(basis.transform[1][0], v1[1]))
  let n2 = sqrt(b * b + (l2 - a) * (l2 - a))
  var v2 = [b / n2, (l2 - a) / n2]
  if abs(v2[1]) > abs(v2[0]) && v2[1] < 0 || abs(v2[0]) >= abs(v2[1]) && v2[0] < 0 {
    v2 = v2.map { -$0 }
  }
  #expect(close(basis.transform[0][1], v2[0]) && close(basis.transform[1][1], v2[1]))
  // Threshold between the eigenvalues keeps one direction.
  let one = try EFTBasis.fisherEigenbasis(fisher: [[a, b], [b, d]], threshold: (l1 + l2) / 2)
  #expect(one.parameters.count == 1 && close(one.eigenvalues![0], l1))
  // A model in the rotated basis: μ(φ) = μ(c = T φ).
  let form = QuadraticForm(
    constant: 1, linear: [0: 0.5, 1: -1], quadratic: [IndexPair(0, 1): 2, IndexPair(1, 1): 0.3])
  let p = EFTParametrisation(
    coefficients: [WilsonCoefficient(name: "cA", exponent: 2), WilsonCoefficient(name: "cB")],
    forms: ["f": form],
    targets: [EFTTarget(process: "sig", scaling: .process(ScalingFactors(numerators: ["f"])))])
  let model = try p.compile(basis: basis)
  #expect(model.parameterNames == ["EV0", "EV1"])
  let phi = [0.7, -1.3]
  let c = [v1[0] * phi[0] + v2[0] * phi[1], v1[1] * phi[0] + v2[1] * phi[1]]
  #expect(close(model.scaling(channel: "any", process: "sig")!.value(at: phi), form.value(at: c)))
  // With the threshold keeping one direction only: one POI, c = v1·φ (the model compiles with
  // fewer POIs than coefficients).
  let reduced = try p.compile(basis: one)
  #expect(reduced.parameterNames == ["EV0"])
  #expect(close(reduced.scaling(channel: "any", process: "sig")!.value(at: [0.9]), form.value(at: [v1[0] * 0.9, v1[1] * 0.9])))
  // Rotations given as φ = R c: T = R⁻¹ for square R.
  let r: [[Double]] = [[2, 1], [1, 1]]  // R⁻¹ = [[1, −1], [−1, 2]]
  let rot = try EFTBasis.combinations(
    parameters: [.init(name: "p0"), .init(name: "p1")], rows: r)
  #expect(close(rot.transform[0][0], 1) && close(rot.transform[0][1], -1))
  #expect(close(rot.transform[1][0], -1) && close(rot.transform[1][1], 2))
}
