// Regenerates Datacards/ (cards, ROOT shape files, EFT parametrisations, pseudo-data).
print("make-datacards: nothing to generate yet")
