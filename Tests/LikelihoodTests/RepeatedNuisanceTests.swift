import Datacard
import Fit
import Foundation
import Testing
import TestSupport

@testable import Likelihood

/// A nuisance name on several systematics lines is one parameter to which every line adds its
/// effect (Combine's parser keeps every line of a name; pyhf-converted cards declare most nuisances
/// twice, as `shape` and `shape?`).
@Suite struct RepeatedNuisanceTests {
  static let card = """
    imax 1 jmax 1 kmax 2
    ---
    bin a
    observation 20
    ---
    bin a a
    process s b
    process 0 1
    rate 5 10
    ---
    u lnN 1.1 1.2
    u lnN - 1.05
    """

  /// Two lnN lines of `u`: one parameter, yields (s, b)·κ^θ with κ_s = 1.1, κ_b = 1.2·1.05.
  @Test func effectsOfEveryLineAdd() throws {
    let m = try CompiledModel.compile(try Datacard.parse(text: Self.card))
    #expect(m.parameters.filter { $0.name == "u" }.count == 1)
    var x = m.initialValues
    let k = try #require(m.index(of: "u"))
    x[k] = 0.7
    let nu = m.expectedYields(at: x)
    let r = m.parameters[m.pois[0]].initial
    let hand = r * 5 * pow(1.1, 0.7) + 10 * pow(1.2, 0.7) * pow(1.05, 0.7)
    #expect(abs(nu[0] - hand) < 1e-12 * hand, "\(nu[0]) vs \(hand)")
  }

  /// Lines that disagree on the constraint (flat lnU and Gaussian lnN) are an error naming both lines.
  @Test func conflictingConstraintsAreAnError() throws {
    let bad = Self.card.replacingOccurrences(of: "u lnN - 1.05", with: "u lnU - 1.05")
    #expect(throws: LikelihoodError.self) { _ = try CompiledModel.compile(try Datacard.parse(text: bad)) }
    do { _ = try CompiledModel.compile(try Datacard.parse(text: bad)) } catch let e as LikelihoodError {
      #expect(e.message.contains(":12:") && e.message.contains("line 11"), "\(e.message)")
    }
  }

  /// The converted ATLAS sbottom card (every nuisance as `shape` and `shape?`, autoMCStats
  /// hist-mode 2) compiles, validates without errors (the same verdict as the fit: hist-mode 2
  /// derives no normalisation from the integrals, so an empty Up template is no error), and fits.
  @Test(.needsReference) func convertedPyhfCardFits() throws {
    let path = TestPaths.reference.appendingPathComponent("external/atlas_sbottom_regionC/converted_datacard.txt").path
    let card = try Datacard.parse(contentsOf: path)
    #expect(Validator.validate(card, options: ValidationOptions()).errors.isEmpty)
    let m = try CompiledModel.compile(card)
    #expect(m.parameters.filter { $0.name == "EG_RESOLUTION_ALL" }.count == 1)
    let setup = FitSetup(model: m)
    let nll = try NLL(model: m)
    let best = Minimizer().minimize(nll, parameters: setup.parameterSpecs(model: m))
    #expect(best.status.isConverged, "\(best.status)")
  }
}
