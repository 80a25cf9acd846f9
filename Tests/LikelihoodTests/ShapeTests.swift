import Foundation
import Testing
import TestSupport

import Datacard
import Fit
import Likelihood

/// The shape cards of ../shared/reference/combine with the mass their commands use.
let shapeCards: [(path: String, mass: Double)] = [
  ("shapes_simple_TH1/card/simple-shapes-TH1.txt", 120),
  ("template_CAT23001/card/datacard-2-template-analysis.txt", 120),
  ("longexercise_part3_combined/card/part3_combined.txt", 200),
  ("ci_template_shapeInterp/card/template-analysis_shapeInterp.txt", 200),
]

@Suite struct ShapeModelTests {
  /// The analytic gradient of shape models (normalised and absolute templates, shape morphs
  /// inside and outside the smooth region, scaled columns, AsymPow normalisation, analytic
  /// Barlow–Beeston-lite) equals central finite differences at random points.
  @Test(.needsReference, arguments: shapeCards.map(\.path))
  func gradientMatchesFiniteDifferences(_ path: String) throws {
    let mass = shapeCards.first { $0.path == path }!.mass
    let card = try Datacard.parse(contentsOf: TestPaths.reference.appendingPathComponent("combine/" + path).path)
    let model = try CompiledModel.compile(card, mass: mass)
    let nll = try NLL(model: model)
    var rng = SplitMix64(seed: 12345)
    func uniform() -> Double { rng.uniform() }
    var worst = 0.0
    for iteration in 0..<4 {
      // Half of the points with Barlow–Beeston-lite global observables moved off 0.
      nll.setBarlowBeestonGlobalObservables((0..<model.binCount).map { _ in iteration % 2 == 1 ? 3 * (uniform() - 0.5) : 0 })
      var x = model.initialValues
      for i in x.indices {
        switch model.parameters[i].role {
        case .poi: x[i] = 0.2 + 1.5 * uniform()
        case .rateParam: x[i] = 0.8 + 0.4 * uniform()
        case .nuisance: x[i] = model.parameters[i].initial + (uniform() - 0.5) * 2.4
        }
      }
      let (_, g) = nll.valueAndGradient(at: x)
      let fd = finiteDifferenceGradient({ nll.value(at: $0) }, at: x)
      for i in x.indices {
        let err = abs(fd[i] - g[i]) / max(1, abs(fd[i]))
        if err > worst { worst = err }
        #expect(err < 1e-4, "\(model.parameters[i].name): analytic \(g[i]) vs finite-difference \(fd[i])")
      }
    }
  }
}

extension ShapeModelTests {
  /// With a high autoMCStats threshold every bin gets per-process parameters, Poisson (n ≤
  /// threshold) or Gaussian: their gradient also matches finite differences, and at the initial
  /// values (β = n, x = 0) the yields equal the nominal ones.
  @Test(.needsReference, arguments: [10.0, 1000.0])
  func perProcessStatistics(_ threshold: Double) throws {
    let url = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt")
    let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "autoMCStats 0 0 1", with: "autoMCStats \(formatNumber(threshold)) 0 1")
    let model = try CompiledModel.compile(try Datacard.parse(text: text, path: url.path), mass: 200)
    let poisson = model.perProcessStats.filter { $0.poissonCount != nil }.count
    let gauss = model.perProcessStats.count - poisson
    print("threshold \(threshold): \(poisson) Poisson, \(gauss) Gaussian per-process parameters, \(model.barlowBeestonBins.count) BB-lite bins")
    #expect(poisson > 0)
    let reference = try CompiledModel.compile(try Datacard.parse(contentsOf: url.path), mass: 200)
    let nominal = try NLL(model: reference).expectedYields(at: reference.initialValues, barlowBeeston: false)
    let nll = try NLL(model: model)
    let withStats = nll.expectedYields(at: model.initialValues, barlowBeeston: false)
    for (a, b) in zip(nominal, withStats) { #expect(abs(a - b) < 1e-9 * max(1, abs(a))) }
    var x = model.initialValues
    var rng = SplitMix64(seed: 99)
    for i in x.indices {
      let u = rng.uniform()
      if model.parameters[i].kind == "autoMCStats", case .poisson(let n) = model.parameters[i].constraint {
        x[i] = n * (0.8 + 0.4 * u)
      } else if model.parameters[i].role == .nuisance {
        x[i] += (u - 0.5)
      }
    }
    let (_, g) = nll.valueAndGradient(at: x)
    let fd = finiteDifferenceGradient({ nll.value(at: $0) }, at: x)
    for i in x.indices {
      #expect(abs(fd[i] - g[i]) / max(1, abs(fd[i])) < 1e-4, "\(model.parameters[i].name): \(g[i]) vs \(fd[i])")
    }
  }

  /// The analytic Barlow–Beeston-lite solution with a global observable g: x̂ minimises
  /// F(x) = ν − n ln ν + ½(x − g)², ν = v + e·x (checked against F itself: F′(x̂) = 0 by central
  /// differences and F(x̂ ± 10⁻³) > F(x̂)), in every BB-lite bin of the long exercise with data
  /// (empty bins: the closed-form minimum max(g − e, −v/e)).
  @Test(.needsReference) func barlowBeestonWithGlobalObservable() throws {
    let card = try Datacard.parse(contentsOf: TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt").path)
    let model = try CompiledModel.compile(card, mass: 200)
    let nll = try NLL(model: model)
    let g = (0..<model.binCount).map { Double($0 % 5) - 2 }
    nll.setBarlowBeestonGlobalObservables(g)
    let x = model.initialValues
    let nu = nll.expectedYields(at: x)
    let xhat = nll.barlowBeestonValues, e = nll.barlowBeestonErrors
    let (terms, bb) = nll.termYields(at: x)
    var checked = 0
    for j in 0..<model.binCount where e[j] > 0 {
      let c = model.channels.firstIndex { j >= $0.firstBin && j < $0.firstBin + $0.binCount }!
      let v = model.terms.indices.filter { model.terms[$0].channel == c }.reduce(0.0) { $0 + terms[$1][j - model.channels[c].firstBin] }
      let n = nll.data[j]
      if n == 0 {
        // F = v + e·x + ½(x − g)² for ν ≥ 0: the minimum is x = g − e, or the edge ν = 0.
        #expect(abs(xhat[j] - max(g[j] - e[j], -v / e[j])) < 1e-9 * max(1, abs(xhat[j])), "empty bin \(j)")
        continue
      }
      func F(_ t: Double) -> Double { let m = v + e[j] * t; return m - n * log(m) + 0.5 * (t - g[j]) * (t - g[j]) }
      let h = 1e-4, d = (F(xhat[j] + h) - F(xhat[j] - h)) / (2 * h)
      #expect(abs(d) < 1e-6 * max(1, n), "bin \(j): F′(x̂) = \(d)")
      #expect(F(xhat[j] + 1e-3) > F(xhat[j]) && F(xhat[j] - 1e-3) > F(xhat[j]))
      #expect(abs(nu[j] - (v + e[j] * xhat[j])) < 1e-9 * nu[j] && abs(bb[j] - e[j] * xhat[j]) < 1e-9 * nu[j])
      checked += 1
    }
    #expect(checked > 20)
  }
}
