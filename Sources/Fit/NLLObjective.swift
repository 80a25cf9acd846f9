//===--- NLLObjective.swift -----------------------------------------------===//
// The likelihood as an objective for the minimiser.
//===----------------------------------------------------------------------===//

import Likelihood

/// `NLL` has exactly the evaluation methods `ObjectiveFunction` asks for.
extension NLL: ObjectiveFunction {}
