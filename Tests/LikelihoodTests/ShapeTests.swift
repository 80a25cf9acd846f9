import Foundation
import Testing

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
  @Test(arguments: shapeCards.map(\.path))
  func gradientMatchesFiniteDifferences(_ path: String) throws {
    let mass = shapeCards.first { $0.path == path }!.mass
    let card = try Datacard.parse(contentsOf: TestPaths.reference.appendingPathComponent("combine/" + path).path)
    let model = try CompiledModel.compile(card, mass: mass)
    let nll = try NLL(model: model)
    var state: UInt64 = 12345
    func uniform() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(1 << 53)
    }
    var worst = 0.0
    for _ in 0..<4 {
      var x = model.initialValues
      for i in x.indices {
        switch model.parameters[i].role {
        case .poi: x[i] = 0.2 + 1.5 * uniform()
        case .rateParam: x[i] = 0.8 + 0.4 * uniform()
        case .nuisance: x[i] = model.parameters[i].initial + (uniform() - 0.5) * 2.4
        }
      }
      let (_, g) = nll.valueAndGradient(at: x)
      for i in x.indices {
        let h = 1e-6 * max(1, abs(x[i]))
        var a = x, b = x
        a[i] += h
        b[i] -= h
        let fd = (nll.value(at: a) - nll.value(at: b)) / (2 * h)
        let err = abs(fd - g[i]) / max(1, abs(fd))
        if err > worst { worst = err }
        #expect(err < 1e-4, "\(model.parameters[i].name): analytic \(g[i]) vs finite-difference \(fd)")
      }
    }
  }
}
