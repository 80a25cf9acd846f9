//===--- GSL.swift --------------------------------------------------------===//
// The one place Recombine talks to GSL: distributions and quantiles, Garwood intervals, linear
// algebra (Cholesky, eigen, LU) and random numbers. GSL's error handler is switched off once here
// (GSL aborts on errors by default); every function checks GSL's status codes instead.
//===----------------------------------------------------------------------===//

import CGSL

/// Switches GSL's abort-on-error handler off; evaluated once, touched by every entry point.
let gslErrorHandlerDisabled: Void = {
  _ = gsl_set_error_handler_off()
}()
