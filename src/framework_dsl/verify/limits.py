"""How much `framework-dsl verify` enumerates, searches and keeps."""

# The most documents one space may hold; a larger one is reported, not enumerated.
MAX_DOCUMENTS = 1_500_000
# A space this small is widened to lists of more items (up to 3) while it stays this small.
SMALL_SPACE = 20_000
# A cut framework's space holds at most this many documents (and a decision's own space, to
# take its outcomes from its documents); a sparse search for documents stops after this many.
CUT_DOCUMENTS = 200_000
SEARCH_DOCUMENTS = 50_000
# A decision's space too large to enumerate but at most this large is searched first (at
# most SEARCH_DOCUMENTS documents spread across it, and no more than --max-documents):
# reaching every outcome and clause proves that nothing is unreachable.
SEARCH_SPACE = 10**9
SPARSE_DOCUMENTS = 20_000  # sparse documents tried then, in any space
KEEP = 64  # documents of a cut framework kept, per property, to rebuild a counterexample from
