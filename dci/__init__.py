"""DCI (Digital Convergence Initiative) Social Registry API: the synchronous search, over the households of the
caller's scope. The published specification and its licence are in dci/spec/; what is implemented, docs/dci.md."""
