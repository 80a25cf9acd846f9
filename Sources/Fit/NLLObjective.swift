//===--- NLLObjective.swift -----------------------------------------------===//
// The likelihoods as objectives for the minimiser.
//===----------------------------------------------------------------------===//

import Likelihood

/// `NLL` has exactly the evaluation methods `ObjectiveFunction` asks for.
extension NLL: ObjectiveFunction {}

/// The Gaussian-measurement likelihood (reinterpretations) likewise.
extension GaussianMeasurementNLL: ObjectiveFunction {}
