import Datacard
import Fit
import Foundation
import Likelihood
import Testing

@Suite struct FormulaTests {
  /// Values and gradients against hand-written derivatives.
  @Test func evaluatesWithGradient() throws {
    let f = try Formula("1+@0*@1-exp(@2)/2^@0 + pow(@1,3) - TMath::Log(@0)", argumentCount: 3)
    let x = [1.5, -0.7, 0.3]
    let (v, g) = f.evaluate(x)
    let expected = 1 + x[0] * x[1] - exp(x[2]) / pow(2, x[0]) + pow(x[1], 3) - log(x[0])
    #expect(abs(v - expected) < 1e-12)
    #expect(abs(g[0] - (x[1] + exp(x[2]) * log(2) / pow(2, x[0]) - 1 / x[0])) < 1e-12)
    #expect(abs(g[1] - (x[0] + 3 * x[1] * x[1])) < 1e-12)
    #expect(abs(g[2] - (-exp(x[2]) / pow(2, x[0]))) < 1e-12)
    let p = try Formula("(((1-@0)*0.0302202571811652)+1)", argumentCount: 1)
    #expect(abs(p.evaluate([0.4]).value - (0.6 * 0.0302202571811652 + 1)) < 1e-15)
    #expect(abs(try Formula("-@0**2", argumentCount: 1).evaluate([3]).value + 9) < 1e-12)
    #expect(throws: LikelihoodError.self) { _ = try Formula("@3*2", argumentCount: 2) }
    #expect(throws: LikelihoodError.self) { _ = try Formula("foo(@0)", argumentCount: 1) }
    #expect(throws: LikelihoodError.self) { _ = try Formula("(@0+1", argumentCount: 1) }
  }

  static let card = """
    imax 2
    jmax 1
    kmax *
    bin a b
    observation 12 30
    bin a a b b
    process S B S B
    process 0 1 0 1
    rate 3 8 5 20
    lumi lnN 1.05 1.05 1.05 1.05
    eff param 1 0.1
    x extArg 1.2 [0,5]
    nb rateParam b B 1
    fa rateParam a B (@0*@0*@1) x,nb
    fe rateParam * S @0 eff
    """

  /// A formula rateParam multiplies the yield by its value: N_aB = 8·x²·nb, N_S = rate·eff.
  @Test func formulaRateParamsScaleYields() throws {
    let model = try CompiledModel.compile(try Datacard.parse(text: Self.card))
    var x = model.initialValues
    x[model.index(of: "x")!] = 1.7
    x[model.index(of: "nb")!] = 0.9
    x[model.index(of: "eff")!] = 1.1
    x[model.index(of: "r")!] = 2
    let nu = model.expectedYields(at: x)
    #expect(abs(nu[0] - (3 * 2 * 1.1 + 8 * 1.7 * 1.7 * 0.9)) < 1e-12)
    #expect(abs(nu[1] - (5 * 2 * 1.1 + 20 * 0.9)) < 1e-12)
    #expect(model.parameters[model.index(of: "x")!].upper == 5)
    let nll = try NLL(model: model)
    let (_, g) = nll.valueAndGradient(at: x)
    let fd = finiteDifferenceGradient({ nll.value(at: $0) }, at: x)
    for i in x.indices { #expect(abs(fd[i] - g[i]) < 1e-6 * max(1, abs(fd[i])), "\(model.parameters[i].name)") }
  }

  @Test func unknownFormulaArgumentIsAnError() throws {
    let bad = Self.card.replacingOccurrences(of: "x,nb", with: "x,nope")
    #expect(throws: LikelihoodError.self) { _ = try CompiledModel.compile(try Datacard.parse(text: bad)) }
  }
}
