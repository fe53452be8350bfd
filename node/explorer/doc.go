// Package explorer holds the web pages every node serves over its HTTP API
// (SPEC.md §6.6): one page shell, the same for every route, whose script
// fetches what it shows from the API's read-only routes and checks the
// signed envelopes behind it in the reader's own browser.
//
// Every asset is embedded in the binary: a page fetches nothing from
// outside the node, so the explorer works on a closed network. The package
// serves bytes with the headers that make them inert in a browser (a strict
// Content-Security-Policy, no framing, no referrer); it never reads the
// store, never decides who may see a page (the API's guard does, SPEC
// §6.2), and serves no data: the shell is the same for every subject.
package explorer
