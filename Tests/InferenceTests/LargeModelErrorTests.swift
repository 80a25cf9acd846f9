import Datacard
import Fit
import Foundation
import Inference
import Likelihood
import Testing
import TestSupport

/// HESSE's error of a POI without the n × n matrix (models above the dense limit): the profile's
/// curvature equals 1/(H⁻¹)_kk, so on a near-Gaussian card (large counts) it is the dense HESSE
/// error (a second method, forced onto the large path by a low limit) to 2e-3 (both reported as Minuit's external error of the bounded POI).
@Suite struct LargeModelErrorTests {
  @Test func profileCurvatureIsHesse() throws {
    var card = """
      imax 2 jmax 1 kmax *
      bin a b
      observation 1040 2100
      bin a a b b
      process sig bkg sig bkg
      process 0 1 0 1
      rate 100 900 150 1900
      lumi lnN 1.02 1.02 1.02 1.02

      """
    for j in 0..<8 { card += "u\(j) lnN - \(1.01 + 0.005 * Double(j)) - \(j % 2 == 0 ? "1.03" : "-")\n" }
    var o = FitOptions()
    o.rMin = -2
    o.rMax = 5
    let p = try FitProblem(card: try Datacard.parse(text: card), physics: DefaultPhysicsModel(), options: o)
    let k = p.targets[0]
    let dense = try MultiDimFit.run(p, algorithm: .none, hesse: true)
    let large = try MultiDimFit.run(p, algorithm: .none, hesse: true, denseLimit: 3)
    let e = try #require(dense.hesse?.errors[k]), c = try #require(large.profileErrors[k])
    #expect(large.hesse == nil)
    #expect(abs(c / e - 1) < 2e-3, "profile curvature \(c) vs HESSE \(e)")
    let doc = large.json(p)
    #expect((doc["parameters"] as? [[String: Any]])?.first?["error"] as? Double == c)
  }
}
