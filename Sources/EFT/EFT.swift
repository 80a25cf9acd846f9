// EFT module of Recombine. See README.md for the module map.
